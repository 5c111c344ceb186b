"""The bank's URLs. The only module that imports from the apps' api/ packages."""

from django.contrib import admin
from django.urls import include, path

from accounts.api import urls as product_urls
from bank.discovery.api import urls as discovery_urls

CDR = "cds-au/v1/"

urlpatterns = [
    path(CDR + "banking/", include(product_urls)),
    path(CDR + "discovery/", include(discovery_urls)),
    path("admin/", admin.site.urls),
]

handler400 = "bank.api.views.handler400"
handler403 = "bank.api.views.handler403"
handler404 = "bank.api.views.handler404"
handler500 = "bank.api.views.handler500"
