"""`manage.py seed_demo`: fill a dev/test database with a realistic Australian demo bank.

Deterministic for a given --seed (and --as-of date), except passwords, which come from
`secrets` and are written only to the credentials file (mode 0600), never to stdout.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.demo.seeder import demo_data_delete, demo_data_exists, seed_run
from bank.settings.env import VAR_DIR
from security.audit import DEMO_DATA_SEEDED, Actor, audit_record

ALLOWED_ENVIRONMENTS = ("dev", "test")


def credentials_write(path: Path, payload: dict[str, Any]) -> None:
    """Write `payload` as JSON readable by the owner only (created 0600, re-chmodded if it
    already existed with wider permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            fd = -1
            json.dump(payload, handle, indent=2)
            handle.write("\n")
    finally:
        if fd != -1:
            os.close(fd)


class Command(BaseCommand):
    help = "Create demo customers, products, accounts and 90 days of transactions (dev/test)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2024,
                            help="Random seed; the same seed gives the same data.")
        parser.add_argument("--customers", type=int, default=0,
                            help="Extra generated customers beyond the fixed demo cast.")
        parser.add_argument("--transactions-per-account", type=int, default=None,
                            help="Transactions per everyday/savings/card/business account "
                                 "(default: 90 days of realistic activity).")
        parser.add_argument("--reset", action="store_true",
                            help="Delete existing demo data first.")
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing if demo data already exists (used by make demo).")
        parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                            help="Last day of the 90-day window is the day before this date "
                                 "(YYYY-MM-DD; default today).")
        parser.add_argument("--credentials-file", type=Path,
                            default=VAR_DIR / "demo-credentials.json",
                            help="Where to write the demo logins (mode 0600).")

    def handle(self, *args: Any, **options: Any) -> None:
        environment = getattr(settings, "BANK_ENVIRONMENT", "unknown")
        if environment not in ALLOWED_ENVIRONMENTS:
            raise CommandError(
                f"seed_demo only runs with BANK_ENVIRONMENT dev or test (this is "
                f"{environment!r}); it creates known logins and fake customers."
            )
        if options["customers"] < 0:
            raise CommandError("--customers must be zero or more.")
        per_account = options["transactions_per_account"]
        if per_account is not None and per_account < 0:
            raise CommandError("--transactions-per-account must be zero or more.")
        as_of = options["as_of"] or timezone.localdate()

        with transaction.atomic():
            if demo_data_exists():
                if options["if_empty"] and not options["reset"]:
                    self.stdout.write("Demo data already seeded; keeping it (--reset to reseed).")
                    return
                if not options["reset"]:
                    raise CommandError(
                        "Demo data already exists. Run `manage.py seed_demo --reset` to wipe "
                        "it and seed again."
                    )
                demo_data_delete()
            result = seed_run(
                seed=options["seed"], as_of=as_of, customers=options["customers"],
                transactions_per_account=per_account, brand=settings.BANK_BRAND,
                brand_name=settings.BANK_BRAND_NAME,
            )
            audit_record(
                actor=Actor.system("seed_demo"), event_type=DEMO_DATA_SEEDED,
                detail={"seed": options["seed"], "as_of": as_of.isoformat(), **result.counts},
            )

        path: Path = options["credentials_file"]
        credentials_write(path, {
            "warning": "Demo logins for a dev/test database only. Do not reuse.",
            "as_of": as_of.isoformat(),
            "logins": [
                {"username": cred.username, "password": cred.password,
                 "customer_type": cred.customer_type, "name": cred.name,
                 **_staff_second_factor(cred)}
                for cred in result.credentials
            ],
        })
        self.stdout.write(self.style.SUCCESS("Demo bank seeded:"))
        for name, count in result.counts.items():
            self.stdout.write(f"  {name:<20} {count:>10,}")
        self.stdout.write(f"Logins (usernames and passwords) written to {path} (mode 0600).")


def _staff_second_factor(credential: Any) -> dict[str, str]:
    """The demo staff login's TOTP device (the console admits no one without a second
    factor): its otpauth URI for an authenticator app, or `make demo-staff-code`."""
    if credential.customer_type != "staff":
        return {}
    from django.contrib.auth import get_user_model

    from security.staff.services import staff_totp_enrol

    user = get_user_model().objects.get(username=credential.username)
    return {"totp_uri": staff_totp_enrol(user=user, replace=True,
                                         actor=Actor.system("seed_demo"))}

