"""OWASP API10:2023 Unsafe Consumption of APIs: what the bank believes from the CDR Register.

The bank consumes the Register's SSAs (security/oauth/dcr.py: verified against the Register's
JWKS before any claim is used), the Register's JWKS, and its status lists (security/recipients/
services.py, polled every five minutes: a product or recipient marked inactive loses access).
A compromised, spoofed or broken Register (or anything between) can send forged or unsigned
SSAs, `alg: none` and HS256-with-the-public-key tricks, a JWKS with a symmetric key, malformed,
oversize or HTML answers, redirects and status values the standard does not define.

Expected: the bank fails closed. A bad SSA is 400 invalid_software_statement, nothing is
registered, none of its URLs is fetched, and the refusal is audited (CLIENT_REGISTRATION_REJECTED);
a bad status answer changes no status (RegisterUnavailableError: the task retries) and writes no
status-change event; an undefined status value is ignored, never taken as a reactivation.

The status lists come from a fake Register the test runs (a real HTTP server on loopback, the
test settings allow http); the SSAs go through tests/register/harness.py (the mock Register's
own views and keys, with only the HTTP hop routed in-process).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from jwcrypto import jwk, jws

from bank.register_mock.keys import register_keys, register_sign
from bank.register_mock.ssa import ssa_claims
from security.models import AuditEvent
from security.oauth.models import ClientRegistration
from security.recipients.models import DataRecipient, SoftwareProduct
from security.recipients.services import RegisterUnavailableError, recipient_statuses_refresh
from tests.register.harness import (  # noqa: F401 (the harness's fixtures)
    HttpRouter,
    dcr_post,
    make_recipient,
    register_env,
    register_keys_dir,
)

RECIPIENTS_PATH = "/cdr-register/v1/all/data-recipients/status"
PRODUCTS_PATH = "/cdr-register/v1/all/data-recipients/brands/software-products/status"
STATUS_EVENTS = ("RECIPIENT_STATUS_CHANGED", "SOFTWARE_PRODUCT_STATUS_CHANGED")

Answer = tuple[int, str, bytes]  # status, content type, body


class FakeRegister:
    """The Register's two status endpoints, answering whatever the test sets."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.hits: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                owner.hits.append(self.path)
                status, content_type, body = owner.answers.get(
                    self.path, (404, "application/json", b"{}"))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if status in (301, 302, 307):
                    self.send_header("Location", f"{owner.base}/elsewhere")
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def lists(self, recipients: list[Any], products: list[Any]) -> None:
        for path, rows in ((RECIPIENTS_PATH, recipients), (PRODUCTS_PATH, products)):
            self.answers[path] = (200, "application/json", json.dumps({"data": rows}).encode())


@pytest.fixture
def register(settings: Any, db: Any) -> Iterator[FakeRegister]:
    fake = FakeRegister()
    settings.BANK_REGISTER_BASE_URL = fake.base
    yield fake
    fake.httpd.shutdown()


@pytest.fixture
def product(db: Any) -> SoftwareProduct:
    recipient = DataRecipient.objects.create(legal_entity_id="le-attack-1",
                                             legal_entity_name="Attack Test Pty Ltd")
    return SoftwareProduct.objects.create(recipient=recipient, software_product_id="sp-attack-1",
                                          name="Attack Test", status="ACTIVE")


def _unchanged(product: SoftwareProduct) -> None:
    product.refresh_from_db()
    product.recipient.refresh_from_db()
    assert (product.status, product.recipient.status) == ("ACTIVE", "ACTIVE")
    assert not AuditEvent.objects.filter(event_type__in=STATUS_EVENTS).exists()


def test_a_well_formed_status_change_is_applied_and_audited(register: FakeRegister,
                                                            product: SoftwareProduct) -> None:
    register.lists([{"legalEntityId": "le-attack-1", "status": "ACTIVE"}],
                   [{"softwareProductId": "sp-attack-1", "status": "INACTIVE"}])
    result = recipient_statuses_refresh()
    assert (result.recipients_changed, result.products_changed) == (0, 1)
    product.refresh_from_db()
    assert product.status == "INACTIVE"
    assert AuditEvent.objects.filter(event_type="SOFTWARE_PRODUCT_STATUS_CHANGED").count() == 1


