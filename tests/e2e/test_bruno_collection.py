"""The Bruno collection (collections/bruno/) run by the Bruno CLI against a live bank.

`bru run` (the pinned @usebruno/cli in collections/bruno/node_modules) sends the collection's
own requests, scripts and tests over real TLS: the demo CA only (`--cacert`,
`--ignore-truststore`), the client certificate from bruno.json's `clientCertificates` (its
variables pointed at this recipient's certificate), the private_key_jwt assertions and the
PAR request object signed by lib/cdr.js with this recipient's key. Every request of a run must
pass every one of its tests, read from the CLI's JSON report.

The consent in between is the one step a person does in a browser: here the scripted demo
customer does it, as in test_recipient_flow.py.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bank_client.demo_customer import DemoCustomer
from tests.conftest import BRUNO_CLI
from tests.e2e.conftest import ROOT, LiveBank, registered_recipient

pytestmark = pytest.mark.bruno

COLLECTION = ROOT / "collections" / "bruno"
PUBLIC = "1 Public"
CLIENT = "2 Recipient client (private_key_jwt)"
CDR = "3 CDR Banking APIs"
SCOPE = ("openid profile bank:accounts.basic:read bank:accounts.detail:read "
         "bank:transactions:read bank:payees:read bank:regular_payments:read "
         "common:customer.basic:read")


def _requests_in(folder: str) -> set[str]:
    """The request names of a collection folder (every .bru file but folder.bru)."""
    return {p.stem for p in (COLLECTION / folder).glob("*.bru") if p.name != "folder.bru"}


def bru_run(bank: LiveBank, tmp_path: Path, *paths: str, sandbox: str = "safe",
            passes: bool = True, **variables: str) -> list[dict[str, Any]]:
    """Run collection paths with the demo environment pointed at `bank`; the report's results,
    all passed (every request ran its tests and passed them all) unless `passes` is False."""
    report = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
    overrides = {"bank_url": bank.url, "mtls_url": bank.mtls_url,
                 "mtls_host": bank.mtls_url.removeprefix("https://"), **variables}
    command = [str(BRUNO_CLI), "run", *paths, "--env", "demo", "--sandbox", sandbox,
               "--cacert", str(bank.ca), "--ignore-truststore", "--reporter-json", str(report),
               "--reporter-skip-headers", "Authorization"]
    for name, value in overrides.items():
        command += ["--env-var", f"{name}={value}"]
    done = subprocess.run(command, cwd=COLLECTION, capture_output=True, text=True, timeout=180,
                          check=False, env={**os.environ, "NO_COLOR": "1"})
    assert report.is_file(), f"bru wrote no report (exit {done.returncode}):\n{done.stderr[-2000:]}"
    results: list[dict[str, Any]] = json.loads(report.read_text())[0]["results"]
    failures = [failure for failure in map(_failure, results) if failure]
    if not passes:
        assert failures and done.returncode != 0, "every request passed"
        return results
    assert not failures and done.returncode == 0, (
        f"bru run {paths} exit {done.returncode}:\n" + "\n".join(failures)
        + f"\n--- bru output (tail)\n{done.stdout[-3000:]}")
    return results


def _failure(result: dict[str, Any]) -> str:
    """Why a request of the report failed (its error or its failed tests), or ''."""
    name = result["test"]["filename"]
    if result.get("error"):
        return f"{name}: {result['error']}"
    tests = result.get("testResults", [])
    if not tests:
        return f"{name}: ran no test"
    failed = [f"{t['description']}: {t.get('error', '')}" for t in tests if t["status"] != "pass"]
    return f"{name}: " + "; ".join(failed) if failed else ""


def _names(results: list[dict[str, Any]]) -> list[str]:
    return [Path(r["test"]["filename"]).stem for r in results]


def _status(results: list[dict[str, Any]], name: str) -> int:
    return int(next(r for r in results if Path(r["test"]["filename"]).stem == name)
               ["response"]["status"])


@pytest.fixture(scope="module")
def recipient(live_bank):
    """A recipient registered by DCR, with its own client certificate and signing key."""
    with registered_recipient(live_bank, certificate="bruno-collection",
                              name="Bruno Collection", scope=SCOPE) as recipient:
        yield recipient


@pytest.fixture
def recipient_variables(recipient, tmp_path) -> dict[str, str]:
    """The environment values `bank-client credentials --bruno` would print for it."""
    key_file = tmp_path / "recipient-jwt.key"
    key_file.write_bytes(recipient.key.export_to_pem(private_key=True, password=None))
    key_file.chmod(0o600)
    cert, key = recipient.cert
    # Relative to the collection, as a person would write it in the environment.
    return {"client_id": recipient.client_id,
            "signing_key_file": os.path.relpath(key_file, COLLECTION),
            "signing_key_kid": recipient.key.get("kid"), "redirect_uri": recipient.redirect_uri,
            "scope": SCOPE, "client_cert_file": cert, "client_key_file": key}


def _consent(live_bank, recipient, request_uri: str | None = None) -> tuple[str, str, str]:
    """PAR by the Python recipient (unless given a request_uri), then the demo customer's
    consent; (redirect URL carrying the JARM response, code_verifier, state)."""
    verifier = state = ""
    if request_uri is None:
        request_uri, verifier, state = recipient.par(scope=SCOPE, sharing_duration=86_400)
    customer = DemoCustomer(live_bank.url, ca_bundle=str(live_bank.ca), outbox=live_bank.outbox,
                            username="jane.citizen", password=live_bank.password("jane.citizen"))
    redirect = customer.consent(recipient.authorize_url(request_uri),
                                redirect_uri=recipient.redirect_uri)
    return redirect, verifier, state


def test_public_folder_needs_no_credentials(live_bank, tmp_path):
    results = bru_run(live_bank, tmp_path, PUBLIC)
    assert sorted(_names(results)) == sorted(_requests_in(PUBLIC))
    assert all(r["response"]["status"] == 200 for r in results)


def test_cdr_folder_with_a_token_bound_to_the_certificate(live_bank, recipient, tmp_path):
    redirect, verifier, state = _consent(live_bank, recipient)
    token = recipient.token(code=recipient.jarm(redirect, state=state)["code"],
                            code_verifier=verifier)
    # bruno.json's client certificate, as the demo environment gives it: relative paths,
    # which Bruno resolves against the collection's folder.
    cert, key = (os.path.relpath(path, COLLECTION) for path in recipient.cert)
    results = bru_run(live_bank, tmp_path, CDR, access_token=token["access_token"],
                      client_cert_file=cert, client_key_file=key)
    assert sorted(_names(results)) == sorted(_requests_in(CDR))

    # The same token on another client certificate is refused: the passes above were the
    # certificate binding (RFC 8705) at work, not a token that works anywhere.
    thief = live_bank.pki.client("bruno-thief")
    stolen = bru_run(live_bank, tmp_path, f"{CDR}/Get Accounts.bru", passes=False,
                     access_token=token["access_token"], client_cert_file=str(thief.cert),
                     client_key_file=str(thief.key))
    assert _status(stolen, "Get Accounts") == 401


def test_recipient_folder_private_key_jwt(live_bank, recipient, recipient_variables, tmp_path):
    # PAR from the collection: request object and client assertion signed by lib/cdr.js.
    pushed = bru_run(live_bank, tmp_path, f"{CLIENT}/PAR.bru", sandbox="developer",
                     **recipient_variables)
    assert _status(pushed, "PAR") == 201
    request_uri = pushed[0]["response"]["data"]["request_uri"]
    # The bank accepts that pushed request: the customer consents to it in a browser.
    redirect, _, _ = _consent(live_bank, recipient, request_uri=request_uri)
    assert redirect.startswith(recipient.redirect_uri + "?response=")

    # The code exchange and the rest, in one run: the JARM response checked by the script,
    # tokens carried from request to request in runtime variables. (This PAR's verifier
    # stayed in the finished run above, so this flow's PAR is the Python recipient's.)
    redirect, verifier, state = _consent(live_bank, recipient)
    rest = ["Token (authorization_code)", "Token (refresh_token)", "Introspect", "UserInfo",
            "Revoke token", "Revoke arrangement"]
    results = bru_run(live_bank, tmp_path, *(f"{CLIENT}/{name}.bru" for name in rest),
                      sandbox="developer", jarm_response=redirect, code_verifier=verifier,
                      state=state, **recipient_variables)
    assert _names(results) == rest
    assert set(rest) | {"PAR"} == _requests_in(CLIENT)


def test_private_key_jwt_with_another_key_is_refused(live_bank, recipient, recipient_variables,
                                                     tmp_path):
    """The assertion really is what authenticates the client: the same request signed by a
    key the recipient never published fails (invalid_client), so PAR's 201 above was earned."""
    from jwcrypto import jwk

    stranger = tmp_path / "stranger.key"
    stranger.write_bytes(jwk.JWK.generate(kty="RSA", size=2048).export_to_pem(
        private_key=True, password=None))
    refused = bru_run(live_bank, tmp_path, f"{CLIENT}/PAR.bru", sandbox="developer",
                      passes=False, **{**recipient_variables, "signing_key_file": str(stranger)})
    assert _status(refused, "PAR") == 401
    assert refused[0]["response"]["data"]["error"] == "invalid_client"
