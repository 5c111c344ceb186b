"""Every authenticated endpoint x every way in which access must be refused.

One place proves the authorization rules hold for every URL: a new endpoint is added to
`endpoints.ENDPOINTS` and inherits the whole matrix.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from security.consent.models import ArrangementStatus
from security.recipients.models import SoftwareProduct
from tests.cdr_schema import assert_cdr_response
from tests.conftest import assert_cdr_error
from tests.resources.endpoints import ENDPOINTS, Endpoint
from transactions.models import Payee, Transaction


@pytest.fixture
def refs(bank):
    """Jane's everyday account, one of its transactions, and one of her payees."""
    account = bank.account("jane.citizen", "Everyday Account")
    return {
        "account": account.pk,
        "transaction": Transaction.objects.filter(account=account).values_list("pk", flat=True).first(),
        "payee": Payee.objects.filter(customer=bank.customer("jane.citizen")).values_list("pk", flat=True).first(),
    }


def call(cdr, endpoint: Endpoint, g, refs, *, version=None, **extra):
    return cdr(endpoint.method, endpoint.url(g, refs), g, x_v=str(version or endpoint.versions[-1]),
               data=endpoint.data(g, refs), **extra)


@pytest.fixture(params=ENDPOINTS, ids=str)
def endpoint(request) -> Endpoint:
    return request.param


def test_every_version_answers_schema_valid_with_its_version(endpoint, grant, cdr, refs):
    g = grant("jane.citizen")
    interaction = str(uuid.uuid4())
    for version in endpoint.versions:
        response = call(cdr, endpoint, g, refs, version=version, HTTP_X_FAPI_INTERACTION_ID=interaction)
        assert response.status_code == 200, response.content[:300]
        assert response["x-fapi-interaction-id"] == interaction
        assert_cdr_response(response, endpoint.operation_id, version=version)


def test_no_token_is_401_with_a_bearer_challenge(endpoint, grant, cdr, refs):
    g = grant("jane.citizen")
    response = cdr(endpoint.method, endpoint.url(g, refs), None, x_v=str(endpoint.versions[-1]),
                   data=endpoint.data(g, refs))
    assert_cdr_error(response, 401, "GeneralError/Expected")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("how", ["unknown", "expired", "in_query", "basic_scheme"])
def test_invalid_tokens_are_401(endpoint, grant, cdr, refs, how):
    g = grant("jane.citizen", token_seconds=-1 if how == "expired" else 600)
    extra = {}
    if how == "unknown":
        extra["HTTP_AUTHORIZATION"] = "Bearer " + "x" * 43
    elif how == "in_query":
        extra["HTTP_AUTHORIZATION"] = None
        extra["QUERY_STRING"] = f"access_token={g.token}"
    elif how == "basic_scheme":
        extra["HTTP_AUTHORIZATION"] = f"Basic {g.token}"
    url = endpoint.url(g, refs) + (f"?access_token={g.token}" if how == "in_query" else "")
    response = cdr(endpoint.method, url, g, x_v=str(endpoint.versions[-1]), data=endpoint.data(g, refs),
                   **{k: v for k, v in extra.items() if k != "QUERY_STRING"})
    if how == "in_query" and endpoint.method == "get":
        # RFC 9700 transport rule: a token in the URL is not accepted (and the parameter is
        # not one of ours either): never a 200.
        assert response.status_code in {400, 401}
    else:
        assert_cdr_error(response, 401, "GeneralError/Expected")


def test_wrong_scope_is_invalid_consent(endpoint, grant, cdr, refs):
    others = [scope for scope in (e.scope for e in ENDPOINTS) if scope != endpoint.scope]
    g = grant("jane.citizen", scopes=sorted(set(others)))
    assert_cdr_error(call(cdr, endpoint, g, refs), 403, "Authorisation/InvalidConsent")


