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
        parser.add_argument("--bind", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.BANK_ENVIRONMENT != "dev":
            raise CommandError("demo_banner is for the embedded demo (bank.settings.dev) only.")
        _, _, port = options["bind"].rpartition(":")
        base = f"http://localhost:{port}"
        credentials_file = VAR_DIR / "demo-credentials.json"
        logins = json.loads(credentials_file.read_text()) if credentials_file.exists() else {}
        entries = logins.get("logins", [])
        staff = [e for e in entries if e.get("customer_type") == "staff"]
        customers = [e for e in entries if e.get("customer_type") != "staff"]
        lines = [
            "",
            "  Demo bank (CDR banking data holder, Consumer Data Standards 1.36.0)",
            "  ---------------------------------------------------------------------",
            f"  Products     curl -H 'x-v: 5' {base}/cds-au/v1/banking/products",
            f"  Product      curl -H 'x-v: 7' {base}/cds-au/v1/banking/products/<productId>",
            f"  Status       curl -H 'x-v: 1' {base}/cds-au/v1/discovery/status",
            f"  Outages      curl -H 'x-v: 1' {base}/cds-au/v1/discovery/outages",
            f"  Admin        {base}/admin/",
            "  Resource API make demo-token [CUSTOMER=john.citizen]  (prints a token + curl)",
            "  Consent      make demo-walk  (a recipient goes through the consent pages)",
            f"  Codes        one-time login codes are emailed to {settings.BANK_OTP_OUTBOX_DIR}/",
            "",
        ]
        if staff:
            lines.append(f"  Staff login  {staff[0]['username']} (password in {credentials_file})")
        for customer in customers[:6]:
            lines.append(
                f"  Customer     {customer['username']:<12} {customer.get('customer_type', '')}"
                f" {customer.get('name', '')}"
            )
        if customers:
            lines.append(f"  Passwords of every demo login: {credentials_file} (demo only)")
        lines += [f"  Database     {settings.DATABASES['default']['NAME']}", ""]
        self.stdout.write("\n".join(lines))
