"""Rotate the authorization server's signing keys without breaking a client.

    python manage.py signing_keys list
    python manage.py signing_keys rotate          # a new PS256 + ES256 pair becomes active
    python manage.py signing_keys retire KID      # stop publishing an old key

Rotation is two steps on purpose: `rotate` adds the new pair (the newest signs) while the old
pair stays in the JWKS, so tokens and responses it signed keep verifying; once the longest-
lived of them has expired (refresh-less ID tokens and JARM live minutes), `retire` removes
the old key. Workers read the directory at start: reload them (gunicorn HUP) after either.
Production keys come from the key-management issue's HSM export; this command writes PEM
files and is for the demo and tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from security.oauth import signing_keys


class Command(BaseCommand):
    help = "List, rotate or retire the authorization server's signing keys."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["list", "rotate", "retire"])
        parser.add_argument("kid", nargs="?")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(settings.BANK_SIGNING_KEYS_DIR)
        if options["action"] != "list" and settings.BANK_ENVIRONMENT not in {"dev", "test"}:
            raise CommandError("Production signing keys are managed in the HSM.")
        if options["action"] == "rotate":
            stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H%M%S")
            for path in signing_keys.generate_signing_keys(directory, kid_suffix=stamp):
                self.stdout.write(f"added {path.stem}")
        elif options["action"] == "retire":
            self._retire(directory, options["kid"])
        signing_keys.clear_cache()
        for key in signing_keys.signing_keys():
            active = signing_keys.active_key(key.alg).kid == key.kid
            self.stdout.write(f"{key.kid}\t{key.alg}\t{'active' if active else 'retiring'}")

    def _retire(self, directory: Path, kid: str | None) -> None:
        if not kid:
            raise CommandError("Name the kid to retire.")
        path = directory / f"{kid}.pem"
        if not path.is_file():
            raise CommandError(f"No key {kid}.")
        alg = kid.split("-", 1)[0].upper()
        if signing_keys.active_key(alg).kid == kid:
            raise CommandError(f"{kid} is the active {alg} key: rotate first.")
        path.unlink()
        self.stdout.write(f"retired {kid}")
