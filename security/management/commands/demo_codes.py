"""The demo's latest one-time login codes, from its outbox (`make demo-codes`).

The demo bank does not send email: its OTP channel writes each message to a file in
BANK_OTP_OUTBOX_DIR (security/login/channels.py). A person trying the consent pages or the
dashboard in a browser reads the code here. Dev only: elsewhere codes go to the customer's
real address and nobody else may see them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

_CODE = re.compile(r"one-time code is (\d{4,8})\b")


class Command(BaseCommand):
    help = "Print the newest one-time codes the demo bank 'emailed' (its outbox directory)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=5, help="how many (default 5)")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.BANK_ENVIRONMENT != "dev":
            raise CommandError("demo_codes reads the embedded demo's outbox (dev only).")
        outbox = Path(settings.BANK_OTP_OUTBOX_DIR)
        emails = sorted(outbox.glob("*.eml"), key=lambda p: p.name, reverse=True) \
            if outbox.is_dir() else []
        shown = 0
        for path in emails:
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            body = message.get_body(("plain",)) if isinstance(message, EmailMessage) else None
            match = _CODE.search(body.get_content() if body is not None else "")
            if not match:
                continue
            sent = datetime.fromtimestamp(path.stat().st_mtime, UTC).astimezone()
            self.stdout.write(f"{sent:%H:%M:%S}  {message['To']}  {match.group(1)}")
            shown += 1
            if shown >= options["count"]:
                break
        if not shown:
            self.stdout.write(f"No codes yet in {outbox}: log in on the consent pages or the "
                              "dashboard first.")