_GOOD = json.dumps({"data": [{"softwareProductId": "sp-attack-1", "status": "INACTIVE"}]})
BAD_ANSWERS: dict[str, Answer] = {
    "malformed JSON": (200, "application/json", _GOOD[:-3].encode()),
    "an HTML error page": (200, "text/html", b"<html><body>Gateway login</body></html>"),
    "an empty body": (200, "application/json", b""),
    "no data member": (200, "application/json", b'{"items": []}'),
    "data is an object": (200, "application/json", b'{"data": {"status": "INACTIVE"}}'),
    "a JSON array": (200, "application/json", b"[]"),
    "a server error": (500, "application/json", _GOOD.encode()),
    "not found": (404, "application/json", _GOOD.encode()),
    "a redirect without a body": (302, "application/json", b""),
    "NaN and duplicate keys": (200, "application/json",
                               b'{"data": NaN, "data": {"x": 1}}'),
}


@pytest.mark.parametrize("answer", sorted(BAD_ANSWERS))
def test_a_bad_status_answer_changes_nothing(register: FakeRegister, product: SoftwareProduct,
                                             answer: str) -> None:
    register.lists([], [])
    register.answers[PRODUCTS_PATH] = BAD_ANSWERS[answer]
    with pytest.raises(RegisterUnavailableError):
        recipient_statuses_refresh()
    _unchanged(product)
    assert "/elsewhere" not in register.hits  # a redirect is never followed


@pytest.mark.parametrize("status_code", [301, 302, 307])
def test_a_redirect_answer_is_not_taken_as_the_list(register: FakeRegister,
                                                    product: SoftwareProduct,
                                                    status_code: int) -> None:
    register.lists([], [])
    register.answers[PRODUCTS_PATH] = (status_code, "application/json", _GOOD.encode())
    with pytest.raises(RegisterUnavailableError):
        recipient_statuses_refresh()
    _unchanged(product)
    assert "/elsewhere" not in register.hits


@pytest.mark.parametrize("status", ["inactive", "ACTIVE ", "", None, 1, True, ["INACTIVE"],
                                    {"status": "INACTIVE"}, "DELETED", "INACTIVE\u0000"])
def test_an_undefined_status_value_is_ignored(register: FakeRegister, product: SoftwareProduct,
                                              status: Any) -> None:
    product.status = "INACTIVE"
    product.save(update_fields=["status"])
    register.lists([{"legalEntityId": "le-attack-1", "status": status}],
                   [{"softwareProductId": "sp-attack-1", "status": status},
                    "not a row", None, {"softwareProductId": ["sp-attack-1"],
                                        "status": "ACTIVE"}])
    result = recipient_statuses_refresh()
    assert (result.recipients_changed, result.products_changed) == (0, 0)
    product.refresh_from_db()
    assert product.status == "INACTIVE", "an undefined status reactivated the product"


def test_an_oversize_status_answer_is_refused(register: FakeRegister,
                                              product: SoftwareProduct) -> None:
    rows = [{"softwareProductId": f"sp-{i:08d}", "status": "ACTIVE"} for i in range(120_000)]
    rows.append({"softwareProductId": "sp-attack-1", "status": "INACTIVE"})
    register.lists([], rows)  # about 7 MB: far beyond any real Register's list
    assert len(register.answers[PRODUCTS_PATH][2]) > 6_000_000
    with pytest.raises(RegisterUnavailableError):
        recipient_statuses_refresh()
    _unchanged(product)


# SSAs ---------------------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def _hs256(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    key = jwk.JWK(kty="oct", k=_b64(secret))
    token = jws.JWS(json.dumps(claims).encode())
    token.add_signature(key, alg="HS256", protected=json.dumps({"alg": "HS256", "kid": kid}))
    return str(token.serialize(compact=True))


#: An SSA's URLs are put on the metadata address: they must never be fetched for a bad SSA.
TRAP = "https://169.254.169.254"


def _claims(recipient: Any) -> dict[str, Any]:
    return {**ssa_claims(product=recipient.product), "jwks_uri": f"{TRAP}/jwks"}


def _register_key() -> Any:
    return register_keys()[-1]


