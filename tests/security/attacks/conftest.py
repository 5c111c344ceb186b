"""Shared fixtures of the attack suite (issue 11): the live bank over real TLS and mTLS, and two
data recipients a tester plays with.

- `live_bank`: tests/e2e/conftest.py's bank (gunicorn, demo PKI, its own SQLite database), one per
  session.
- `victim` and `attacker`: two registered software products (different brands, different client
  certificates), each with a consented arrangement for a DIFFERENT demo customer (jane.citizen
  and john.citizen) over every scope a bank API has, and the IDs that recipient sees.
- `authorize(...)`: a further consent (another customer, fewer scopes, fewer accounts...) for a
  recipient, as a `Party`. Tests that revoke or break an arrangement make their own with it and
  leave `victim`'s and `attacker`'s intact: other modules share them.
- `call(...)`: one request to the mTLS listener, as a recipient (its certificate by default).
- `cdr_error(...)`, `oauth_error(...)`, `assert_security_headers(...)`, `assert_no_leak(...)`:
  what every attack test checks about the answer.
- JWT tools for forged credentials: `sign_with` (any key, any alg jwcrypto knows), `hs256` (the
  public-key-as-HMAC-secret confusion), `jwt_compact` (alg none, hand-made headers);
  `assertion_claims` / `request_object_claims` (valid claims to spoil), `client_post` (a
  client-authenticated endpoint with a chosen assertion), `consent_code` (a code not yet
  redeemed), `registration_token` (cdr:registration), `register_token` (the CDR Register's
  admin token, signed with the mock Register's key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from jwcrypto import jwk, jws

from bank_client.demo_customer import DemoCustomer
from bank_client.recipient import Recipient
from tests.cdr_error_table import TITLES
from tests.e2e.conftest import LiveBank, live_bank, registered_recipient

__all__ = ["live_bank"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Every CDR data scope of the banking and common APIs, plus the OIDC ones.
FULL_SCOPE = ("openid profile bank:accounts.basic:read bank:accounts.detail:read "
              "bank:transactions:read bank:payees:read bank:regular_payments:read "
              "common:customer.basic:read common:customer.detail:read")
#: The basic scopes only (no account, customer or payee detail).
BASIC_SCOPE = ("openid profile bank:accounts.basic:read bank:transactions:read "
               "common:customer.basic:read")

#: What every answer of the bank carries (security/headers.py), whatever the outcome.
SECURITY_HEADERS = {
    "Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options",
    "X-Frame-Options", "Cache-Control", "Referrer-Policy", "Cross-Origin-Resource-Policy",
}
#: Text that would mean an error page leaked internals.
_INTERNALS = ("Traceback", "File \"/", "django.", "sqlite3", "psycopg", "OperationalError",
              "IntegrityError", "<!DOCTYPE html", "Exception Value")


@dataclass
class Party:
    """One recipient's view of one customer's arrangement."""

    name: str
    recipient: Recipient
    username: str
    scope: str
    token: dict[str, Any]
    account_ids: list[str] = field(default_factory=list)
    #: account ID -> transaction IDs (those with detail available) of that account.
    transaction_ids: dict[str, list[str]] = field(default_factory=dict)
    payee_ids: list[str] = field(default_factory=list)

    @property
    def access_token(self) -> str:
        """The access token, refreshed first when under a minute of its 5 minutes is left
        (the suite outlives one; refreshing leaves earlier access tokens valid)."""
        refresh = self.token.get("refresh_token")
        if refresh and float(self.token.get("expires_at", 0)) - time.time() < 60:
            self.token = {**self.token, **self.recipient.refresh(refresh)}
        return str(self.token["access_token"])

    @property
    def arrangement_id(self) -> str:
        return str(self.token["cdr_arrangement_id"])

    @property
    def cert(self) -> tuple[str, str]:
        assert self.recipient.cert is not None
        return self.recipient.cert

    @property
    def some_transaction(self) -> tuple[str, str]:
        """(account ID, transaction ID) of one transaction with detail."""
        return next((account, ids[0]) for account, ids in self.transaction_ids.items() if ids)

    def all_ids(self) -> list[str]:
        """Every resource ID this party has seen (to check none leaks to another)."""
        tx = [t for ids in self.transaction_ids.values() for t in ids]
        return [*self.account_ids, *tx, *self.payee_ids]


def fapi_date() -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())


def call(recipient: Recipient, path: str, token: str | None, x_v: str | None,
         cert: tuple[str, str] | None = None, method: str = "GET",
         **kw: Any) -> requests.Response:
    """One request to the mTLS listener as `recipient` (its certificate unless `cert`).

    `path`: relative to /cds-au/v1/ ("banking/accounts"), or from the root when it starts with
    "/" ("/register/..."). `token` None sends no Authorization header, `x_v` None no x-v.
    `headers=` adds or replaces headers (a None value removes a default one); any other keyword
    goes to requests (json=, data=, params=, allow_redirects=...)."""
    url = (recipient.resource_url + path if path.startswith("/")
           else f"{recipient.resource_url}/cds-au/v1/{path}")
    headers: dict[str, str | None] = {"x-fapi-auth-date": fapi_date()}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if x_v is not None:
        headers["x-v"] = x_v
    headers.update(kw.pop("headers", {}))
    sent = {k: v for k, v in headers.items() if v is not None}
    timeout = kw.pop("timeout", 15)
    kw.setdefault("allow_redirects", False)
    return requests.request(method, url, headers=sent, verify=recipient.verify,
                            cert=cert if cert is not None else recipient.cert, timeout=timeout,
                            **kw)


def assert_security_headers(response: requests.Response) -> None:
    missing = {name for name in SECURITY_HEADERS if name not in response.headers}
    assert not missing, f"{response.status_code} {response.url} lacks {sorted(missing)}"
    assert "Server" not in response.headers and "X-Powered-By" not in response.headers


def assert_no_internals(response: requests.Response) -> None:
    for text in _INTERNALS:
        assert text not in response.text, f"{response.url} body shows {text!r}"


def assert_no_leak(response: requests.Response, *values: str) -> None:
    """None of the given values (another party's IDs, tokens...) appears in the answer."""
    for value in values:
        if value:
            assert value not in response.text, f"{response.url} leaks {value[:6]}..."
            assert all(value not in v for v in response.headers.values())


def cdr_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """The answer is a CDS error: this status, one error of this code (a bare `Field/Missing`
    means cds-all) with the standard's title, the security headers, no internals."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers.get("Content-Type", "").startswith("application/json"), (
        response.headers.get("Content-Type"), response.text[:200])
    assert "x-fapi-interaction-id" in response.headers
    body = response.json()
    assert set(body) == {"errors"} and len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    full_code = code if code.startswith("urn:") else f"urn:au-cds:error:cds-all:{code}"
    assert error["code"] == full_code, error
    assert error["title"] == TITLES[full_code]
    assert_security_headers(response)
    assert_no_internals(response)
    return error


def oauth_error(response: requests.Response, status: int, error: str | set[str]) -> dict[str, Any]:
    """An OAuth 2.0 error answer (RFC 6749 5.2): status, `error`, no internals."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    body: dict[str, Any] = response.json()
    wanted = {error} if isinstance(error, str) else error
    assert body.get("error") in wanted, body
    assert_security_headers(response)
    assert_no_internals(response)
    return body


def consent_code(bank: LiveBank, recipient: Recipient, *, username: str,
                 scope: str = FULL_SCOPE, sharing_duration: int = 86_400,
                 accounts: list[str] | None = None) -> tuple[str, str]:
    """PAR and the customer's approval, stopping before the token request:
    (authorization code, PKCE code_verifier)."""
    request_uri, verifier, state = recipient.par(scope=scope, sharing_duration=sharing_duration)
    to_consent = requests.get(recipient.authorize_url(request_uri), verify=str(bank.ca),
                              allow_redirects=False, timeout=15)
    assert to_consent.status_code == 303, to_consent.text[:300]
    consent_url = urljoin(recipient.authorize_url(request_uri), to_consent.headers["Location"])
    customer = DemoCustomer(bank.url, ca_bundle=str(bank.ca), outbox=bank.outbox,
                            username=username, password=bank.password(username))
    redirect = customer.consent(consent_url, redirect_uri=recipient.redirect_uri,
                                accounts=accounts)
    claims = recipient.jarm(redirect, state=state)
    return str(claims["code"]), verifier


def authorize(bank: LiveBank, recipient: Recipient, *, username: str, scope: str = FULL_SCOPE,
              sharing_duration: int = 86_400, accounts: list[str] | None = None,
              name: str = "", discover: bool = True) -> Party:
    """A new arrangement: PAR, the customer's consent on the pages (every account offered, or
    those whose label contains one of `accounts`), token; with `discover`, the IDs the
    recipient then sees (accounts, transactions, payees, as far as the scope allows)."""
    code, verifier = consent_code(bank, recipient, username=username, scope=scope,
                                  sharing_duration=sharing_duration, accounts=accounts)
    token = recipient.token(code=code, code_verifier=verifier)
    party = Party(name=name or username, recipient=recipient, username=username, scope=scope,
                  token=token)
    if discover:
        _discover(party)
    return party


def _discover(party: Party) -> None:
    granted = set(party.scope.split())
    recipient, token = party.recipient, party.access_token
    accounts = recipient.api("banking/accounts", token, x_v="3")
    assert accounts.status_code == 200, accounts.text[:300]
    party.account_ids = [a["accountId"] for a in accounts.json()["data"]["accounts"]]
    if "bank:transactions:read" in granted:
        for account_id in party.account_ids:
            rows = recipient.api(f"banking/accounts/{account_id}/transactions", token, x_v="2")
            assert rows.status_code == 200, rows.text[:300]
            party.transaction_ids[account_id] = [
                t["transactionId"] for t in rows.json()["data"]["transactions"]
                if t.get("transactionId")]
    if "bank:payees:read" in granted:
        payees = recipient.api("banking/payees", token, x_v="2")
        assert payees.status_code == 200, payees.text[:300]
        party.payee_ids = [p["payeeId"] for p in payees.json()["data"]["payees"]]


def registration_token(recipient: Recipient) -> str:
    """A client-credentials access token with `cdr:registration` (DCR management, CDS)."""
    session = recipient.session()
    token = session.fetch_token(recipient.discovery()["token_endpoint"],
                                grant_type="client_credentials", scope="cdr:registration",
                                verify=recipient.verify, cert=recipient.cert, timeout=15)
    return str(token["access_token"])


def jwt_compact(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A JWS assembled by hand, for what no library will sign (alg none, HS256 with a
    public key as the secret, odd headers)."""
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{b64(signature)}"


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """An HS256 JWS with `secret` as the HMAC key (the key-confusion attack: the secret is
    the victim's public key, as PEM or JWK bytes)."""
    unsigned = jwt_compact({**header, "alg": "HS256"}, claims).rsplit(".", 1)[0]
    mac = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    return f"{unsigned}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def sign_with(key: jwk.JWK, claims: dict[str, Any], *, alg: str = "PS256",
              header: dict[str, Any] | None = None) -> str:
    """A JWS signed by `key` (any algorithm jwcrypto knows), header as given (default: alg
    and the key's kid)."""
    protected = {"alg": alg, "kid": key.get("kid"), **(header or {})}
    token = jws.JWS(json.dumps(claims).encode())
    token.add_signature(key, alg=alg, protected=json.dumps(protected))
    return str(token.serialize(compact=True))


def assertion_claims(recipient: Recipient, *, audience: str | None = None) -> dict[str, Any]:
    """The claims of a valid private_key_jwt client assertion for `recipient` (RFC 7523)."""
    now = int(time.time())
    return {"iss": recipient.client_id, "sub": recipient.client_id,
            "aud": audience or recipient.discovery()["token_endpoint"], "iat": now,
            "exp": now + 120, "jti": str(uuid.uuid4())}


def request_object_claims(recipient: Recipient, **changes: Any) -> dict[str, Any]:
    """The claims of a valid request object for a PAR (FAPI 1.0 Adv, CDS), with `changes`
    (a None value removes the claim)."""
    now = int(time.time())
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    claims = {
        "iss": recipient.client_id, "aud": recipient.discovery()["issuer"],
        "client_id": recipient.client_id, "iat": now, "nbf": now, "exp": now + 300,
        "jti": str(uuid.uuid4()), "response_type": "code", "response_mode": "jwt",
        "redirect_uri": recipient.redirect_uri, "scope": "openid bank:accounts.basic:read",
        "state": "s", "nonce": "n",
        "code_challenge": base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        "claims": {"sharing_duration": 3600,
                   "id_token": {"acr": {"essential": True, "values": ["urn:cds.au:cdr:3"]}}},
        **changes,
    }
    return {k: v for k, v in claims.items() if v is not None}


def client_post(recipient: Recipient, endpoint: str, data: dict[str, str], *,
                assertion: str | None, cert: tuple[str, str] | None = None,
                **kw: Any) -> requests.Response:
    """A form POST to one of the bank's client-authenticated endpoints (a discovery name:
    token_endpoint, pushed_authorization_request_endpoint, introspection_endpoint,
    revocation_endpoint, cdr_arrangement_revocation_endpoint) with this client assertion
    (None: no client authentication at all)."""
    form = dict(data)
    if assertion is not None:
        form.update(client_assertion_type=ASSERTION_TYPE, client_assertion=assertion)
    return requests.post(recipient.discovery()[endpoint], data=form, verify=recipient.verify,
                         cert=cert if cert is not None else recipient.cert, timeout=15,
                         allow_redirects=False, **kw)


def register_token(bank: LiveBank, cert: tuple[str, str], scope: str) -> str:
    """An access token of the CDR Register (client_credentials, admin scopes), signed with
    the mock Register's own key, bound to `cert`."""
    key = jwk.JWK.from_pem(sorted((bank.workdir / "register-keys").glob("ps256-*.pem"))[-1]
                           .read_bytes())
    token_url = f"{bank.mtls_url}/token"
    now = int(time.time())
    claims = {"iss": "cdr-register", "sub": "cdr-register", "aud": token_url, "iat": now,
              "exp": now + 120, "jti": str(uuid.uuid4())}
    assertion = sign_with(key, claims, header={"kid": key.thumbprint()})
    response = requests.post(token_url, data={
        "grant_type": "client_credentials", "scope": scope,
        "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion,
    }, verify=str(bank.ca), cert=cert, timeout=15)
    assert response.status_code == 200, response.text[:300]
    return str(response.json()["access_token"])


@pytest.fixture(scope="session")
def victim_recipient(live_bank: LiveBank) -> Iterator[Recipient]:
    with registered_recipient(live_bank, certificate="attack-victim", name="Victim Budgets",
                              scope=FULL_SCOPE) as recipient:
        yield recipient


@pytest.fixture(scope="session")
def attacker_recipient(live_bank: LiveBank) -> Iterator[Recipient]:
    with registered_recipient(live_bank, certificate="attack-attacker", name="Attacker Insights",
                              scope=FULL_SCOPE) as recipient:
        yield recipient


@pytest.fixture(scope="session")
def victim(live_bank: LiveBank, victim_recipient: Recipient) -> Party:
    """jane.citizen's arrangement with the victim recipient (every scope, every account)."""
    party = authorize(live_bank, victim_recipient, username="jane.citizen", name="victim")
    assert party.account_ids and party.payee_ids and party.transaction_ids
    return party


@pytest.fixture(scope="session")
def attacker(live_bank: LiveBank, attacker_recipient: Recipient) -> Party:
    """john.citizen's arrangement with the attacker recipient (every scope, every account)."""
    party = authorize(live_bank, attacker_recipient, username="john.citizen", name="attacker")
    assert party.account_ids
    return party
