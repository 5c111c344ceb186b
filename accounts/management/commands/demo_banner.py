"""Print where the running demo bank is and how to log in (used by `make demo`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bank.settings.env import VAR_DIR


class Command(BaseCommand):
    help = "Print the demo bank's URLs and where its demo logins are."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--public-port", default="8443")
        parser.add_argument("--mtls-port", default="8444")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.BANK_ENVIRONMENT != "dev":
            raise CommandError("demo_banner is for the embedded demo (bank.settings.dev) only.")
        self.stdout.write("\n".join(guide(public_port=options["public_port"],
                                           mtls_port=options["mtls_port"])))


def guide(*, public_port: str, mtls_port: str) -> list[str]:
    """The short guide `make demo` prints: where things are and what to try first."""
    base = f"https://localhost:{public_port}"
    mtls = f"https://localhost:{mtls_port}"
    ca = Path("var") / "pki" / "ca" / "ca.pem"
    credentials_file = VAR_DIR / "demo-credentials.json"
    logins = json.loads(credentials_file.read_text()) if credentials_file.exists() else {}
    entries = logins.get("logins", [])
    staff = [e for e in entries if e.get("customer_type") == "staff"]
    customers = [e for e in entries if e.get("customer_type") != "staff"]
    lines = [
        "",
        "  Demo bank: a CDR banking data holder (Consumer Data Standards 1.36.0)",
        "  =====================================================================",
        f"  Public listener  {base}   products, status, consent pages, dashboard,",
        f"                                           API docs: {base}/api/docs/",
        f"  mTLS listener    {mtls}   CDR data APIs, PAR, token, DCR, staff console",
        f"  Both use certificates from the demo CA, {ca}: trust it, or accept the warning.",
        "",
        "  Be a data recipient: in another terminal, in this directory,",
        "    .venv/bin/bank-client enrol            keys, certificate, Register, DCR (once)",
        "    .venv/bin/bank-client login            consent in your browser (or --headless)",
        "    .venv/bin/bank-client accounts",
        "    .venv/bin/bank-client transactions \"Everyday Account\" --since 30d",
        "    .venv/bin/bank-client revoke           (--help lists every command)",
        "",
        "  Log in as a customer (consent pages, or the dashboard at "
        f"{base}/dashboard/):",
    ]
    for customer in customers[:4]:
        lines.append(f"    {customer['username']:<14} {customer.get('customer_type', ''):<13}"
                     f" {customer.get('name', '')}")
    lines += [
        f"    Passwords: {Path('var') / credentials_file.name}. One-time codes are not emailed:",
        f"    they are written to {Path('var') / 'outbox'}/; `make demo-codes` prints the "
        "newest.",
        "",
    ]
    if staff:
        lines += [
            f"  Staff console    {mtls}/admin/ as {staff[0]['username']} (password in the same"
            " file),",
            "    second factor `make demo-staff-code`; the browser needs the demo client",
            f"    certificate ({Path('var') / 'pki' / 'recipient'}/client.pem and .key).",
            "",
        ]
    lines += [
        "  More: make demo-token (a token and curl lines), make demo-walk (a recipient's",
        "  journey step by step), README.md, docs/. Ctrl-C stops the bank, worker and beat.",
        "",
    ]
    return lines
