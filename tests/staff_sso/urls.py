"""The bank's URLs as they are when staff SSO is configured (bank/urls.py decides at import)."""

from django.urls import include, path

from bank.urls import urlpatterns as bank_urlpatterns

urlpatterns = [path("staff-sso/", include("security.staff_sso.urls")), *bank_urlpatterns]
