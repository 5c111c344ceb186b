"""API2:2023 Broken Authentication, against the live bank over mTLS.

- Resource calls: no, malformed, unknown, expired, revoked, ID/refresh tokens as access
  tokens, a token bound to certificate A presented with certificate B, no certificate at all:
  401 GeneralError/Expected with a Bearer challenge (or no TLS handshake).
- Client authentication (private_key_jwt, RFC 7523): assertions with `alg: none`, HS256 keyed
  with the client's public key (PEM and JWK bytes), RS256, the wrong audience, expired, `iat`
  or `nbf` in the future, too long-lived, replayed `jti`, another client's `kid` or key, keys
  in the header, missing claims, `sub` or `client_id` not the issuer, secrets or HTTP Basic
  instead: 401 `invalid_client`.
- Request objects (PAR) with the same flaws: 400 `invalid_request_object`.
- DCR request JWTs with the same flaws: 400 `invalid_client_metadata`; forged SSAs: 400
  `invalid_software_statement`.
- Authorization codes replayed or redeemed by another client, PKCE verifier wrong or missing,
  another client's refresh token: 400 `invalid_grant`, with the effects the standards ask for
  (a replay revokes what the code issued; a wrong verifier burns the code; another client's
  attempt does not).
Every group also shows the legitimate request succeeding.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import time
import uuid
from base64 import urlsafe_b64encode
from typing import Any

import pytest
import requests
from jwcrypto import jwk

from tests.e2e.conftest import LiveBank
from tests.security.attacks.conftest import (
    Party,
    assert_no_internals,
    assert_security_headers,
    assertion_claims,
    authorize,
    call,
    cdr_error,
    client_post,
    consent_code,
    hs256,
    jwt_compact,
    oauth_error,
    registration_token,
    request_object_claims,
    sign_with,
)

REGISTRATION = {"grant_type": "client_credentials", "scope": "cdr:registration"}


def _b64(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


# --- bearer tokens at the resource API ----------------------------------------------------


@pytest.fixture(scope="module")
def spare(live_bank: LiveBank, victim: Party) -> Party:
    """An arrangement of the victim's product this module may break (revoke, expire)."""
    return authorize(live_bank, victim.recipient, username="jane.citizen", name="spare",
                     discover=False)


def _fresh_access_token(party: Party) -> str:
    """Another access token of the party's arrangement (earlier ones stay valid)."""
    return str(party.recipient.refresh(str(party.token["refresh_token"]))["access_token"])


def test_the_legitimate_call_succeeds(victim: Party) -> None:
    response = call(victim.recipient, "banking/accounts", victim.access_token, "3")
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Bearer  ", "bearer", "Token abc", "Basic dXNlcjpwYXNz",
    "Bearer " + "A" * 43, "Bearer " + "A" * 5000, "Bearer null", "Bearer undefined",
    "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "Bearer ' OR '1'='1", "Bearer \u00e9t\u00e9",
    "Bearer a b", "Bearer\ttoken",
], ids=lambda v: repr(v)[:40])
def test_missing_and_malformed_tokens_are_401(victim: Party, authorization: str | None) -> None:
    headers: dict[str, str | None] = {"Authorization": authorization}
    try:
        response = call(victim.recipient, "banking/accounts", None, "3", headers=headers)
    except (UnicodeEncodeError, ValueError):
        pytest.skip("the HTTP client refuses to send this header")
    cdr_error(response, 401, "GeneralError/Expected")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_in_the_query_or_body_is_not_read(victim: Party) -> None:
    """RFC 6750 §2.2/2.3 are not accepted (RFC 9700): only the header carries a token."""
    token = victim.access_token
    in_query = call(victim.recipient, "banking/accounts", None, "3",
                    params={"access_token": token})
    cdr_error(in_query, 401, "GeneralError/Expected")
    assert victim.account_ids[0] not in in_query.text
    in_body = call(victim.recipient, "banking/accounts/balances", None, "1", method="POST",
                   data={"access_token": token})
    cdr_error(in_body, 401, "GeneralError/Expected")


def test_tokens_that_are_not_access_tokens_are_401(victim: Party) -> None:
    for other in (victim.token["refresh_token"], victim.token["id_token"],
                  victim.arrangement_id):
        response = call(victim.recipient, "banking/accounts", str(other), "3")
        cdr_error(response, 401, "GeneralError/Expected")


