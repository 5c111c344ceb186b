"""The bank's URLs. The only module that imports from the apps' api/ packages."""

from django.contrib import admin
from django.urls import include, path

from accounts.api import account_urls, customer_urls
from accounts.api import urls as product_urls
from bank import health
from bank.discovery.api import urls as discovery_urls
from bank.metrics.api import urls as cdr_admin_urls
from bank.openapi import views as openapi_views
from security.oauth import urls as oauth_urls
from security.staff_sso.config import sso_enabled
from transactions.api import urls as transaction_urls

CDR = "cds-au/v1/"

urlpatterns = [
    path(CDR + "banking/", include(product_urls)),
    # transactions first: its literal accounts/direct-debits and accounts/payments/plans
    # must win over accounts/<account_id>.
    path(CDR + "banking/", include(transaction_urls)),
    path(CDR + "banking/", include(account_urls)),
    path(CDR + "common/", include(customer_urls)),
    path(CDR + "discovery/", include(discovery_urls)),
    path(CDR + "admin/", include(cdr_admin_urls)),
    # Staff single sign-on exists only when configured (security/staff_sso).
    *([path("staff-sso/", include("security.staff_sso.urls"))] if sso_enabled() else []),
    # The staff console's own pages (unmask), before the admin's catch-all app URLs.
    path("admin/staff/", include("security.staff.urls")),
    path("admin/", admin.site.urls),
    # The OpenAPI document, Swagger UI and Redoc, on the public listener, in production too:
    # a bank publishes its API documentation, and the document holds only what the standard
    # and the discovery document already publish (paths, versions, scopes, base URLs).
    path("api/schema", openapi_views.SchemaApi.as_view(), name="schema"),
    path("api/docs/", openapi_views.SwaggerUiPage.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", openapi_views.RedocPage.as_view(url_name="schema"), name="api-redoc"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("mock-register/", include("bank.register_mock.urls")),
    # The customer's consent pages (CONSENT_START_PATH in security/oauth/views/authorize.py).
    path("consent/", include("security.consent.urls")),
    # The customer's data-sharing dashboard (public listener, like the consent pages).
    path("dashboard/", include("security.dashboard.urls")),
    # The authorization server sits at the issuer's root (discovery, JWKS, PAR, token...).
    path("", include(oauth_urls)),
]

handler400 = "bank.api.views.handler400"
handler403 = "bank.api.views.handler403"
handler404 = "bank.api.views.handler404"
handler500 = "bank.api.views.handler500"
