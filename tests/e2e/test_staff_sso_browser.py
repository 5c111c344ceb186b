"""A member of staff signs in to the staff console through the corporate IdP (OIDC single
sign-on, security/staff_sso) in headless Chromium, against a live bank and a live IdP.

The bank here is a second live bank (its mTLS listener only: the admin and the SSO routes
live there) started with the BANK_STAFF_OIDC_* settings; `live_bank` is left as it is. The IdP
(tests/staff_sso/idp.py) serves HTTPS with the demo PKI's server certificate on
https://localhost:<port>, another site than the bank's https://127.0.0.1:<port>: the
browser then keeps the SameSite=Strict session cookie back on the IdP's redirect to the
callback, and the sign-in completes only through the callback's same-site bounce.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import requests

from tests.e2e.conftest import ROOT, LiveBank, Pki, _free_port, chromium_for
from tests.staff_sso.idp import TestIdp

if TYPE_CHECKING:  # Playwright is imported when a test runs: without it they are left out.
    from playwright.sync_api import Browser, Request

pytestmark = pytest.mark.browser

STAFF = "e2e-sso-staff"
SUBJECT = "corp-directory-0042"
CLIENT_ID = "bank-staff-console"
CLIENT_SECRET = "e2e idp client secret, tests only"  # the test IdP's, nothing real


@pytest.fixture(scope="module")
def sso_bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveBank, TestIdp]]:
    """A live bank whose staff console signs in through a live IdP on another site."""
    workdir = tmp_path_factory.mktemp("e2e-sso-bank")
    pki = Pki(root=workdir / "pki")
    port, mtls_port = _free_port(), _free_port()
    url, mtls_url = f"https://127.0.0.1:{port}", f"https://127.0.0.1:{mtls_port}"
    env = {
        **{k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "BANK_", "DATABASE_URL", "REDIS_URL"))},
        "DJANGO_SETTINGS_MODULE": "bank.settings.test",
        "DATABASE_URL": f"sqlite:///{workdir / 'bank.sqlite3'}",
        "BANK_PUBLIC_BASE_URL": url,
        "BANK_MTLS_BASE_URL": mtls_url,
        "BANK_SIGNING_KEYS_DIR": str(workdir / "signing"),
        "BANK_MOCK_REGISTER_KEYS_DIR": str(workdir / "register-keys"),
        "BANK_LOCAL_KEYS_DIR": str(workdir / "keys"),
        "BANK_LOG_LEVEL": "WARNING",
    }
    bank = LiveBank(url=url, mtls_url=mtls_url, ca=pki.ca, workdir=workdir, env=env, pki=pki)
    pki.bank = bank
    bank.manage("pki", "init", "--dir", str(pki.root))
    idp = TestIdp(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, subject=SUBJECT,
                  redirect_uri=f"{mtls_url}/staff-sso/callback/", host="localhost",
                  login_page=True)
    idp.start(certfile=str(pki.server.cert), keyfile=str(pki.server.key))
    env.update({
        "BANK_STAFF_OIDC_ISSUER": idp.issuer,
        "BANK_STAFF_OIDC_CLIENT_ID": CLIENT_ID,
        "BANK_STAFF_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "BANK_STAFF_OIDC_AUTHORIZATION_ENDPOINT": f"{idp.issuer}/authorize",
        "BANK_STAFF_OIDC_TOKEN_ENDPOINT": f"{idp.issuer}/token",
        "BANK_STAFF_OIDC_JWKS_ENDPOINT": f"{idp.issuer}/jwks",
        "BANK_STAFF_OIDC_SIGNING_ALGORITHMS": "RS256",
        "BANK_STAFF_OIDC_CA_BUNDLE": str(pki.ca),
    })
    bank.manage("migrate", "--noinput", "-v", "0")
    log = (workdir / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "bank.serve", "mtls", "--bind", f"127.0.0.1:{mtls_port}",
         "--pki-dir", str(pki.root), "--workers", "1", "--threads", "4"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    client = pki.client("e2e-sso-readiness")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{mtls_url}/static/", verify=str(pki.ca), cert=client.pair,
                             timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError((workdir / "gunicorn.log").read_text()) from None
                time.sleep(0.3)
        yield bank, idp
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        idp.stop()


@pytest.fixture(scope="module")
def browser(sso_bank: tuple[LiveBank, TestIdp]) -> Iterator[Browser]:
    with chromium_for(sso_bank[0]) as browser:
        yield browser


def _staff_with_identity(bank: LiveBank, idp: TestIdp) -> int:
    """Creates the member of staff and maps the IdP subject to them; the user's id."""
    out = bank.manage("shell", "-c", (
        "from django.contrib.auth import get_user_model\n"
        "from security.audit import Actor, ActorType\n"
        "from security.staff_sso.services import staff_identity_link\n"
        f"user = get_user_model().objects.create_user({STAFF!r}, is_staff=True)\n"
        f"staff_identity_link(user=user, issuer={idp.issuer!r}, subject={SUBJECT!r}, "
        "actor=Actor(ActorType.SYSTEM))\n"
        "print(user.pk)"))
    return int(out.strip().splitlines()[-1])  # after the shell's import notice