def test_a_token_cannot_widen_its_arrangement(endpoint, grant, cdr, refs):
    others = sorted({e.scope for e in ENDPOINTS} - {endpoint.scope})
    g = grant("jane.citizen", scopes=others, token_scopes=[*others, endpoint.scope])
    assert_cdr_error(call(cdr, endpoint, g, refs), 403, "Authorisation/InvalidConsent")


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ("revoked", "Authorisation/RevokedConsent"),
        ("expired", "Authorisation/RevokedConsent"),
        ("expired_status", "Authorisation/RevokedConsent"),
        ("pending", "Authorisation/InvalidConsent"),
    ],
)
def test_arrangement_states(endpoint, grant, cdr, refs, state, code):
    kwargs = {
        "revoked": {"status": ArrangementStatus.REVOKED},
        "expired": {"sharing_days": -1},
        "expired_status": {"status": ArrangementStatus.EXPIRED},
        "pending": {"status": ArrangementStatus.PENDING},
    }[state]
    g = grant("jane.citizen", **kwargs)
    assert_cdr_error(call(cdr, endpoint, g, refs), 403, code)


@pytest.mark.parametrize(
    ("product_status", "recipient_status", "detail"),
    [
        ("INACTIVE", "ACTIVE", "Software product status: INACTIVE"),
        ("REMOVED", "ACTIVE", "Software product status: REMOVED"),
        ("ACTIVE", "SUSPENDED", "Data recipient status: SUSPENDED"),
        ("ACTIVE", "REVOKED", "Data recipient status: REVOKED"),
    ],
)
def test_inactive_recipients_are_refused(endpoint, grant, cdr, refs, make_product, product_status,
                                         recipient_status, detail):
    sp = make_product(status=product_status, recipient_status=recipient_status)
    g = grant("jane.citizen", software_product=sp)
    assert_cdr_error(call(cdr, endpoint, g, refs), 403, "Authorisation/AdrStatusNotActive", detail)


@pytest.mark.parametrize(
    ("headers", "code", "detail"),
    [
        ({"HTTP_X_FAPI_AUTH_DATE": None}, "Header/Missing", "x-fapi-auth-date"),
        ({"HTTP_X_FAPI_AUTH_DATE": "2026-11-28"}, "Header/Invalid", "x-fapi-auth-date"),
        ({"HTTP_X_FAPI_CUSTOMER_IP_ADDRESS": "203.0.113.9"}, "Header/Missing", "x-cds-client-headers"),
        ({"HTTP_X_FAPI_CUSTOMER_IP_ADDRESS": "not-an-ip", "HTTP_X_CDS_CLIENT_HEADERS": "YQ=="},
         "Header/Invalid", "x-fapi-customer-ip-address"),
        ({"HTTP_X_FAPI_CUSTOMER_IP_ADDRESS": "203.0.113.9", "HTTP_X_CDS_CLIENT_HEADERS": "%%%"},
         "Header/Invalid", "x-cds-client-headers"),
        ({"HTTP_X_FAPI_INTERACTION_ID": "not-a-uuid"}, "Header/Invalid", "x-fapi-interaction-id"),
    ],
)
def test_fapi_headers_are_required_and_checked(endpoint, grant, cdr, refs, headers, code, detail):
    g = grant("jane.citizen")
    assert_cdr_error(call(cdr, endpoint, g, refs, **headers), 400, code, detail)


def test_unknown_query_parameter_is_named(endpoint, grant, cdr, refs):
    g = grant("jane.citizen")
    url = endpoint.url(g, refs) + "?debug=true"
    response = cdr(endpoint.method, url, g, x_v=str(endpoint.versions[-1]), data=endpoint.data(g, refs))
    assert_cdr_error(response, 400, "Field/Invalid", "debug")


def test_certificate_bound_token_needs_its_certificate(endpoint, grant, cdr, refs):
    g = grant("jane.citizen", thumbprint="A" * 43)
    assert_cdr_error(call(cdr, endpoint, g, refs), 401, "GeneralError/Expected")


