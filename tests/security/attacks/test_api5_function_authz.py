"""API5:2023 Broken Function Level Authorization, against the live bank over mTLS.

- The CDR admin API (Get Metrics, Metadata Update) answers only the CDR Register's
  certificate-bound token with the operation's admin scope: a customer's access token, a
  recipient's registration token, no token, the Register's token on another certificate or
  with the other admin scope are refused; and the Register's token opens no customer data and
  no registration.
- DCR management (GET/PUT/DELETE /register/{client_id}) needs that very client's
  `cdr:registration` token: another client's (403 access_denied), a data-scope token of the same
  client (403 insufficient_scope), none (401 invalid_token).
- The staff console (/admin/) and the customer dashboard (/dashboard/) take no recipient or
  Register token: a bearer token opens no page.
- HTTP method tampering: PUT/DELETE/PATCH/POST on read endpoints are 405 in the CDR error
  format; X-HTTP-Method-Override is not honoured; HEAD and OPTIONS neither leak nor act.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.conftest import LiveBank
from tests.security.attacks.conftest import (
    Party,
    assert_no_internals,
    assert_security_headers,
    call,
    cdr_error,
    oauth_error,
    register_token,
    registration_token,
)

METRICS = "/cds-au/v1/admin/metrics"
METADATA = "/cds-au/v1/admin/register/metadata"
METADATA_BODY = {"data": {"action": "REFRESH"}, "meta": {}}


@pytest.fixture(scope="module")
def register_cert(live_bank: LiveBank) -> tuple[str, str]:
    """The certificate the (mock) CDR Register connects with."""
    return live_bank.pki.client("attack-register").pair


@pytest.fixture(scope="module")
def register_tokens(live_bank: LiveBank, register_cert: tuple[str, str]) -> dict[str, str]:
    return {scope: register_token(live_bank, register_cert, scope)
            for scope in ("admin:metrics.basic:read", "admin:metadata:update")}


def _admin(victim: Party, path: str, token: str | None, x_v: str, cert: tuple[str, str],
           method: str = "GET") -> requests.Response:
    kw = {"json": METADATA_BODY} if method == "POST" else {}
    return call(victim.recipient, path, token, x_v, cert=cert, method=method, **kw)


def test_the_register_reads_metrics_and_asks_for_a_metadata_update(
        victim: Party, register_cert: tuple[str, str], register_tokens: dict[str, str]) -> None:
    metrics = _admin(victim, METRICS, register_tokens["admin:metrics.basic:read"], "5",
                     register_cert)
    assert metrics.status_code == 200, metrics.text[:300]
    assert "availability" in metrics.json()["data"]
    update = _admin(victim, METADATA, register_tokens["admin:metadata:update"], "1",
                    register_cert, method="POST")
    assert update.status_code == 200, update.text[:300]


@pytest.mark.parametrize(("path", "x_v", "method"), [(METRICS, "5", "GET"),
                                                     (METADATA, "1", "POST")],
                         ids=["metrics", "metadata-update"])
def test_the_admin_api_refuses_everyone_but_the_register(
        victim: Party, attacker: Party, register_cert: tuple[str, str],
        register_tokens: dict[str, str], path: str, x_v: str, method: str) -> None:
    # No token: 401 with a challenge.
    anonymous = _admin(victim, path, None, x_v, victim.cert, method)
    cdr_error(anonymous, 401, "GeneralError/Expected")
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    # A customer's access token and a recipient's registration token: valid tokens, but not
    # the Register's.
    for token in (victim.access_token, registration_token(attacker.recipient)):
        cert = victim.cert if token == victim.access_token else attacker.cert
        cdr_error(_admin(victim, path, token, x_v, cert, method), 403,
                  "Authorisation/InvalidConsent")
    # The Register's own token with the other admin scope.
    other = ("admin:metadata:update" if path == METRICS else "admin:metrics.basic:read")
    cdr_error(_admin(victim, path, register_tokens[other], x_v, register_cert, method), 403,
              "Authorisation/InvalidConsent")
    # The Register's right token, stolen onto a recipient's certificate.
    right = register_tokens["admin:metrics.basic:read" if path == METRICS
                            else "admin:metadata:update"]
    cdr_error(_admin(victim, path, right, x_v, victim.cert, method), 401,
              "GeneralError/Expected")


@pytest.mark.parametrize(("path", "x_v"), [("banking/accounts", "3"), ("common/customer", "1"),
                                           ("banking/payees", "2"),
                                           ("banking/accounts/direct-debits", "2")])
def test_the_registers_token_opens_no_customer_data(
        victim: Party, register_cert: tuple[str, str], register_tokens: dict[str, str],
        path: str, x_v: str) -> None:
    for token in register_tokens.values():
        response = call(victim.recipient, path, token, x_v, cert=register_cert)
        # A valid token, but not for an arrangement.
        cdr_error(response, 403, "Authorisation/InvalidConsent")
        assert "data" not in response.json()


def test_the_register_cannot_get_data_or_registration_scopes(
        live_bank: LiveBank, register_cert: tuple[str, str]) -> None:
    for scope in ("bank:accounts.basic:read", "cdr:registration",
                  "admin:metrics.basic:read bank:accounts.basic:read", "openid"):
        with pytest.raises(AssertionError, match="invalid_scope"):
            register_token(live_bank, register_cert, scope)


def test_the_registers_token_manages_no_registration(
        victim: Party, register_cert: tuple[str, str], register_tokens: dict[str, str]) -> None:
    response = call(victim.recipient, f"/register/{victim.recipient.client_id}",
                    register_tokens["admin:metrics.basic:read"], None, cert=register_cert)
    oauth_error(response, 403, "access_denied")
    assert "software_statement" not in response.text


# --- DCR management -------------------------------------------------------------------------


def test_a_client_manages_its_own_registration(victim: Party) -> None:
    response = call(victim.recipient, f"/register/{victim.recipient.client_id}",
                    registration_token(victim.recipient), None)
    assert response.status_code == 200
    assert response.json()["client_id"] == victim.recipient.client_id


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_another_clients_registration_token_is_access_denied(victim: Party, attacker: Party,
                                                             method: str) -> None:
    path = f"/register/{victim.recipient.client_id}"
    token = registration_token(attacker.recipient)
    kw: dict[str, Any] = ({"data": "e30.e30.", "headers": {"Content-Type": "application/jwt"}}
                          if method == "PUT" else {})
    response = call(attacker.recipient, path, token, None, method=method, **kw)
    body = oauth_error(response, 403, "access_denied")
    assert "software_statement" not in body and victim.recipient.client_id not in response.text
    # Nothing happened to the victim's registration.
    assert call(victim.recipient, path, registration_token(victim.recipient),
                None).status_code == 200
    assert call(victim.recipient, "banking/accounts", victim.access_token, "3").status_code == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_data_scope_token_does_not_manage_the_registration(victim: Party, method: str) -> None:
    path = f"/register/{victim.recipient.client_id}"
    kw: dict[str, Any] = ({"data": "e30.e30.", "headers": {"Content-Type": "application/jwt"}}
                          if method == "PUT" else {})
    response = call(victim.recipient, path, victim.access_token, None, method=method, **kw)
    oauth_error(response, 403, "insufficient_scope")
    assert 'scope="cdr:registration"' in response.headers.get("WWW-Authenticate", "")
    assert call(victim.recipient, path, registration_token(victim.recipient),
                None).status_code == 200


@pytest.mark.parametrize("how", ["none", "garbage", "other-certificate"])
def test_registration_management_without_a_usable_token_is_invalid_token(
        victim: Party, attacker: Party, how: str) -> None:
    path = f"/register/{victim.recipient.client_id}"
    token = {"none": None, "garbage": "x" * 43,
             "other-certificate": registration_token(victim.recipient)}[how]
    cert = attacker.cert if how == "other-certificate" else None
    response = call(victim.recipient, path, token, None, cert=cert)
    oauth_error(response, 401, "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_client_id_is_invalid_token(victim: Party) -> None:
    """cds_dcr.json: 401 for an unknown client. (A foreign but existing client_id is 403
    above: that tells a registered client that the ID exists, which OAuth does not treat
    as a secret: client IDs travel in front-channel URLs.)"""
    token = registration_token(victim.recipient)
    for client_id in ("no-such-client", "%2E%2E", "' OR 1=1 --", "x" * 300):
        unknown = call(victim.recipient, f"/register/{client_id}", token, None)
        oauth_error(unknown, 401, "invalid_token")
        assert "software_statement" not in unknown.text


# --- the staff console and the customer dashboard ----------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/admin/security/", "/admin/auth/user/",
                                  "/admin/staff/", "/admin/oauth2_provider/accesstoken/"])
def test_the_staff_console_takes_no_recipient_token(victim: Party, attacker: Party,
                                                    register_cert: tuple[str, str],
                                                    register_tokens: dict[str, str],
                                                    path: str) -> None:
    for token, cert in ((victim.access_token, victim.cert),
                        (registration_token(attacker.recipient), attacker.cert),
                        (register_tokens["admin:metrics.basic:read"], register_cert)):
        response = call(victim.recipient, path, token, None, cert=cert)
        # To the sign-in page, never a console page.
        assert response.status_code == 302, (path, response.status_code)
        assert response.headers["Location"] == f"/admin/login/?next={path}"
        assert "csrfmiddlewaretoken" not in response.text
        assert_security_headers(response)


@pytest.mark.parametrize(("path", "status"), [("/dashboard/", 303),
                                              ("/dashboard/arrangements/", 404)])
def test_the_customer_dashboard_takes_no_recipient_token(live_bank: LiveBank, victim: Party,
                                                         path: str, status: int) -> None:
    response = requests.get(f"{live_bank.url}{path}", verify=str(live_bank.ca), timeout=15,
                            allow_redirects=False,
                            headers={"Authorization": f"Bearer {victim.access_token}"})
    assert response.status_code == status, (path, response.status_code)
    if status == 303:
        assert response.headers["Location"] == "/dashboard/login"
    assert victim.arrangement_id not in response.text
    assert "jane" not in response.text.lower()
    assert_security_headers(response)


def test_the_console_does_not_exist_on_the_public_listener(live_bank: LiveBank) -> None:
    response = requests.get(f"{live_bank.url}/admin/", verify=str(live_bank.ca), timeout=15,
                            allow_redirects=False)
    cdr_error(response, 404, "Resource/NotFound")


# --- HTTP method tampering -----------------------------------------------------------------

READ_ENDPOINTS = [("banking/accounts", "3"), ("common/customer", "1"), ("banking/payees", "2"),
                  ("banking/accounts/{account}", "5"), ("banking/accounts/{account}/balance", "1"),
                  ("banking/accounts/{account}/transactions", "2")]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "POST"])
@pytest.mark.parametrize(("path", "x_v"), READ_ENDPOINTS, ids=[p for p, _ in READ_ENDPOINTS])
def test_writes_on_read_endpoints_are_405(victim: Party, path: str, x_v: str,
                                          method: str) -> None:
    url = path.format(account=victim.account_ids[0])
    response = call(victim.recipient, url, victim.access_token, x_v, method=method,
                    json={"data": {"accountIds": [victim.account_ids[0]]}})
    cdr_error(response, 405, "GeneralError/Expected")
    assert victim.account_ids[0] not in response.text
    # ...and the resource is still there.
    assert call(victim.recipient, url, victim.access_token, x_v).status_code == 200


@pytest.mark.parametrize("override", ["DELETE", "PUT", "PATCH", "GET"])
@pytest.mark.parametrize("header", ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"])
def test_method_override_headers_are_not_honoured(victim: Party, override: str,
                                                  header: str) -> None:
    # A read with an override to a write stays a read.
    read = call(victim.recipient, "banking/accounts", victim.access_token, "3",
                headers={header: override})
    assert read.status_code == 200
    # A write with an override to a read stays a refused write.
    write = call(victim.recipient, "banking/accounts", victim.access_token, "3", method="POST",
                 headers={header: override}, json={})
    cdr_error(write, 405, "GeneralError/Expected")


def test_head_and_options_neither_leak_nor_bypass(victim: Party) -> None:
    head = call(victim.recipient, "banking/accounts", victim.access_token, "3", method="HEAD")
    assert head.status_code == 200
    assert head.content == b""
    assert_security_headers(head)
    anonymous_head = call(victim.recipient, "banking/accounts", None, "3", method="HEAD")
    assert anonymous_head.status_code == 401
    for token in (victim.access_token, None):
        options = call(victim.recipient, "banking/accounts", token, "3", method="OPTIONS")
        # No CORS preflight on authenticated endpoints (CORS is open on public ones only).
        cdr_error(options, 405, "GeneralError/Expected")
        assert options.headers["Allow"] == "GET, HEAD"
        assert "Access-Control-Allow-Origin" not in options.headers
        assert victim.account_ids[0] not in options.text
        assert_security_headers(options)
        assert_no_internals(options)


@pytest.mark.parametrize(("endpoint", "method"), [
    ("token_endpoint", "GET"), ("token_endpoint", "PUT"),
    ("pushed_authorization_request_endpoint", "GET"),
    ("introspection_endpoint", "GET"), ("revocation_endpoint", "DELETE"),
    ("cdr_arrangement_revocation_endpoint", "GET"),
    ("cdr_arrangement_revocation_endpoint", "DELETE"), ("registration_endpoint", "GET"),
    ("registration_endpoint", "DELETE"),
])
def test_oauth_endpoints_take_their_own_method_only(victim: Party, endpoint: str,
                                                    method: str) -> None:
    url = victim.recipient.discovery()[endpoint]
    response = requests.request(method, url, verify=victim.recipient.verify,
                                cert=victim.cert, timeout=15, allow_redirects=False,
                                params={"cdr_arrangement_id": victim.arrangement_id})
    assert response.status_code == 405, (endpoint, method, response.status_code)
    assert_security_headers(response)
    assert_no_internals(response)
    assert call(victim.recipient, "banking/accounts", victim.access_token, "3").status_code == 200
