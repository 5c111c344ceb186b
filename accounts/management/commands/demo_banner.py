"""Print where the running demo bank is and how to log in (used by `make demo`)."""

from __future__ import annotations

import json
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
        base = f"https://localhost:{options['public_port']}"
        mtls = f"https://localhost:{options['mtls_port']}"
        pki = VAR_DIR / "pki"
        curl = f"curl --cacert {pki / 'ca' / 'ca.pem'}"
        credentials_file = VAR_DIR / "demo-credentials.json"
        logins = json.loads(credentials_file.read_text()) if credentials_file.exists() else {}
        entries = logins.get("logins", [])
        staff = [e for e in entries if e.get("customer_type") == "staff"]
        customers = [e for e in entries if e.get("customer_type") != "staff"]
        lines = [
            "",
            "  Demo bank (CDR banking data holder, Consumer Data Standards 1.36.0)",
            "  ---------------------------------------------------------------------",
            f"  Public (TLS)  {base}   discovery, products, status, consent pages",
            f"  mTLS          {mtls}   resources, PAR, token, DCR, admin: needs a client",
            f"                certificate from the demo CA ({pki / 'recipient' / 'client.pem'})",
            f"  Products     {curl} -H 'x-v: 5' {base}/cds-au/v1/banking/products",
            f"  Status       {curl} -H 'x-v: 1' {base}/cds-au/v1/discovery/status",
            f"  Discovery    {curl} {base}/.well-known/openid-configuration",
            f"  Admin        {mtls}/admin/ (import the demo client certificate into the browser:",
            f"               {pki / 'recipient'}/; trust {pki / 'ca' / 'ca.pem'})",
            "  Resource API make demo-token [CUSTOMER=john.citizen]  (a certificate-bound token"
            " + curl)",
            "  Consent      make demo-walk  (a recipient goes through the consent pages)",
            f"  Codes        one-time login codes are emailed to {settings.BANK_OTP_OUTBOX_DIR}/",
            "",
        ]
        if staff:
            lines.append(f"  Staff login  {staff[0]['username']} (password in {credentials_file});"
                         " second factor: `make demo-staff-code`")
            lines.append("               prints the current code (or add the login's totp_uri to"
                         " an authenticator app)")
        for customer in customers[:6]:
            lines.append(
                f"  Customer     {customer['username']:<12} {customer.get('customer_type', '')}"
                f" {customer.get('name', '')}"
            )
        if customers:
            lines.append(f"  Passwords of every demo login: {credentials_file} (demo only)")
        lines += [f"  Database     {settings.DATABASES['default']['NAME']}", ""]
        self.stdout.write("\n".join(lines))
