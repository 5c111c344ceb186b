"""Test harness for the Register hop: the only thing mocked is HTTP leaving the bank.

`register_env` points the bank at the mock Register (BANK_REGISTER_BASE_URL,
BANK_REGISTER_JWKS_URI) and routes every outbound `requests` call through `HttpRouter`:

- URLs on `testserver` (the mock Register) are served by Django's test client, so the
  Register's own views, keys and database rows answer, exactly as over the network;
- recipients' JWKS documents are served from `router.documents`;
- anything else is a connection error: no test ever reaches the network.

`make_recipient()` puts a software product on the mock Register with its own PS256/ES256 keys
published at its jwks_uri, and drives it like a real recipient: a Register token
(private_key_jwt), an SSA, a signed registration request.
"""

from __future__ import annotations

import io
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.core.cache import cache
from django.test import Client
from jwcrypto import jwk, jws
from requests.structures import CaseInsensitiveDict

from bank.register_mock.models import RegisterSoftwareProduct
from bank.register_mock.services import register_product_create
from security.oauth.endpoints import issuer
from security.pki import register_signing_key_create

REGISTER_BASE = "http://testserver/mock-register"
REGISTER_JWKS_URI = f"{REGISTER_BASE}/cdr-register/v1/jwks"
REGISTER_TOKEN_URL = f"{REGISTER_BASE}/idp/connect/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class HttpRouter(requests.adapters.BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.client = Client()
        self.documents: dict[str, Any] = {}
        self.calls: list[tuple[str, str]] = []

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        url = str(request.url)
        self.calls.append((str(request.method), url))
        parts = urlsplit(url)
        if url in self.documents:
            status, body, headers = 200, json.dumps(self.documents[url]).encode(), {
                "Content-Type": "application/json"}
        elif parts.netloc == "testserver":
            forwarded = {k: v for k, v in request.headers.items()
                         if k.lower() not in ("content-type", "content-length", "host")}
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            body_in = request.body or b""
            answer = self.client.generic(
                str(request.method), path,
                data=body_in.encode() if isinstance(body_in, str) else body_in,
                content_type=request.headers.get("Content-Type", ""), headers=forwarded,
            )
            status, body = answer.status_code, answer.content
            headers = {k: v for k, v in answer.items()}
        else:
            raise requests.ConnectionError(f"test harness: no route to {url}")
        response = requests.Response()
        response.status_code = status
        response._content = body
        response._content_consumed = True  # iter_content() serves _content, as for a real body
        response.raw = io.BytesIO(body)
        response.headers = CaseInsensitiveDict(headers)
        response.url = url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


@pytest.fixture(scope="session")
def register_keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("register-keys")
    register_signing_key_create(directory)
    return directory


@pytest.fixture
def register_env(db: Any, settings: Any, register_keys_dir: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpRouter]:
    settings.BANK_MOCK_REGISTER_KEYS_DIR = str(register_keys_dir)
    settings.BANK_REGISTER_BASE_URL = REGISTER_BASE
    settings.BANK_REGISTER_JWKS_URI = REGISTER_JWKS_URI
    router = HttpRouter()
    monkeypatch.setattr(requests.Session, "get_adapter", lambda self, url: router)
    cache.clear()  # the Register's JWKS is cached between calls
    yield router
    cache.clear()


def _keys() -> dict[str, jwk.JWK]:
    return {
        "PS256": jwk.JWK.generate(kty="RSA", size=2048, kid=f"ps-{secrets.token_hex(4)}",
                                  alg="PS256", use="sig"),
        "ES256": jwk.JWK.generate(kty="EC", crv="P-256", kid=f"es-{secrets.token_hex(4)}",
                                  alg="ES256", use="sig"),
    }


def sign(claims: dict[str, Any], key: jwk.JWK, *, alg: str | None = None,
         kid: str | None = None, header: dict[str, Any] | None = None) -> str:
    alg = alg or key.get("alg") or "PS256"
    protected = {"alg": alg, "kid": kid if kid is not None else key.get("kid"), "typ": "JWT",
                 **(header or {})}
    token = jws.JWS(json.dumps(claims).encode())
    token.add_signature(key, alg=alg, protected=json.dumps(protected))
    return token.serialize(compact=True)