def test_token_of_another_client_does_not_use_this_arrangement(endpoint, grant, cdr, refs, make_product):
    g = grant("jane.citizen")
    other = make_product("Other App")
    g.access_token.application = other.client
    g.access_token.save()
    assert_cdr_error(call(cdr, endpoint, g, refs), 401, "GeneralError/Expected")


def test_customer_presence_is_recorded(endpoint, grant, cdr, refs, caplog):
    g = grant("jane.citizen")
    with caplog.at_level(logging.INFO, logger="bank.api.access"):
        call(cdr, endpoint, g, refs)
        call(cdr, endpoint, g, refs, present=True)
    records = [r for r in caplog.records if getattr(r, "event", "") == "cdr.resource_call"]
    assert [(r.customer_present, r.status) for r in records] == [(False, 200), (True, 200)]
    assert all(g.token not in r.getMessage() and g.token not in str(r.__dict__) for r in records)


# Outside the per-endpoint matrix --------------------------------------------------------
def _cdr_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _cdr_patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def test_every_authenticated_url_is_in_the_matrix():
    from bank.api.views import AuthenticatedCdrApi

    served = set()
    for route, pattern in _cdr_patterns():
        view = getattr(pattern.callback, "view_class", None)
        if view is not None and issubclass(view, AuthenticatedCdrApi):
            path = route.removeprefix("cds-au/v1/")
            for name in ("account_id", "transaction_id", "payee_id"):
                path = path.replace(f"<str:{name}>", "{" + name.removesuffix("_id") + "}")
            for method in ("get", "post"):
                if hasattr(view, method):
                    served.add((method, path))
    listed = {(e.method, e.path) for e in ENDPOINTS}
    assert served == listed


def test_software_product_status_is_read_per_request(grant, cdr, refs):
    g = grant("jane.citizen")
    endpoint = ENDPOINTS[0]
    assert call(cdr, endpoint, g, refs).status_code == 200
    SoftwareProduct.objects.filter(pk=g.product.pk).update(status="INACTIVE")
    assert_cdr_error(call(cdr, endpoint, g, refs), 403, "Authorisation/AdrStatusNotActive")


def test_revocation_takes_effect_on_the_next_call(grant, cdr, refs):
    g = grant("jane.citizen")
    endpoint = ENDPOINTS[0]
    assert call(cdr, endpoint, g, refs).status_code == 200
    g.arrangement.status = ArrangementStatus.REVOKED
    g.arrangement.revoked_at = timezone.now()
    g.arrangement.save()
    assert_cdr_error(call(cdr, endpoint, g, refs), 403, "Authorisation/RevokedConsent")


def test_expiry_takes_effect_without_a_job(grant, cdr, refs):
    g = grant("jane.citizen")
    g.arrangement.sharing_expires_at = timezone.now() - timedelta(seconds=1)
    g.arrangement.save()
    assert_cdr_error(call(cdr, ENDPOINTS[0], g, refs), 403, "Authorisation/RevokedConsent")


def test_version_negotiation(endpoint, grant, cdr, refs):
    g = grant("jane.citizen")
    low, high = min(endpoint.versions), max(endpoint.versions)
    ranged = call(cdr, endpoint, g, refs, version=high + 5, x_min_v=str(low))
    assert ranged.status_code == 200 and ranged["x-v"] == str(high)
    if low > 1:
        assert_cdr_error(call(cdr, endpoint, g, refs, version=low - 1), 406, "Header/UnsupportedVersion")
    assert_cdr_error(call(cdr, endpoint, g, refs, version=high + 1), 406, "Header/UnsupportedVersion")
    assert_cdr_error(call(cdr, endpoint, g, refs, version="0"), 400, "Header/InvalidVersion")
    assert_cdr_error(call(cdr, endpoint, g, refs, HTTP_X_V=None), 400, "Header/Missing", "x-v")


NAMING_A_RESOURCE = [e for e in ENDPOINTS if e.body or "{" in e.path]