def _login_events(bank: LiveBank) -> list[dict[str, object]]:
    out = bank.manage("shell", "-c", (
        "import json\n"
        "from security.models import AuditEvent\n"
        "print(json.dumps(list(AuditEvent.objects.filter(event_type__startswith='STAFF_')"
        ".exclude(event_type='STAFF_IDENTITY_LINKED').order_by('id')"
        ".values('event_type', 'outcome', 'actor_type', 'actor_id', 'detail'))))"))
    events: list[dict[str, object]] = json.loads(out.strip().splitlines()[-1])
    return events


def test_staff_signs_in_through_the_corporate_idp(sso_bank: tuple[LiveBank, TestIdp],
                                                  browser: Browser) -> None:
    bank, idp = sso_bank
    user_id = _staff_with_identity(bank, idp)
    certificate = bank.pki.client("e2e-sso-browser")
    context = browser.new_context(client_certificates=[{
        "origin": bank.mtls_url, "certPath": str(certificate.cert),
        "keyPath": str(certificate.key)}])
    page = context.new_page()
    callbacks: list[Request] = []
    page.on("request", lambda r: callbacks.append(r) if "/staff-sso/callback/" in r.url else None)

    page.goto(f"{bank.mtls_url}/admin/")
    assert "/admin/login/" in page.url  # no second factor, no console
    page.click("text=Sign in with the bank's identity provider")
    page.wait_for_url(f"{idp.issuer}/authorize?*")
    assert page.locator("h1").inner_text() == "Corporate sign-in"
    page.click("button[type=submit]")  # a navigation the IdP's site starts: cross-site

    page.wait_for_url(f"{bank.mtls_url}/admin/")
    assert page.locator("#content h1").inner_text() == "Site administration"
    assert page.locator("#user-tools strong").text_content() == STAFF  # (CSS upper-cases it)
    assert len(idp.authorize_requests) == 1
    assert idp.authorize_requests[0]["redirect_uri"] == f"{bank.mtls_url}/staff-sso/callback/"
    # The IdP's cross-site redirect came without the Strict cookie and was bounced once;
    # the bounce's same-site request carried it and signed in.
    first, bounced = callbacks
    assert "sso_bounced" not in first.url and "cookie" not in first.all_headers()
    first_response = first.response()
    assert first_response is not None and first_response.status == 200  # the bounce page
    assert bounced.url == f"{first.url}&sso_bounced=1"
    assert "__Host-staff-session=" in bounced.all_headers()["cookie"]
    assert _login_events(bank) == [{
        "event_type": "STAFF_LOGIN_SUCCEEDED", "outcome": "success", "actor_type": "staff",
        "actor_id": str(user_id), "detail": {"method": "oidc", "step_up": False}}]
    context.close()