FORGED_SSAS: dict[str, Callable[[Any], str]] = {
    "alg none": lambda r: _unsigned(_claims(r), {"alg": "none", "typ": "JWT"}),
    "alg none, the Register's kid": lambda r: _unsigned(
        _claims(r), {"alg": "none", "kid": _register_key().kid}),
    "HS256 keyed with the Register's public key (PEM)": lambda r: _hs256(
        _claims(r), _register_key().key.export_to_pem(), _register_key().kid),
    "HS256 keyed with the Register's public JWK": lambda r: _hs256(
        _claims(r), _register_key().key.export_public().encode(), _register_key().kid),
    "a genuine signature over other claims": lambda r: (
        lambda real: ".".join([real.split(".")[0],
                               _b64(json.dumps(_claims(r)).encode()),
                               real.split(".")[2]]))(register_sign(ssa_claims(product=r.product))),
    "signed by an unknown key with the Register's kid": lambda r: _forged(r),
    "jku header pointing at the attacker": lambda r: _forged(r, jku=f"{TRAP}/keys"),
    "expired": lambda r: register_sign({**_claims(r), "iat": int(time.time()) - 7200,
                                        "exp": int(time.time()) - 3600}),
    "wrong issuer": lambda r: register_sign({**_claims(r), "iss": "cdr-register.evil"}),
    "no software_id": lambda r: register_sign(
        {k: v for k, v in _claims(r).items() if k != "software_id"}),
    "a JSON-serialized JWS": lambda r: json.dumps(
        {"payload": _b64(json.dumps(_claims(r)).encode()), "signatures": []}),
}


def _forged(recipient: Any, **header: Any) -> str:
    forger = jwk.JWK.generate(kty="RSA", size=2048)
    token = jws.JWS(json.dumps(_claims(recipient)).encode())
    token.add_signature(forger, alg="PS256", protected=json.dumps(
        {"alg": "PS256", "kid": _register_key().kid, **header}))
    return str(token.serialize(compact=True))


@pytest.mark.parametrize("case", sorted(FORGED_SSAS))
def test_a_forged_ssa_is_refused_unused_and_audited(make_recipient: Callable[..., Any],  # noqa: F811
                                                    register_env: HttpRouter,  # noqa: F811
                                                    case: str) -> None:
    recipient = make_recipient()
    response = dcr_post(Client(), recipient.registration_request(FORGED_SSAS[case](recipient)))
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_software_statement"
    assert not ClientRegistration.objects.exists()
    assert not any(TRAP in url for _, url in register_env.calls), "a bad SSA's URL was fetched"
    event = AuditEvent.objects.get(event_type="CLIENT_REGISTRATION_REJECTED")
    assert event.detail["error"] == "invalid_software_statement"


def test_the_genuine_ssa_registers(make_recipient: Callable[..., Any],  # noqa: F811
                                   register_env: HttpRouter) -> None:  # noqa: F811
    recipient = make_recipient()
    response = dcr_post(Client(), recipient.registration_request())
    assert response.status_code == 201, response.content
    assert ClientRegistration.objects.count() == 1


#: Register JWKS documents a spoofed Register could serve; each makes every SSA fail.
BAD_REGISTER_JWKS: dict[str, Any] = {
    "a symmetric key": {"keys": [{"kty": "oct", "k": _b64(b"shared-secret-shared-secret-0123"),
                                  "kid": "sym", "alg": "HS256"}]},
    "not a key list": {"keys": "everything"},
    "no keys": {"keys": []},
    "an RSA key of 1024 bits": {"keys": [dict(json.loads(
        jwk.JWK.generate(kty="RSA", size=1024, kid="small").export_public()), alg="PS256")]},
}


@pytest.mark.parametrize("case", sorted(BAD_REGISTER_JWKS))
def test_a_spoofed_register_jwks_verifies_nothing(make_recipient: Callable[..., Any],  # noqa: F811
                                                  register_env: HttpRouter,  # noqa: F811
                                                  settings: Any, case: str) -> None:
    recipient = make_recipient()
    spoofed = "https://register.spoofed.example/jwks"
    register_env.documents[spoofed] = BAD_REGISTER_JWKS[case]
    settings.BANK_REGISTER_JWKS_URI = spoofed
    if case == "a symmetric key":
        ssa = _hs256(ssa_claims(product=recipient.product), b"shared-secret-shared-secret-0123",
                     "sym")
    elif case == "an RSA key of 1024 bits":
        small = jwk.JWK.generate(kty="RSA", size=1024, kid="small")
        register_env.documents[spoofed] = {"keys": [dict(json.loads(small.export_public()),
                                                         alg="PS256")]}
        token = jws.JWS(json.dumps(ssa_claims(product=recipient.product)).encode())
        token.add_signature(small, alg="PS256", protected=json.dumps(
            {"alg": "PS256", "kid": "small"}))
        ssa = str(token.serialize(compact=True))
    else:
        ssa = register_sign(ssa_claims(product=recipient.product))
    response = dcr_post(Client(), recipient.registration_request(ssa))
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_software_statement"
    assert not ClientRegistration.objects.exists()
