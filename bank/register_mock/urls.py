"""The mock Register's URLs, mounted by bank/urls.py at `mock-register/`.

Paths are the CDR Register's own (cds_register.json servers + paths), so a recipient needs
only the base URL changed: `<bank>/mock-register` stands for both https://api.cdr.gov.au and
https://secure.api.cdr.gov.au. With BANK_MOCK_REGISTER_ENABLED off (always in prod) the list is
empty and nothing is served.
"""

from django.conf import settings
from django.urls import URLPattern, path

from bank.register_mock import views

app_name = "register_mock"

_V1 = "cdr-register/v1/"
_RECIPIENTS = _V1 + "<str:industry>/data-recipients"

urlpatterns: list[URLPattern] = (
    [
        path("idp/.well-known/openid-configuration", views.openid_configuration_view,
             name="discovery"),
        path("idp/.well-known/openid-configuration/jwks", views.jwks_view, name="idp-jwks"),
        path("idp/connect/token", views.token_view, name="token"),
        path(_V1 + "jwks", views.jwks_view, name="jwks"),
        path(_RECIPIENTS, views.data_recipients_view, name="data-recipients"),
        path(_RECIPIENTS + "/status", views.data_recipient_statuses_view,
             name="data-recipient-statuses"),
        path(_RECIPIENTS + "/brands/software-products/status",
             views.software_product_statuses_view, name="software-product-statuses"),
        path(_RECIPIENTS + "/brands/<str:brand_id>/software-products/<str:software_product_id>/ssa",
             views.ssa_view, name="ssa"),
    ]
    if settings.BANK_MOCK_REGISTER_ENABLED
    else []
)