@dataclass
class Recipient:
    """A data recipient software product, as the Register knows it, with its private keys."""

    product: RegisterSoftwareProduct
    keys: dict[str, jwk.JWK]
    router: HttpRouter
    client: Client = field(default_factory=Client)

    @property
    def software_id(self) -> str:
        return self.product.software_product_id

    @property
    def brand_id(self) -> str:
        return self.product.brand.brand_id

    @property
    def redirect_uris(self) -> list[str]:
        return list(self.product.redirect_uris)

    def sign(self, claims: dict[str, Any], *, alg: str = "PS256", **kwargs: Any) -> str:
        return sign(claims, kwargs.pop("key", None) or self.keys[alg], alg=alg, **kwargs)

    def assertion(self, *, aud: str = REGISTER_TOKEN_URL, **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": self.software_id, "sub": self.software_id, "aud": aud, "iat": now,
                  "exp": now + 300, "jti": str(uuid.uuid4()), **overrides}
        return self.sign({k: v for k, v in claims.items() if v is not None})

    def token_response(self, **form: Any) -> Any:
        data = {"grant_type": "client_credentials", "client_id": self.software_id,
                "scope": "cdr-register:read", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.assertion(), **form}
        return self.client.post("/mock-register/idp/connect/token",
                                {k: v for k, v in data.items() if v is not None})

    def register_token(self) -> str:
        response = self.token_response()
        assert response.status_code == 200, response.content
        return str(response.json()["access_token"])

    def ssa_url(self, *, brand_id: str | None = None, software_id: str | None = None,
                industry: str = "all") -> str:
        return (f"/mock-register/cdr-register/v1/{industry}/data-recipients/brands/"
                f"{brand_id or self.brand_id}/software-products/{software_id or self.software_id}"
                "/ssa")

    def ssa(self) -> str:
        response = self.client.get(self.ssa_url(), headers={
            "Authorization": f"Bearer {self.register_token()}", "x-v": "4"})
        assert response.status_code == 200, response.content
        return response.content.decode()

    def registration_claims(self, ssa: str | None = None, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.software_id, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()),
            "aud": issuer(),
            "redirect_uris": self.redirect_uris,
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "PS256",
            "grant_types": ["client_credentials", "authorization_code", "refresh_token"],
            "response_types": ["code"],
            "application_type": "web",
            "id_token_signed_response_alg": "PS256",
            "request_object_signing_alg": "PS256",
            "authorization_signed_response_alg": "PS256",
            "software_statement": ssa if ssa is not None else self.ssa(),
            **overrides,
        }
        return {k: v for k, v in claims.items() if v is not None}

    def registration_request(self, ssa: str | None = None, *, alg: str = "PS256",
                             key: jwk.JWK | None = None, **overrides: Any) -> str:
        return self.sign(self.registration_claims(ssa, **overrides), alg=alg, key=key)


@pytest.fixture
def make_recipient(register_env: HttpRouter) -> Callable[..., Recipient]:
    def make(*, name: str = "Budget Buddy", scope: str | None = None,
             redirect_uris: list[str] | None = None, **product: Any) -> Recipient:
        host = f"https://adr-{secrets.token_hex(4)}.example"
        keys = _keys()
        jwks_uri = f"{host}/jwks"
        register_env.documents[jwks_uri] = {
            "keys": [json.loads(k.export_public()) for k in keys.values()]}
        options: dict[str, Any] = {"scope": scope} if scope else {}
        product.setdefault("sector_identifier_uri", f"{host}/sector.json")
        created = register_product_create(
            legal_entity_name=f"{name} Pty Ltd", brand_name=f"{name} Brand", client_name=name,
            client_description=f"{name}, a budgeting app", recipient_base_uri=host,
            redirect_uris=redirect_uris or [f"{host}/callback", f"{host}/callback2"],
            jwks_uri=jwks_uri, tos_uri=f"{host}/tos", policy_uri=f"{host}/policy",
            **options, **product,
        )
        return Recipient(product=created, keys=keys, router=register_env)

    return make


@pytest.fixture
def recipient(make_recipient: Callable[..., Recipient]) -> Recipient:
    return make_recipient()


def dcr_post(client: Client, request_jwt: str, *, content_type: str = "application/jwt") -> Any:
    """POST /register with a registration request JWT, as a recipient does."""
    return client.post("/register", data=request_jwt, content_type=content_type)


def dcr_register(recipient: Recipient) -> dict[str, Any]:
    """Register the recipient's software product at the bank; the 201 body."""
    response = dcr_post(Client(), recipient.registration_request())
    assert response.status_code == 201, response.content
    return dict(response.json())
