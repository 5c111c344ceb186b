"""A CDR data recipient, written only against the bank's public interfaces.

It uses an ordinary OAuth client library (Authlib's requests client, private_key_jwt) and
jwcrypto for the JWTs it signs and checks, and talks to the bank and its mock Register over
HTTPS with its own client certificate. `bank-client` (bank_client/cli.py) is built on it, the
end-to-end tests drive it, and `examples/recipient_walk.py` runs it against `make demo`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from joserfc.jwk import RSAKey
from jwcrypto import jwk, jws

JSON = dict[str, Any]


#: A compact JWS: three base64url parts (header and payload never empty).
_COMPACT_JWS = re.compile(r"\A[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\Z")
#: The algorithms the CDR allows the bank to sign with, and the key each needs (kty, crv).
_KEY_TYPES = {"PS256": ("RSA", None), "ES256": ("EC", "P-256")}
CLOCK_LEEWAY = 60  # seconds
#: The authentication level the CDR requires (CDS: "urn:cds.au:cdr:3").
CDR_ACR = "urn:cds.au:cdr:3"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class JwksServer:
    """The recipient's own endpoints the bank calls: its JWKS and its revocation endpoint."""

    public_jwks: JSON
    revocations: list[dict[str, str]] = field(default_factory=list)
    #: Serve over HTTPS with this context (a production bank accepts https:// URIs only).
    tls: ssl.SSLContext | None = None
    _server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(owner.public_jwks).encode()
                self.send_response(200 if self.path == "/jwks" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                owner.revocations.append({
                    "path": self.path, "authorization": self.headers.get("Authorization", ""),
                    **{k: v[0] for k, v in form.items()},
                })
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):
    """Authlib's private_key_jwt with a 5-minute assertion (its default is an hour; CDS
    examples use 300 s, and data holders refuse long-lived assertions)."""

    def sign(self, auth: Any, token_endpoint: str) -> Any:
        return private_key_jwt_sign(
            RSAKey.import_key(auth.client_secret), client_id=auth.client_id,
            token_endpoint=token_endpoint, header=self.headers, alg=self.alg, expires_in=300,
        )


def new_signing_key() -> jwk.JWK:
    """A PS256 key (RSA 2048) with a random kid, for private_key_jwt and signed requests."""
    return jwk.JWK.generate(kty="RSA", size=2048, kid=f"rp-{secrets.token_hex(4)}",
                            alg="PS256", use="sig")