def test_an_expired_access_token_is_401(live_bank: LiveBank, spare: Party) -> None:
    token = _fresh_access_token(spare)
    assert call(spare.recipient, "banking/accounts", token, "3").status_code == 200
    digest = hashlib.sha256(token.encode()).hexdigest()
    live_bank.manage("shell", "-c", (
        "from datetime import timedelta; from django.utils import timezone; "
        "from oauth2_provider.models import AccessToken; "
        f"n = AccessToken.objects.filter(token_checksum='{digest}')"
        ".update(expires=timezone.now() - timedelta(seconds=1)); assert n == 1"))
    cdr_error(call(spare.recipient, "banking/accounts", token, "3"), 401,
              "GeneralError/Expected")


def test_a_revoked_access_token_is_401(spare: Party) -> None:
    token = _fresh_access_token(spare)
    assert call(spare.recipient, "banking/accounts", token, "3").status_code == 200
    revoked = spare.recipient.client_post("revocation_endpoint",
                                          {"token": token, "token_type_hint": "access_token"})
    assert revoked.status_code == 200
    cdr_error(call(spare.recipient, "banking/accounts", token, "3"), 401,
              "GeneralError/Expected")


def test_a_token_bound_to_certificate_a_is_refused_with_certificate_b(
        victim: Party, attacker: Party, live_bank: LiveBank) -> None:
    token = victim.access_token
    for cert in (attacker.cert, live_bank.pki.client("attack-thief").pair):
        response = call(victim.recipient, "banking/accounts", token, "3", cert=cert)
        cdr_error(response, 401, "GeneralError/Expected")
        assert victim.account_ids[0] not in response.text
    # Still good on its own certificate: the refusal did not revoke it.
    assert call(victim.recipient, "banking/accounts", token, "3").status_code == 200


def test_no_client_certificate_no_handshake(victim: Party, live_bank: LiveBank) -> None:
    headers = {"Authorization": f"Bearer {victim.access_token}", "x-v": "3"}
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{live_bank.mtls_url}/cds-au/v1/banking/accounts", headers=headers,
                     verify=str(live_bank.ca), timeout=10)
    # The public listener has no such endpoint: 404, no data.
    public = requests.get(f"{live_bank.url}/cds-au/v1/banking/accounts", headers=headers,
                          verify=str(live_bank.ca), timeout=10)
    cdr_error(public, 404, "Resource/NotFound")


