"""Fixtures for the authorization server: registered clients with their own keys.

`client = make_client()` registers a software product's OAuth client whose JWKS (PS256 and
ES256 public keys) the bank holds; `client.assertion(aud=...)` signs a private_key_jwt client
assertion, `client.sign(claims)` any JWT (request objects), both with overridable claims.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone
from jwcrypto import jwk, jws
from oauth2_provider.models import Application

from security.oauth.client_auth import ASSERTION_TYPE
from security.oauth.endpoints import issuer
from security.oauth.models import ClientRegistration
from security.recipients.models import DataRecipient, SoftwareProduct

REDIRECT_URI = "https://recipient.example/callback"


@dataclass
class TestClient:
    registration: ClientRegistration
    keys: dict[str, jwk.JWK] = field(default_factory=dict)

    @property
    def client_id(self) -> str:
        return self.registration.client_id

    def sign(self, claims: dict[str, Any], *, alg: str = "PS256", kid: str | None = None,
             header: dict[str, Any] | None = None, key: jwk.JWK | None = None) -> str:
        signing_key = key or self.keys[alg]
        protected = {"alg": alg, "kid": kid if kid is not None else signing_key.get("kid"),
                     **(header or {})}
        token = jws.JWS(json.dumps(claims).encode())
        token.add_signature(signing_key, alg=alg, protected=json.dumps(protected))
        return token.serialize(compact=True)

    def assertion(self, *, aud: str | list[str] | None = None, alg: str = "PS256",
                  **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": aud or issuer(),
                  "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()), **overrides}
        claims = {k: v for k, v in claims.items() if v is not None}
        return self.sign(claims, alg=alg)

    def auth_form(self, **assertion_overrides: Any) -> dict[str, str]:
        return {"client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.assertion(**assertion_overrides)}


def _client_keys() -> dict[str, jwk.JWK]:
    ps = jwk.JWK.generate(kty="RSA", size=2048, kid=f"ps-{secrets.token_hex(4)}", alg="PS256")
    es = jwk.JWK.generate(kty="EC", crv="P-256", kid=f"es-{secrets.token_hex(4)}", alg="ES256")
    return {"PS256": ps, "ES256": es}


@pytest.fixture
def make_client(db: Any) -> Callable[..., TestClient]:
    def make(*, name: str = "Budget Buddy", scope: str = "openid profile bank:accounts.basic:read "
             "bank:accounts.detail:read bank:transactions:read common:customer.basic:read",
             redirect_uris: list[str] | None = None, product_status: str = "ACTIVE") -> TestClient:
        keys = _client_keys()
        recipient = DataRecipient.objects.create(
            legal_entity_id=f"le-{secrets.token_hex(6)}", legal_entity_name=f"{name} Pty Ltd")
        application = Application.objects.create(
            name=name, client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(redirect_uris or [REDIRECT_URI]), algorithm="RS256",
            client_secret="", hash_client_secret=False,
        )
        product = SoftwareProduct.objects.create(
            recipient=recipient, software_product_id=str(uuid.uuid4()), name=name,
            status=product_status, client=application)
        jwks = {"keys": [json.loads(k.export_public()) for k in keys.values()]}
        registration = ClientRegistration.objects.create(
            application=application, software_product=product,
            redirect_uris=redirect_uris or [REDIRECT_URI],
            jwks_uri="https://recipient.example/jwks", jwks=jwks, jwks_fetched_at=timezone.now(),
            recipient_base_uri="https://recipient.example", scope=scope,
            grant_types=["authorization_code", "refresh_token", "client_credentials"],
        )
        return TestClient(registration=registration, keys=keys)

    return make


@pytest.fixture
def client_app(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
