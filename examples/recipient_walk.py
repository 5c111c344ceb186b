"""Walk a data recipient through the running demo bank, printing every step.

    make demo            # terminal 1
    make demo-walk       # terminal 2 (or: .venv/bin/python -m examples.recipient_walk)

The recipient (examples/recipient.py) is created at the mock Register, fetches its SSA,
registers with the bank (DCR), pushes an authorization request (PAR), sends the "browser" to
/authorize, has Jane approve (through the consent hand-over, as the consent pages will), checks
the JARM response, exchanges the code, reads her accounts, refreshes, introspects and finally
revokes the arrangement. The demo speaks plain HTTP, so its tokens are not certificate-bound;
tests/e2e runs the same recipient over TLS with client certificates and binding required.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from examples.recipient import Recipient

ROOT = Path(__file__).resolve().parent.parent
SCOPE = "openid profile bank:accounts.basic:read bank:transactions:read common:customer.basic:read"


def manage(*args: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get(
        "DJANGO_SETTINGS_MODULE", "bank.settings.dev")}
    done = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT,
        capture_output=True, text=True, check=True,
    )
    return done.stdout


def step(title: str, detail: object = "") -> None:
    text = detail if isinstance(detail, str) else json.dumps(detail, indent=2)[:1200]
    print(f"\n== {title}\n{text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bank", default="http://localhost:8000")
    parser.add_argument("--customer", default="jane.citizen")
    options = parser.parse_args()

    recipient = Recipient(options.bank, ca_bundle=True, cert=None)  # type: ignore[arg-type]
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
    browser = requests.get(recipient.authorize_url(request_uri), allow_redirects=False, timeout=10)
    handle = browser.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    step(f"/authorize answered {browser.status_code}, to the consent pages",
         browser.headers["Location"])
    redirect = manage("authorization_approve", "--handle", handle, "--user", options.customer)
    redirect = redirect.strip()
    claims = recipient.jarm(redirect, state=state)
    step("The customer approved; JARM response verified with the bank's JWKS",
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