def test_a_certificate_from_another_ca_gets_no_handshake(victim: Party,
                                                         tmp_path: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attack-victim")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "c.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    with pytest.raises(requests.exceptions.SSLError):
        call(victim.recipient, "banking/accounts", victim.access_token, "3",
             cert=(str(tmp_path / "c.pem"), str(tmp_path / "c.key")))


# --- client assertions (private_key_jwt) --------------------------------------------------


@functools.cache
def _impostor_key(kid: str) -> jwk.JWK:
    """A new RSA key carrying the victim's kid (generated once)."""
    return jwk.JWK.generate(kty="RSA", size=2048, kid=kid, alg="PS256", use="sig")


def _assertion_attacks(victim: Party, attacker: Party) -> dict[str, str]:
    recipient = victim.recipient
    key: jwk.JWK = recipient.key
    kid = key.get("kid")
    good = assertion_claims(recipient)
    pem_public = key.export_to_pem()
    jwk_public = key.export_public().encode()
    rsa = _impostor_key(kid)

    def fresh(**changes: Any) -> dict[str, Any]:
        claims = {**assertion_claims(recipient), **changes}
        return {k: v for k, v in claims.items() if v is not None}

    now = int(time.time())
    return {
        "alg-none": jwt_compact({"alg": "none", "kid": kid}, fresh()),
        "alg-none-uppercase": jwt_compact({"alg": "None", "kid": kid}, fresh()),
        "hs256-public-pem": hs256({"kid": kid}, fresh(), pem_public),
        "hs256-public-jwk": hs256({"kid": kid}, fresh(), jwk_public),
        "rs256-own-key": sign_with(key, fresh(), alg="RS256"),
        "signature-stripped": sign_with(key, fresh()).rsplit(".", 1)[0] + ".",
        "signature-of-another-token": (sign_with(key, fresh()).rsplit(".", 1)[0] + "."
                                       + sign_with(key, fresh()).rsplit(".", 1)[1]),
        "wrong-audience": sign_with(key, fresh(aud="https://attacker.example/token")),
        "audience-list-without-bank": sign_with(key, fresh(aud=["https://a.example", "x"])),
        "expired": sign_with(key, fresh(iat=now - 600, exp=now - 60)),
        "future-iat": sign_with(key, fresh(iat=now + 3600, exp=now + 3700)),
        "future-nbf": sign_with(key, fresh(nbf=now + 3600)),
        "exp-too-far": sign_with(key, fresh(exp=now + 24 * 3600)),
        "exp-as-string": sign_with(key, fresh(exp=str(now + 60))),
        "missing-exp": sign_with(key, fresh(exp=None)),
        "missing-jti": sign_with(key, fresh(jti=None)),
        "missing-sub": sign_with(key, fresh(sub=None)),
        "missing-aud": sign_with(key, fresh(aud=None)),
        "missing-iss": sign_with(key, fresh(iss=None)),
        "sub-not-iss": sign_with(key, fresh(sub=attacker.recipient.client_id)),
        # The attacker's own key, claiming to be the victim: its kid is not the victim's...
        "other-clients-kid": sign_with(attacker.recipient.key, fresh()),
        # ...or the victim's kid on the attacker's signature.
        "other-clients-key-victims-kid": sign_with(attacker.recipient.key, fresh(),
                                                   header={"kid": kid}),
        # A new key with the victim's kid, announced in the header three ways.
        "embedded-jwk": sign_with(rsa, fresh(), header={"jwk": json.loads(rsa.export_public())}),
        "jku-header": sign_with(rsa, fresh(), header={"jku": "https://attacker.example/jwks"}),
        "x5u-header": sign_with(rsa, fresh(), header={"x5u": "https://attacker.example/x5"}),
        "crit-header": sign_with(key, fresh(), header={"crit": ["b64"], "b64": True}),
        "not-a-jwt": "not.a.jwt",
        "json-serialization": json.dumps({"payload": _b64(json.dumps(good).encode()),
                                          "signature": "x"}),
    }


ASSERTION_ATTACKS = [
    "alg-none", "alg-none-uppercase", "hs256-public-pem", "hs256-public-jwk", "rs256-own-key",
    "signature-stripped", "signature-of-another-token", "wrong-audience",
    "audience-list-without-bank", "expired", "future-iat", "future-nbf", "exp-too-far",
    "exp-as-string", "missing-exp", "missing-jti", "missing-sub", "missing-aud", "missing-iss",
    "sub-not-iss", "other-clients-kid", "other-clients-key-victims-kid", "embedded-jwk",
    "jku-header", "x5u-header", "crit-header", "not-a-jwt", "json-serialization",
]


def test_a_valid_client_assertion_is_accepted(victim: Party) -> None:
    assertion = sign_with(victim.recipient.key, assertion_claims(victim.recipient))
    response = client_post(victim.recipient, "token_endpoint", REGISTRATION, assertion=assertion)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "cdr:registration"


#: Every attack on the token endpoint; the main ones on the other client-authenticated
#: endpoints too (they share one verifier, security/oauth/client_auth.py).
ASSERTION_CASES = [("token_endpoint", attack) for attack in ASSERTION_ATTACKS] + [
    (endpoint, attack)
    for endpoint in ("pushed_authorization_request_endpoint", "introspection_endpoint",
                     "revocation_endpoint", "cdr_arrangement_revocation_endpoint")
    for attack in ("alg-none", "hs256-public-pem", "other-clients-kid", "expired")
]


@pytest.mark.parametrize(("endpoint", "attack"), ASSERTION_CASES)
def test_forged_client_assertions_are_invalid_client(victim: Party, attacker: Party,
                                                     attack: str, endpoint: str) -> None:
    assertion = _assertion_attacks(victim, attacker)[attack]
    data = {"token_endpoint": REGISTRATION,
            "pushed_authorization_request_endpoint": {"request": "x"},
            "introspection_endpoint": {"token": str(victim.token["refresh_token"])},
            "revocation_endpoint": {"token": str(victim.token["refresh_token"])},
            "cdr_arrangement_revocation_endpoint": {
                "cdr_arrangement_id": victim.arrangement_id}}[endpoint]
    response = client_post(victim.recipient, endpoint, data, assertion=assertion)
    oauth_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "access_token" not in response.text
    assert "active" not in response.text


def test_a_replayed_client_assertion_is_refused(victim: Party) -> None:
    assertion = sign_with(victim.recipient.key, assertion_claims(victim.recipient))
    first = client_post(victim.recipient, "token_endpoint", REGISTRATION, assertion=assertion)
    assert first.status_code == 200
    for endpoint in ("token_endpoint", "introspection_endpoint"):
        again = client_post(victim.recipient, endpoint, {**REGISTRATION, "token": "x"},
                            assertion=assertion)
        oauth_error(again, 401, "invalid_client")


def test_the_victims_assertion_on_the_attackers_connection_binds_nothing_of_the_victim(
        victim: Party, attacker: Party) -> None:
    """Replaying a captured assertion from the attacker's certificate fails (single-use jti);
    the victim's own fresh assertion there would be bound to the attacker's certificate, so
    the token could not be used by the victim either: only a stolen private key helps."""
    assertion = sign_with(victim.recipient.key, assertion_claims(victim.recipient))
    assert client_post(victim.recipient, "token_endpoint", REGISTRATION,
                       assertion=assertion).status_code == 200
    stolen = client_post(victim.recipient, "token_endpoint", REGISTRATION, assertion=assertion,
                         cert=attacker.cert)
    oauth_error(stolen, 401, "invalid_client")


@pytest.mark.parametrize("how", ["client_secret_post", "basic", "no_assertion_type",
                                 "client_id_mismatch", "assertion_twice"])
def test_other_client_authentication_methods_are_refused(victim: Party, attacker: Party,
                                                         how: str) -> None:
    recipient = victim.recipient
    assertion: str | None = sign_with(recipient.key, assertion_claims(recipient))
    data: Any = dict(REGISTRATION)
    kw: dict[str, Any] = {}
    if how == "client_secret_post":
        data.update(client_id=recipient.client_id, client_secret="secret")
        assertion = None
    elif how == "basic":
        kw["auth"] = (recipient.client_id, "secret")
    elif how == "no_assertion_type":
        response = requests.post(recipient.discovery()["token_endpoint"],
                                 data={**data, "client_assertion": assertion},
                                 verify=recipient.verify, cert=recipient.cert, timeout=15)
        oauth_error(response, 401, "invalid_client")
        return
    elif how == "client_id_mismatch":
        data["client_id"] = attacker.recipient.client_id
    elif how == "assertion_twice":
        body = (f"grant_type=client_credentials&scope=cdr%3Aregistration"
                f"&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type"
                f"%3Ajwt-bearer&client_assertion={assertion}&client_assertion=x")
        response = requests.post(recipient.discovery()["token_endpoint"], data=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                                 verify=recipient.verify, cert=recipient.cert, timeout=15)
        assert response.status_code in {400, 401}
        assert response.json()["error"] in {"invalid_request", "invalid_client"}
        return
    response = client_post(recipient, "token_endpoint", data, assertion=assertion, **kw)
    oauth_error(response, 401, "invalid_client")


# --- request objects (PAR) ------------------------------------------------------------------


def _request_object_attacks(victim: Party, attacker: Party) -> dict[str, tuple[str, str]]:
    """name -> (request object, the error it must get)."""
    recipient = victim.recipient
    key = recipient.key
    kid = key.get("kid")
    now = int(time.time())
    ro = "invalid_request_object"

    def c(**changes: Any) -> dict[str, Any]:
        return request_object_claims(recipient, **changes)

    return {
        "alg-none": (jwt_compact({"alg": "none", "kid": kid}, c()), ro),
        "hs256-public-pem": (hs256({"kid": kid}, c(), key.export_to_pem()), ro),
        "hs256-public-jwk": (hs256({"kid": kid}, c(), key.export_public().encode()), ro),
        "rs256": (sign_with(key, c(), alg="RS256"), ro),
        "wrong-audience": (sign_with(key, c(aud="https://attacker.example")), ro),
        "token-endpoint-audience": (sign_with(key, c(aud=recipient.discovery()["token_endpoint"])), ro),
        "expired": (sign_with(key, c(iat=now - 900, nbf=now - 900, exp=now - 60)), ro),
        "future-nbf": (sign_with(key, c(nbf=now + 3600, exp=now + 3900)), ro),
        "future-iat": (sign_with(key, c(iat=now + 3600)), ro),
        "lifetime-over-an-hour": (sign_with(key, c(exp=now + 7200)), ro),
        "missing-exp": (sign_with(key, c(exp=None)), ro),
        "missing-nbf": (sign_with(key, c(nbf=None)), ro),
        "missing-aud": (sign_with(key, c(aud=None)), ro),
        "iss-another-client": (sign_with(key, c(iss=attacker.recipient.client_id)), ro),
        "client-id-another-client": (sign_with(key, c(client_id=attacker.recipient.client_id)), ro),
        "signed-by-another-client": (sign_with(attacker.recipient.key, c()), ro),
        "another-clients-key-victims-kid": (sign_with(attacker.recipient.key, c(),
                                                      header={"kid": kid}), ro),
        "nested-request-uri": (sign_with(key, c(request_uri="urn:x")), ro),
        "pkce-plain": (sign_with(key, c(code_challenge="a" * 43, code_challenge_method="plain")),
                       "invalid_request"),
        "pkce-missing": (sign_with(key, c(code_challenge=None, code_challenge_method=None)),
                         "invalid_request"),
        "unregistered-redirect": (sign_with(key, c(redirect_uri="https://attacker.example/cb")),
                                  "invalid_request"),
    }


REQUEST_OBJECT_ATTACKS = [
    "alg-none", "hs256-public-pem", "hs256-public-jwk", "rs256", "wrong-audience",
    "token-endpoint-audience", "expired", "future-nbf", "future-iat", "lifetime-over-an-hour",
    "missing-exp", "missing-nbf", "missing-aud", "iss-another-client",
    "client-id-another-client", "signed-by-another-client", "another-clients-key-victims-kid",
    "nested-request-uri", "pkce-plain", "pkce-missing", "unregistered-redirect",
]


def test_a_valid_request_object_is_pushed(victim: Party) -> None:
    request_object = sign_with(victim.recipient.key, request_object_claims(victim.recipient))
    response = victim.recipient.client_post("pushed_authorization_request_endpoint",
                                            {"request": request_object})
    assert response.status_code == 201, response.text
    assert response.json()["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")


@pytest.mark.parametrize("attack", REQUEST_OBJECT_ATTACKS)
def test_forged_request_objects_are_refused(victim: Party, attacker: Party, attack: str) -> None:
    request_object, error = _request_object_attacks(victim, attacker)[attack]
    response = victim.recipient.client_post("pushed_authorization_request_endpoint",
                                            {"request": request_object})
    oauth_error(response, 400, error)
    assert "request_uri" not in response.json()


# --- DCR request JWTs and software statements ---------------------------------------------


@pytest.fixture(scope="module")
def ssa(victim: Party) -> str:
    """The victim's software statement, as its registration holds it."""
    token = registration_token(victim.recipient)
    body = call(victim.recipient, f"/register/{victim.recipient.client_id}", token, None)
    assert body.status_code == 200, body.text
    return str(body.json()["software_statement"])


def _dcr_claims(recipient: Any, ssa: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    software_id = json.loads(
        urlsafe_b64decode_padded(ssa.split(".")[1]))["software_id"]
    claims = {
        "iss": software_id, "aud": recipient.discovery()["issuer"], "iat": now,
        "exp": now + 300, "jti": str(uuid.uuid4()), "redirect_uris": [recipient.redirect_uri],
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "PS256",
        "grant_types": ["client_credentials", "authorization_code", "refresh_token"],
        "response_types": ["code"], "application_type": "web",
        "id_token_signed_response_alg": "PS256", "request_object_signing_alg": "PS256",
        "authorization_signed_response_alg": "PS256", "software_statement": ssa, **changes,
    }
    return {k: v for k, v in claims.items() if v is not None}


def urlsafe_b64decode_padded(text: str) -> bytes:
    from base64 import urlsafe_b64decode

    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _dcr_post(recipient: Any, body: str, *, method: str = "POST", path: str = "/register",
              token: str | None = None) -> requests.Response:
    return call(recipient, path, token, None, method=method, data=body,
                headers={"Content-Type": "application/jwt", "x-fapi-auth-date": None})


def _dcr_attacks(victim: Party, attacker: Party, ssa: str) -> dict[str, tuple[str, str]]:
    recipient = victim.recipient
    key = recipient.key
    kid = key.get("kid")
    now = int(time.time())
    meta = "invalid_client_metadata"
    statement = "invalid_software_statement"
    header, claims, _ = ssa.split(".")

    def c(**changes: Any) -> dict[str, Any]:
        return _dcr_claims(recipient, ssa, **changes)

    ssa_claims = json.loads(urlsafe_b64decode_padded(claims))
    tampered_ssa = (f"{header}.{_b64(json.dumps({**ssa_claims, 'scope': ssa_claims['scope'] + ' admin:metrics.basic:read'}).encode())}"
                    f".{ssa.split('.')[2]}")
    return {
        "alg-none": (jwt_compact({"alg": "none", "kid": kid}, c()), meta),
        "hs256-public-pem": (hs256({"kid": kid}, c(), key.export_to_pem()), meta),
        "hs256-public-jwk": (hs256({"kid": kid}, c(), key.export_public().encode()), meta),
        "rs256": (sign_with(key, c(), alg="RS256"), meta),
        "wrong-audience": (sign_with(key, c(aud="https://attacker.example")), meta),
        "expired": (sign_with(key, c(iat=now - 900, exp=now - 60)), meta),
        "future-iat": (sign_with(key, c(iat=now + 3600, exp=now + 3900)), meta),
        "missing-jti": (sign_with(key, c(jti=None)), meta),
        "missing-iat": (sign_with(key, c(iat=None)), meta),
        "missing-exp": (sign_with(key, c(exp=None)), meta),
        "iss-not-the-software-id": (sign_with(key, c(iss="someone-else")), meta),
        "signed-by-another-recipient": (sign_with(attacker.recipient.key, c()), meta),
        "another-key-victims-kid": (sign_with(attacker.recipient.key, c(), header={"kid": kid}), meta),
        "ssa-alg-none": (sign_with(key, c(software_statement=jwt_compact(
            {"alg": "none"}, ssa_claims))), statement),
        "ssa-signed-by-the-recipient": (sign_with(key, c(software_statement=sign_with(
            key, ssa_claims))), statement),
        "ssa-tampered-scope": (sign_with(key, c(software_statement=tampered_ssa)), statement),
        "ssa-missing": (sign_with(key, c(software_statement=None)), statement),
    }


DCR_ATTACKS = [
    "alg-none", "hs256-public-pem", "hs256-public-jwk", "rs256", "wrong-audience", "expired",
    "future-iat", "missing-jti", "missing-iat", "missing-exp", "iss-not-the-software-id",
    "signed-by-another-recipient", "another-key-victims-kid", "ssa-alg-none",
    "ssa-signed-by-the-recipient", "ssa-tampered-scope", "ssa-missing",
]


def test_a_valid_registration_request_passes_every_check(victim: Party, ssa: str) -> None:
    """The control: a well-formed request for the victim's product gets past every check and
    is refused only as a duplicate (POST), and updates the registration (PUT)."""
    recipient = victim.recipient
    posted = _dcr_post(recipient, sign_with(recipient.key, _dcr_claims(recipient, ssa)))
    body = oauth_error(posted, 400, "invalid_client_metadata")
    assert body["error_description"].startswith("Duplicate registrations")
    token = registration_token(recipient)
    put = _dcr_post(recipient, sign_with(recipient.key, _dcr_claims(recipient, ssa)),
                    method="PUT", path=f"/register/{recipient.client_id}", token=token)
    assert put.status_code == 200, put.text
    assert put.json()["client_id"] == recipient.client_id


DCR_CASES = [("POST", attack) for attack in DCR_ATTACKS] + [
    ("PUT", attack) for attack in ("alg-none", "hs256-public-pem", "signed-by-another-recipient",
                                   "ssa-tampered-scope")]


@pytest.mark.parametrize(("method", "attack"), DCR_CASES)
def test_forged_registration_requests_are_refused(victim: Party, attacker: Party, ssa: str,
                                                  attack: str, method: str) -> None:
    body, error = _dcr_attacks(victim, attacker, ssa)[attack]
    recipient = victim.recipient
    if method == "POST":
        response = _dcr_post(recipient, body)
    else:
        response = _dcr_post(recipient, body, method="PUT",
                             path=f"/register/{recipient.client_id}",
                             token=registration_token(recipient))
    answer = oauth_error(response, 400, error)
    assert not answer.get("error_description", "").startswith("Duplicate")
    assert "client_id" not in answer


# --- authorization codes, PKCE and refresh tokens -----------------------------------------


def _redeem(party_recipient: Any, code: str, verifier: str | None,
            redirect_uri: str | None = None) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": redirect_uri or party_recipient.redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    return party_recipient.client_post("token_endpoint", data)


def test_a_replayed_code_is_refused_and_revokes_what_it_issued(live_bank: LiveBank,
                                                               victim: Party) -> None:
    recipient = victim.recipient
    code, verifier = consent_code(live_bank, recipient, username="jane.citizen")
    first = _redeem(recipient, code, verifier)
    assert first.status_code == 200, first.text
    token = first.json()
    assert call(recipient, "banking/accounts", token["access_token"], "3").status_code == 200
    oauth_error(_redeem(recipient, code, verifier), 400, "invalid_grant")
    cdr_error(call(recipient, "banking/accounts", token["access_token"], "3"), 401,
              "GeneralError/Expected")
    refreshed = recipient.client_post("token_endpoint", {
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    oauth_error(refreshed, 400, "invalid_grant")


def test_a_code_redeemed_by_another_client_is_refused_and_not_burnt(
        live_bank: LiveBank, victim: Party, attacker: Party) -> None:
    code, verifier = consent_code(live_bank, victim.recipient, username="jane.citizen")
    for redirect in (attacker.recipient.redirect_uri, victim.recipient.redirect_uri):
        stolen = _redeem(attacker.recipient, code, verifier, redirect_uri=redirect)
        oauth_error(stolen, 400, "invalid_grant")
        assert "access_token" not in stolen.text
    # The rightful client still gets its tokens.
    assert _redeem(victim.recipient, code, verifier).status_code == 200


@pytest.mark.parametrize("verifier", ["wrong", "missing", "the-challenge", "empty", "short"])
def test_a_wrong_or_missing_pkce_verifier_is_refused_and_burns_the_code(
        live_bank: LiveBank, victim: Party, verifier: str) -> None:
    recipient = victim.recipient
    code, good = consent_code(live_bank, recipient, username="jane.citizen")
    sent = {
        "wrong": _b64(secrets.token_bytes(32)),
        "missing": None,
        "the-challenge": _b64(hashlib.sha256(good.encode()).digest()),
        "empty": "",
        "short": good[:20],
    }[verifier]
    oauth_error(_redeem(recipient, code, sent), 400, {"invalid_grant", "invalid_request"})
    # One guess only: the right verifier no longer redeems it.
    oauth_error(_redeem(recipient, code, good), 400, "invalid_grant")


def test_another_clients_refresh_token_is_refused(victim: Party, attacker: Party) -> None:
    refresh = str(victim.token["refresh_token"])
    for token in (refresh, refresh + "x", refresh[:-1]):
        stolen = attacker.recipient.client_post("token_endpoint", {
            "grant_type": "refresh_token", "refresh_token": token})
        oauth_error(stolen, 400, "invalid_grant")
        assert "access_token" not in stolen.text
    own = victim.recipient.client_post("token_endpoint", {
        "grant_type": "refresh_token", "refresh_token": refresh})
    assert own.status_code == 200, own.text


def test_error_answers_leak_nothing(victim: Party, attacker: Party) -> None:
    """The OAuth refusals above name the rule, never a token, key or internal detail."""
    assertion = _assertion_attacks(victim, attacker)["other-clients-kid"]
    response = client_post(victim.recipient, "token_endpoint", REGISTRATION, assertion=assertion)
    assert_no_internals(response)
    for secret in (victim.access_token, str(victim.token["refresh_token"]),
                   attacker.recipient.key.get("kid")):
        assert secret not in response.text
