"""Walk a data recipient through the running demo bank, printing every step.

    make demo            # terminal 1
    make demo-walk       # terminal 2 (or: .venv/bin/python -m examples.recipient_walk)

The recipient (bank_client/recipient.py) is created at the mock Register, fetches its SSA,
registers with the bank (DCR), pushes an authorization request (PAR), sends the "browser" to
/authorize, has Jane go through the consent pages (bank_client/demo_customer.py: her password
from var/demo-credentials.json, the one-time code from the email in var/outbox/, her accounts,
"Authorise"), checks the JARM response, exchanges the code, reads her accounts, refreshes,
introspects and finally revokes the arrangement. Everything goes over TLS with the demo PKI:
discovery, the Register and the consent pages on the public listener (8443); PAR, token, DCR and
the resource APIs on the mTLS listener (8444), with the demo recipient's client certificate
(var/pki/recipient/), to which the tokens are bound. tests/e2e runs the same recipient.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

import requests

from bank_client.demo_customer import DemoCustomer
from bank_client.recipient import Recipient

ROOT = Path(__file__).resolve().parent.parent
#: Where `make demo` keeps its demo logins and writes its emails (bank/settings/dev.py).
CREDENTIALS = ROOT / "var" / "demo-credentials.json"
PKI = ROOT / "var" / "pki"
OUTBOX = Path(os.environ.get("BANK_OTP_OUTBOX_DIR", ROOT / "var" / "outbox"))
SCOPE = "openid profile bank:accounts.basic:read bank:transactions:read common:customer.basic:read"


def manage(*args: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get(
        "DJANGO_SETTINGS_MODULE", "bank.settings.dev")}
    done = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT,
        capture_output=True, text=True, check=True,
    )
    return done.stdout


def demo_password(credentials: Path, username: str) -> str:
    logins = json.loads(credentials.read_text())["logins"]
    for login in logins:
        if login["username"] == username:
            return str(login["password"])
    raise SystemExit(f"No demo login {username!r} in {credentials}.")


def step(title: str, detail: object = "") -> None:
    text = detail if isinstance(detail, str) else json.dumps(detail, indent=2)[:1200]
    print(f"\n== {title}\n{text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bank", default="https://localhost:8443",
                        help="the public listener (default: %(default)s)")
    parser.add_argument("--mtls", default="https://localhost:8444",
                        help="the mTLS listener (default: %(default)s)")
    parser.add_argument("--pki", type=Path, default=PKI,
                        help="the demo PKI: CA and client certificate (default: %(default)s)")
    parser.add_argument("--customer", default="jane.citizen")
    parser.add_argument("--credentials", type=Path, default=CREDENTIALS,
                        help="the demo logins seed_demo wrote (default: %(default)s)")
    parser.add_argument("--outbox", type=Path, default=OUTBOX,
                        help="where the demo bank writes its emails (default: %(default)s)")
    options = parser.parse_args()
    password = demo_password(options.credentials, options.customer)

    ca = str(options.pki / "ca" / "ca.pem")
    cert = (str(options.pki / "recipient" / "client.pem"),
            str(options.pki / "recipient" / "client.key"))
    recipient = Recipient(options.bank, ca_bundle=ca, cert=cert, resource_url=options.mtls)
    base = recipient.start()
    step("Recipient endpoints (JWKS, revocation) on", base)
    ids = json.loads(manage(
        "mock_register_product", "--client-name", "Walkthrough Budget App",
        "--recipient-base-uri", base, "--jwks-uri", f"{base}/jwks",
        "--redirect-uri", recipient.redirect_uri, "--scope", SCOPE + " cdr:registration"))
    step("Software product created at the mock Register", ids)

    ssa = recipient.ssa(register_url=f"{options.bank}/mock-register", brand_id=ids["brand_id"],
                        software_product_id=ids["software_product_id"])
    step("SSA from the Register (signed PS256 by cdr-register)", ssa[:80] + "...")
    registration = recipient.register(ssa, software_product_id=ids["software_product_id"])
    step("Registered with the bank (DCR)", {k: registration[k] for k in (
        "client_id", "redirect_uris", "token_endpoint_auth_method", "scope")})

    request_uri, verifier, state = recipient.par(scope=SCOPE, sharing_duration=7 * 86_400)
    step("Pushed authorization request (PAR)", request_uri)
    authorize_url = recipient.authorize_url(request_uri)
    browser = requests.get(authorize_url, allow_redirects=False, timeout=10, verify=ca)
    consent_url = urljoin(authorize_url, browser.headers["Location"])
    step(f"/authorize answered {browser.status_code}, to the consent pages", consent_url)
    customer = DemoCustomer(options.bank, ca_bundle=ca, outbox=options.outbox,
                            username=options.customer, password=password)
    redirect = customer.consent(consent_url, redirect_uri=recipient.redirect_uri)
    step(f"{options.customer} logged in (password, then the code from the email in "
         f"{options.outbox}), chose accounts and authorised", customer.shared)
    claims = recipient.jarm(redirect, state=state)
    step("Back at the recipient; JARM response verified with the bank's JWKS",
         {k: claims[k] for k in ("iss", "aud", "exp")})

    token = recipient.token(code=claims["code"], code_verifier=verifier)
    step("Tokens", {"expires_in": token["expires_in"], "scope": token["scope"],
                    "cdr_arrangement_id": token["cdr_arrangement_id"],
                    "refresh_token": "(received)" if token.get("refresh_token") else "(none)"})
    accounts = recipient.api("banking/accounts", token["access_token"], x_v="3").json()
    step("GET /banking/accounts", [(a["displayName"], a["maskedNumber"])
                                   for a in accounts["data"]["accounts"]])
    refreshed = recipient.refresh(token["refresh_token"])
    step("Refreshed (same refresh token, new access token)",
         refreshed["refresh_token"] == token["refresh_token"])
    step("Introspection of the refresh token", recipient.client_post(
        "introspection_endpoint", {"token": token["refresh_token"]}).json())
    revoked = recipient.client_post("cdr_arrangement_revocation_endpoint",
                                    {"cdr_arrangement_id": token["cdr_arrangement_id"]})
    step("Arrangement revoked", revoked.status_code)
    after = recipient.api("banking/accounts", refreshed["access_token"], x_v="3")
    step("A call after revocation", after.status_code)
    recipient.jwks_server.stop()


if __name__ == "__main__":
    main()
