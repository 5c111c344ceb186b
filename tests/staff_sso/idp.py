"""A small OpenID Connect provider for the staff SSO tests: real HTTP, real signatures.

Authorization code flow with PKCE S256 (checked with Authlib's RFC 7636 helper), client
secret (HTTP Basic), single-use codes bound to client, redirect URI and challenge, and ID
tokens signed RS256 with joserfc. It serves a thread on 127.0.0.1 (or HTTPS and a sign-in
page, for the browser test). `forge` lets a test play a compromised or confused IdP: it gets the claims
(and the signing key) and returns the ID token to hand out instead.
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey

Forge = Callable[[dict[str, Any], RSAKey], str]


@dataclass
class TestIdp:
    __test__ = False  # not a pytest test class

    client_id: str
    client_secret: str
    redirect_uri: str
    subject: str = "staff-sub-1"
    amr: list[str] = field(default_factory=lambda: ["pwd", "otp"])
    forge: Forge | None = None
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "idp-1"}))
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    jwks_fetches: int = 0
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None
    scheme: str = "http"
    #: The name in the issuer URL (the server listens on 127.0.0.1): the browser test uses
    #: "localhost", another site than the bank's 127.0.0.1.
    host: str = "127.0.0.1"
    #: Show a sign-in page at /authorize whose form (POST) issues the code, as a real IdP
    #: does. The browser test needs it: a redirect straight back would leave the navigation
    #: initiated by the bank's page, which Chromium treats as same-site.
    login_page: bool = False

    @property
    def issuer(self) -> str:
        assert self.server is not None
        return f"{self.scheme}://{self.host}:{self.server.server_address[1]}"

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        return jwt.encode(header or {"alg": "RS256", "kid": self.key.kid}, claims, self.key)

    def claims_for(self, entry: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": self.issuer, "sub": entry["sub"], "aud": self.client_id, "iat": now,
                "exp": now + 300, "auth_time": entry["auth_time"], "nonce": entry["nonce"],
                "amr": self.amr}

    # HTTP -----------------------------------------------------------------------------
    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.authorize_requests.append(query)
        if (query.get("client_id") != self.client_id or query.get("redirect_uri") != self.redirect_uri
                or query.get("response_type") != "code" or query.get("code_challenge_method") != "S256"
                or not query.get("code_challenge")):
            return 400, {}, b"invalid_request"
        code = secrets.token_urlsafe(24)
        self._codes[code] = {"challenge": query["code_challenge"], "nonce": query.get("nonce"),
                             "sub": self.subject, "auth_time": int(time.time())}
        location = f"{self.redirect_uri}?{urlencode({'code': code, 'state': query['state']})}"
        return 302, {"Location": location}, b""

    def sign_in_page(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in query.items())
        page = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<title>Corporate sign-in</title></head><body><h1>Corporate sign-in</h1>"
                f'<form method="post" action="/authorize">{fields}'
                "<button type=\"submit\">Sign in</button></form></body></html>")
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, str], bytes]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if not secrets.compare_digest(authorization, f"Basic {expected}"):
            return 401, {}, b'{"error": "invalid_client"}'
        entry = self._codes.pop(form.get("code", ""), None)  # single use
        if (entry is None or form.get("grant_type") != "authorization_code"
                or form.get("redirect_uri") != self.redirect_uri
                or create_s256_code_challenge(form.get("code_verifier", "")) != entry["challenge"]):
            return 400, {}, b'{"error": "invalid_grant"}'
        claims = self.claims_for(entry)
        id_token = self.forge(claims, self.key) if self.forge else self.sign(claims)
        body = {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                "expires_in": 300, "id_token": id_token}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def jwks(self) -> tuple[int, dict[str, str], bytes]:
        self.jwks_fetches += 1
        body = {"keys": [self.key.as_dict(private=False, use="sig", alg="RS256")]}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def start(self, certfile: str | None = None, keyfile: str | None = None) -> TestIdp:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, answer: tuple[int, dict[str, str], bytes]) -> None:
                status, headers, body = answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/authorize":
                    self._send(idp.sign_in_page(query) if idp.login_page
                               else idp.authorize(query))
                elif url.path == "/jwks":
                    self._send(idp.jwks())
                else:
                    self._send((404, {}, b""))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path == "/token":
                    self._send(idp.token(form, self.headers.get("Authorization", "")))
                elif urlsplit(self.path).path == "/authorize" and idp.login_page:
                    self._send(idp.authorize(form))  # the sign-in page's form
                else:
                    self._send((404, {}, b""))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if certfile:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(certfile, keyfile)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any], header: dict[str, Any]) -> str:
    """A JWS with `header` and no real signature (for the alg none / HS256 attacks)."""
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
