"""The consent pages (security/consent/views.py), at CONSENT_START_PATH and below."""

from django.urls import path

from security.consent import views

app_name = "consent"

urlpatterns = [
    path("<str:handle>", views.login_view, name="login"),
    path("<str:handle>/code", views.code_view, name="code"),
    path("<str:handle>/accounts", views.accounts_view, name="accounts"),
    path("<str:handle>/confirm", views.confirm_view, name="confirm"),
    path("<str:handle>/cancel", views.cancel_view, name="cancel"),
]
