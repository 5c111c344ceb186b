"""Who may call the CDR admin API: the Register, with the endpoint's scope, on its certificate.

Attacks: no token, a customer's data token, a Register token without the scope, a token
presented on another certificate (or none), an unknown token; then the CDS request checks
(period, query parameters, x-v negotiation).
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import assert_cdr_error
from tests.metrics.conftest import METADATA_URL, METRICS_URL, on_certificate

pytestmark = pytest.mark.django_db

CERT_A = b"0\x82 the Register's client certificate"
CERT_B = b"0\x82 somebody else's client certificate"
REFRESH = json.dumps({"data": {"action": "REFRESH"}, "meta": {}})


def _metadata(token: str | None, *, body: str = REFRESH, der: bytes | None = None,
              x_v: str = "1", content_type: str = "application/json") -> object:
    headers = {"HTTP_X_V": x_v, "HTTP_ACCEPT": "application/json", **on_certificate(der)}
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client().post(METADATA_URL, data=body, content_type=content_type, **headers)


def test_metrics_without_a_token_is_401_with_a_bare_challenge(as_register):
    response = as_register(None)

    assert_cdr_error(response, 401, "GeneralError/Expected")
    assert response["WWW-Authenticate"] == 'Bearer realm="cdr"'


def test_metrics_with_an_unknown_token_is_401_invalid_token(as_register, db):
    response = as_register("not-a-token-we-issued")

    assert_cdr_error(response, 401, "GeneralError/Expected")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_metrics_refuse_a_customer_data_token(grant, as_register):
    customer_token = grant("jane.citizen").token

    assert_cdr_error(as_register(customer_token), 403, "Authorisation/InvalidConsent",
                     "The access token is not the CDR Register's.")


def test_metadata_update_refuses_a_customer_data_token(grant):
    customer_token = grant("jane.citizen").token

    assert_cdr_error(_metadata(customer_token), 403, "Authorisation/InvalidConsent")


def test_each_admin_endpoint_needs_its_own_scope(register_token, as_register):
    metadata_only = register_token("admin:metadata:update")
    metrics_only = register_token("admin:metrics.basic:read")

    assert_cdr_error(as_register(metadata_only), 403, "Authorisation/InvalidConsent",
                     "The consent does not include admin:metrics.basic:read.")
    assert_cdr_error(_metadata(metrics_only), 403, "Authorisation/InvalidConsent",
                     "The consent does not include admin:metadata:update.")
    assert as_register(metrics_only).status_code == 200


def test_a_certificate_bound_register_token_works_on_its_certificate_only(
    register_token, as_register,
):
    token = register_token(der=CERT_A)

    assert as_register(token, der=CERT_A).status_code == 200
    for other in (CERT_B, None):
        response = as_register(token, der=other)
        assert_cdr_error(response, 401, "GeneralError/Expected",
                         "The access token is bound to a client certificate this connection "
                         "did not present.")
    assert_cdr_error(_metadata(token, der=CERT_B), 401, "GeneralError/Expected")


def test_unbound_register_tokens_are_refused_where_binding_is_required(
    register_token, as_register, settings,
):
    token = register_token()  # issued while binding is relaxed (test settings)
    settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS = True

    assert_cdr_error(as_register(token, der=CERT_A), 401, "GeneralError/Expected",
                     "The access token is not certificate-bound.")


@pytest.mark.parametrize("period", ["current", "WEEK", "", "ALL,CURRENT"])
def test_an_invalid_period_is_400_field_invalid(register_token, as_register, period):
    response = as_register(register_token("admin:metrics.basic:read"), period=period)

    assert_cdr_error(response, 400, "Field/Invalid", "period")


def test_unknown_and_repeated_query_parameters_are_refused(register_token):
    token = register_token("admin:metrics.basic:read")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_X_V": "5"}

    assert_cdr_error(Client().get(METRICS_URL + "?page=1", **headers), 400, "Field/Invalid",
                     "page")
    assert_cdr_error(Client().get(METRICS_URL + "?period=ALL&period=CURRENT", **headers), 400,
                     "Field/Invalid", "period")


@pytest.mark.parametrize(("x_v", "x_min_v"), [("4", None), ("6", None), ("3", "1")])
def test_an_unsupported_version_is_406(register_token, as_register, x_v, x_min_v):
    extra = {"HTTP_X_MIN_V": x_min_v} if x_min_v else {}
    response = as_register(register_token("admin:metrics.basic:read"), x_v=x_v, **extra)

    assert_cdr_error(response, 406, "Header/UnsupportedVersion", "Supported version: 5")


def test_version_negotiation_serves_5_within_a_range(register_token, as_register):
    token = register_token("admin:metrics.basic:read")

    ranged = as_register(token, x_v="9", HTTP_X_MIN_V="3")
    assert ranged.status_code == 200 and ranged["x-v"] == "5"
    assert_cdr_error(as_register(token, x_v=None), 400, "Header/Missing", "x-v")
    assert_cdr_error(as_register(token, x_v="five"), 400, "Header/InvalidVersion", "x-v")


def test_metrics_answer_with_the_interaction_id_sent(register_token, as_register):
    interaction = "3f2c4a1e-2b7d-4c9a-9e1f-5a6b7c8d9e0f"

    response = as_register(register_token("admin:metrics.basic:read"),
                           HTTP_X_FAPI_INTERACTION_ID=interaction)

    assert response.status_code == 200 and response["x-fapi-interaction-id"] == interaction
