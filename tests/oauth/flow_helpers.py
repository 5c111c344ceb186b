"""Helpers for the authorization flow tests: request objects, PAR calls, /authorize, JARM.

`request_claims(client, **overrides)` is a request object that passes every rule (override a
claim with a value, or drop it with None); `push(...)` sends it to PAR the way a recipient
does; `authorize(...)` is the browser's visit; `jarm_claims(url)` verifies the JARM response
with the bank's published JWKS, as the recipient would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from accounts.demo.seeder import demo_data_delete, seed_run
from security.oauth.endpoints import issuer
from security.oauth.jose import keyset, verify
from security.oauth.signing_keys import public_jwks
from tests.oauth.conftest import REDIRECT_URI, TestClient

PAR_URL = "/par"
AUTHORIZE_URL = "/authorize"
DEFAULT_SCOPE = "openid profile bank:accounts.basic:read bank:transactions:read"
MISSING = None  # an override of None removes the claim


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636 §4.1-4.2."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def request_claims(client: TestClient, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    _, challenge = pkce_pair()
    claims: dict[str, Any] = {
        "iss": client.client_id,
        "aud": issuer(),
        "nbf": now,
        "exp": now + 600,
        "iat": now,
        "jti": secrets.token_urlsafe(12),
        "client_id": client.client_id,
        "response_type": "code",
        "response_mode": "jwt",
        "redirect_uri": REDIRECT_URI,
        "scope": DEFAULT_SCOPE,
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "claims": {
            "sharing_duration": 7_776_000,
            "id_token": {"acr": {"essential": True, "values": ["urn:cds.au:cdr:2"]}},
        },
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def push(
    client: TestClient,
    claims: dict[str, Any] | None = None,
    *,
    request_object: str | None = None,
    form: dict[str, str] | None = None,
    alg: str = "PS256",
    browser: Client | None = None,
    **assertion_overrides: Any,
) -> Any:
    """POST /par with client authentication and a signed request object."""
    if request_object is None:
        request_object = client.sign(claims or request_claims(client), alg=alg)
    body = {**client.auth_form(**assertion_overrides), "request": request_object, **(form or {})}
    body = {k: v for k, v in body.items() if v is not None}
    return (browser or Client()).post(
        PAR_URL, urlencode(body), content_type="application/x-www-form-urlencoded"
    )


def pushed_request_uri(client: TestClient, claims: dict[str, Any] | None = None) -> str:
    response = push(client, claims)
    assert response.status_code == 201, response.content
    return str(response.json()["request_uri"])


def authorize(client_id: str, request_uri: str, **extra: str) -> Any:
    return Client().get(AUTHORIZE_URL, {"client_id": client_id, "request_uri": request_uri,
                                        **extra})


def handle_of(response: Any) -> str:
    assert response.status_code == 303, response.content
    location = response["Location"]
    assert location.startswith("/consent/")
    return str(location.removeprefix("/consent/"))


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def jarm_claims(url: str, client: TestClient) -> dict[str, Any]:
    """The JARM response in `url`, verified with the bank's public JWKS (JARM §2.4)."""
    assert url.startswith(REDIRECT_URI + "?")
    query = query_of(url)
    assert set(query) == {"response", "iss"}
    assert query["iss"] == [issuer()]
    claims = verify(query["response"][0], keys=keyset(public_jwks()), issuer=issuer(),
                    audience=[client.client_id], required=("exp", "iss", "aud"))
    assert claims["aud"] == client.client_id
    assert 0 < claims["exp"] - time.time() <= 600
    return claims


def expire_at_once(model_instance: Any) -> None:
    """Time travel: move a row's expires_at into the past."""
    type(model_instance).objects.filter(pk=model_instance.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.fixture(scope="module")
def seeded_bank(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The demo cast (jane.citizen, john.citizen with joint accounts, priya.sharma), once per
    module; each test runs in a rolled-back transaction on top."""
    with django_db_blocker.unblock():
        demo_data_delete()
        seed_run(seed=20261128, as_of=timezone.now().date(), customers=0,
                 transactions_per_account=2, brand="demo", brand_name="Demo Bank")
    yield
    with django_db_blocker.unblock():
        demo_data_delete()


def decode_segment(token: str, index: int) -> dict[str, Any]:
    segment = token.split(".")[index]
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))