@pytest.mark.parametrize("endpoint", NAMING_A_RESOURCE, ids=str)
def test_another_customers_resources_are_not_found(endpoint, bank, grant, cdr, refs):
    """Priya's account, transaction and payee, with IDs minted for Priya and this product."""
    jane = grant("jane.citizen")
    priya = grant("priya.sharma", software_product=jane.product)
    priya_account = bank.account("priya.sharma", "Everyday Account")
    priya_refs = {
        "account": priya_account.pk,
        "transaction": Transaction.objects.filter(account=priya_account).values_list("pk", flat=True).first(),
        "payee": Payee.objects.filter(customer=bank.customer("priya.sharma")).values_list("pk", flat=True).first(),
    }
    # What Priya's token sees under these IDs works...
    assert call(cdr, endpoint, priya, priya_refs).status_code == 200
    # ...and Jane's token with the very same URL and body gets the not-found answer.
    url = endpoint.url(priya, priya_refs)
    response = cdr(endpoint.method, url, jane, x_v=str(endpoint.versions[-1]), data=endpoint.data(priya, priya_refs))
    if endpoint.body:
        assert_cdr_error(response, 422, "urn:au-cds:error:cds-banking:Authorisation/InvalidBankingAccount")
    elif "{account}" in endpoint.path:
        assert_cdr_error(response, 404, "urn:au-cds:error:cds-banking:Authorisation/InvalidBankingAccount")
    else:
        assert_cdr_error(response, 404, "Resource/Invalid")


class _TlsSocket:
    """What gunicorn puts in the WSGI environ for a TLS connection with a client cert."""

    def __init__(self, der: bytes) -> None:
        self.der = der

    def getpeercert(self, binary_form: bool = False) -> bytes:
        return self.der


def test_certificate_bound_tokens_work_on_their_connection_only(grant, cdr, refs):
    from security.mtls import certificate_thumbprint

    der = b"0\x82 client certificate DER bytes"
    g = grant("jane.citizen", thumbprint=certificate_thumbprint(der))
    endpoint = ENDPOINTS[0]
    assert call(cdr, endpoint, g, refs, **{"gunicorn.socket": _TlsSocket(der)}).status_code == 200
    for other in (b"another certificate", b""):
        assert_cdr_error(call(cdr, endpoint, g, refs, **{"gunicorn.socket": _TlsSocket(other)}),
                         401, "GeneralError/Expected")


def test_unbound_tokens_are_refused_where_binding_is_required(grant, cdr, refs, settings):
    settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS = True
    endpoint = ENDPOINTS[0]
    response = call(cdr, endpoint, grant("jane.citizen"), refs)
    assert_cdr_error(response, 401, "GeneralError/Expected", "The access token is not certificate-bound.")
    from security.mtls import certificate_thumbprint

    der = b"bound"
    bound = grant("jane.citizen", thumbprint=certificate_thumbprint(der))
    assert call(cdr, endpoint, bound, refs, **{"gunicorn.socket": _TlsSocket(der)}).status_code == 200


def test_bearer_challenge_names_an_error_only_when_a_token_was_sent(grant, cdr, refs):
    endpoint = ENDPOINTS[0]
    g = grant("jane.citizen")
    none = cdr("get", endpoint.url(g, refs), None, x_v="3")
    assert none["WWW-Authenticate"] == 'Bearer realm="cdr"'
    bad = cdr("get", endpoint.url(g, refs), None, x_v="3", HTTP_AUTHORIZATION="Bearer nope")
    assert 'error="invalid_token"' in bad["WWW-Authenticate"]


def test_unauthenticated_posts_are_401_before_any_body_is_read(grant, cdr, refs):
    g = grant("jane.citizen")
    for body, content_type in (("{not json", "application/json"), ("a=b", "application/x-www-form-urlencoded")):
        response = cdr("post", "banking/accounts/balances", None, x_v="1", data=body, CONTENT_TYPE=content_type)
        assert_cdr_error(response, 401, "GeneralError/Expected")
    assert g  # the fixture data exists; only the credentials are missing