class Recipient:
    """One software product of an accredited data recipient."""

    def __init__(self, bank_url: str, *, ca_bundle: str, cert: tuple[str, str] | None,
                 redirect_uri: str = "https://recipient.example/callback",
                 resource_url: str | None = None, jwks_tls: ssl.SSLContext | None = None,
                 key: jwk.JWK | None = None) -> None:
        """`bank_url`: the public listener (discovery, authorize); `resource_url`: the mTLS
        listener the CDR APIs are on (the bank's mTLS base URL; default `bank_url`);
        `jwks_tls`: serve the recipient's own endpoints over HTTPS with this server context;
        `key`: its PS256 signing key (default: a new one)."""
        self.bank_url = bank_url.rstrip("/")
        self.resource_url = (resource_url or bank_url).rstrip("/")
        self.verify = ca_bundle
        self.cert = cert
        self.redirect_uri = redirect_uri
        self.key = key or new_signing_key()
        self.jwks_server = JwksServer({"keys": [json.loads(self.key.export_public())]},
                                      tls=jwks_tls)
        self.base_uri = ""
        self.client_id = ""
        self.metadata: JSON = {}

    # -- helpers -----------------------------------------------------------------------
    def sign(self, claims: JSON, *, typ: str | None = None) -> str:
        header = {"alg": "PS256", "kid": self.key.get("kid")}
        if typ:
            header["typ"] = typ
        token = jws.JWS(json.dumps(claims).encode())
        token.add_signature(self.key, alg="PS256", protected=json.dumps(header))
        return str(token.serialize(compact=True))

    def http(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        timeout = kwargs.pop("timeout", 15)
        kwargs.setdefault("allow_redirects", False)
        return requests.request(method, url, verify=self.verify, cert=self.cert, timeout=timeout,
                                **kwargs)

    def _tls(self) -> JSON:
        # No redirects: a 307 would re-send the form (code, refresh token, client assertion)
        # wherever it points; requests only drops the Authorization header across hosts.
        return {"verify": self.verify, "cert": self.cert, "timeout": 15, "allow_redirects": False}

    def discovery(self) -> JSON:
        """The bank's OpenID metadata; its issuer must be the bank we were told to use (OIDC
        Discovery 4.3), or every later iss check would compare against an impostor's."""
        if not self.metadata:
            url = f"{self.bank_url}/.well-known/openid-configuration"
            metadata = self.http("GET", url).json()
            if metadata.get("issuer") != self.bank_url:
                raise AssertionError(f"the discovery document's issuer is not {self.bank_url}")
            self.metadata = metadata
        return self.metadata

    def _oauth(self, client_id: str, token_endpoint: str, audience: str) -> OAuth2Session:
        session = OAuth2Session(
            client_id, self.key.export_to_pem(private_key=True, password=None).decode(),
            token_endpoint_auth_method="private_key_jwt",  # noqa: S106 - a method name
        )
        session.register_client_auth_method(
            ShortLivedPrivateKeyJWT(audience, alg="PS256", headers={"kid": self.key.get("kid")})
        )
        session.verify = self.verify
        session.cert = self.cert
        session.token_endpoint = token_endpoint
        return session

    # -- the CDR Register ----------------------------------------------------------------
    def start(self) -> str:
        self.base_uri = self.jwks_server.start()
        return self.base_uri

    def ssa(self, *, register_url: str, brand_id: str, software_product_id: str) -> str:
        token_url = f"{register_url}/idp/connect/token"
        session = self._oauth(software_product_id, token_url, token_url)
        token = session.fetch_token(token_url, grant_type="client_credentials",
                                    scope="cdr-register:read", **self._tls())
        response = self.http(
            "GET",
            f"{register_url}/cdr-register/v1/all/data-recipients/brands/{brand_id}"
            f"/software-products/{software_product_id}/ssa",
            headers={"Authorization": f"Bearer {token['access_token']}", "x-v": "4"},
        )
        response.raise_for_status()
        return response.text

    # -- DCR ------------------------------------------------------------------------------
    def register(self, ssa: str, *, software_product_id: str) -> JSON:
        now = int(time.time())
        request_jwt = self.sign({
            "iss": software_product_id, "aud": self.discovery()["issuer"], "iat": now,
            "exp": now + 300, "jti": str(uuid.uuid4()),
            "redirect_uris": [self.redirect_uri],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "PS256",
            "grant_types": ["client_credentials", "authorization_code", "refresh_token"],
            "response_types": ["code"], "application_type": "web",
            "id_token_signed_response_alg": "PS256", "request_object_signing_alg": "PS256",
            "authorization_signed_response_alg": "PS256", "software_statement": ssa,
        })
        response = self.http("POST", self.discovery()["registration_endpoint"], data=request_jwt,
                             headers={"Content-Type": "application/jwt"})
        if response.status_code != 201:
            raise AssertionError(f"DCR failed: {response.status_code} {response.text}")
        body = response.json()
        self.client_id = body["client_id"]
        return body

    # -- authorization -------------------------------------------------------------------
    def session(self) -> OAuth2Session:
        meta = self.discovery()
        return self._oauth(self.client_id, meta["token_endpoint"], meta["issuer"])

    def par(
        self, *, scope: str, sharing_duration: int, state: str | None = None,
        nonce: str | None = None, cdr_arrangement_id: str | None = None,
    ) -> tuple[str, str, str]:
        """Push an authorization request; (request_uri, code_verifier, state)."""
        meta = self.discovery()
        verifier = _b64(secrets.token_bytes(32))
        state = state or secrets.token_urlsafe(16)
        now = int(time.time())
        claims: JSON = {"sharing_duration": sharing_duration,
                        "id_token": {"acr": {"essential": True, "values": ["urn:cds.au:cdr:3"]}}}
        if cdr_arrangement_id:
            claims["cdr_arrangement_id"] = cdr_arrangement_id
        request_object = self.sign({
            "iss": self.client_id, "aud": meta["issuer"], "client_id": self.client_id,
            "iat": now, "nbf": now, "exp": now + 300, "jti": str(uuid.uuid4()),
            "response_type": "code", "response_mode": "jwt", "redirect_uri": self.redirect_uri,
            "scope": scope, "state": state, "nonce": nonce or secrets.token_urlsafe(16),
            "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
            "code_challenge_method": "S256", "claims": claims,
        })
        session = self.session()
        response = session.post(
            meta["pushed_authorization_request_endpoint"], data={"request": request_object},
            auth=session.client_auth("private_key_jwt"), withhold_token=True, **self._tls(),
        )
        if response.status_code != 201:
            raise AssertionError(f"PAR failed: {response.status_code} {response.text}")
        return response.json()["request_uri"], verifier, state

    def authorize_url(self, request_uri: str) -> str:
        query = urlencode({"client_id": self.client_id, "request_uri": request_uri})
        return f"{self.discovery()['authorization_endpoint']}?{query}"

    def jarm(self, redirect_url: str, *, state: str | None = None) -> JSON:
        """The verified claims of the JARM response in the redirect URL (and its state, when
        the caller passes the one it sent: a response for another request is refused)."""
        query = parse_qs(urlsplit(redirect_url).query)
        if "response" not in query:
            raise AssertionError("no JARM response in the redirect")
        claims = self.bank_jwt(query["response"][0], what="JARM response",
                               audience=self.client_id)
        if state is not None and claims.get("state") != state:
            raise AssertionError("JARM response for another request (state)")
        return claims

    def bank_jwt(self, compact: str, *, what: str, audience: str) -> JSON:
        """The claims of a JWT the bank signed (JARM response, ID token, revocation notice),
        checked as a careful recipient must:

        - compact serialization only (three base64url parts), never the JSON forms;
        - PS256 or ES256 (never the algorithm the header would choose), a `kid`, and a key of
          the bank's JWKS of the matching type (RSA for PS256, EC P-256 for ES256) meant for
          signing; then the signature;
        - `iss` the bank's issuer; `aud` this audience (a list only with `azp` us);
        - `exp` in the future; `iat`/`nbf`, when present, not in the future (60 s leeway).
        """
        if not _COMPACT_JWS.match(compact):
            raise AssertionError(f"{what} is not a compact JWS")
        token = jws.JWS()
        token.deserialize(compact)
        header = token.jose_header
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in _KEY_TYPES or not isinstance(kid, str):
            raise AssertionError(f"{what} signed with {alg!r} or without a kid")
        keys = jwk.JWKSet.from_json(
            json.dumps(self.http("GET", self.discovery()["jwks_uri"]).json()))
        key = keys.get_key(kid)
        if key is None:
            raise AssertionError(f"{what} signed with a key the bank does not publish")
        kty, crv = _KEY_TYPES[alg]
        if key.get("kty") != kty or (crv and key.get("crv") != crv) or \
                key.get("use") not in (None, "sig"):
            raise AssertionError(f"{what} signed with a key not meant for {alg}")
        token.verify(key, alg=alg)
        claims: JSON = json.loads(token.payload)
        aud = claims.get("aud")
        for_us = aud == audience or (
            isinstance(aud, list) and audience in aud and (len(aud) == 1
                                                            or claims.get("azp") == audience))
        if claims.get("iss") != self.discovery()["issuer"] or not for_us:
            raise AssertionError(f"{what} not for us")
        now = time.time()
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now:
            raise AssertionError(f"{what} expired")
        for name in ("iat", "nbf"):
            value = claims.get(name)
            if value is not None and (not isinstance(value, int | float)
                                      or value > now + CLOCK_LEEWAY):
                raise AssertionError(f"{what} from the future ({name})")
        return claims

    def id_token_claims(self, id_token: str, *, nonce: str) -> JSON:
        """The checked claims of an ID token from the token endpoint (OIDC Core 3.1.3.7):
        signed by the bank, for us, unexpired, carrying the nonce we sent and the
        authentication level the CDR requires (we asked for it as essential)."""
        claims = self.bank_jwt(id_token, what="ID token", audience=self.client_id)
        if claims.get("nonce") != nonce:
            raise AssertionError("ID token for another request (nonce)")
        if claims.get("acr") != CDR_ACR:
            raise AssertionError(f"ID token with acr {claims.get('acr')!r}, not {CDR_ACR}")
        return claims

    def token(self, *, code: str, code_verifier: str) -> JSON:
        session = self.session()
        return dict(session.fetch_token(
            self.discovery()["token_endpoint"], grant_type="authorization_code", code=code,
            code_verifier=code_verifier, redirect_uri=self.redirect_uri, **self._tls()))

    def refresh(self, refresh_token: str) -> JSON:
        session = self.session()
        return dict(session.refresh_token(self.discovery()["token_endpoint"],
                                          refresh_token=refresh_token, **self._tls()))

    def client_post(self, endpoint: str, data: JSON) -> requests.Response:
        session = self.session()
        return session.post(self.discovery()[endpoint], data=data,
                            auth=session.client_auth("private_key_jwt"), withhold_token=True,
                            **self._tls())

    def api(self, path: str, access_token: str, *, x_v: str, cert: tuple[str, str] | None = None,
            **headers: str) -> requests.Response:
        return requests.get(
            f"{self.resource_url}/cds-au/v1/{path}", verify=self.verify, timeout=15,
            cert=cert if cert is not None else self.cert,
            headers={"Authorization": f"Bearer {access_token}", "x-v": x_v,
                     "x-fapi-auth-date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
                     **headers},
        )
