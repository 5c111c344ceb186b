"""Rotate the authorization server's signing keys without breaking a client.

    python manage.py signing_keys list
    python manage.py signing_keys rotate          # a new PS256 + ES256 pair becomes active
    python manage.py signing_keys retire KID      # stop publishing an old key

Rotation is two steps on purpose: `rotate` adds the new pair (the newest signs) while the old
pair stays in the JWKS, so tokens and responses it signed keep verifying; once the longest-
lived of them has expired (refresh-less ID tokens and JARM live minutes), `retire` removes
the old key. Workers read the keys at start: reload them (gunicorn HUP) after either.

With BANK_SIGNING_KEYS_SOURCE=key-manager (production) the pair is generated inside the HSM
and `retire` destroys it there; with "files" the command writes PEM files, for the demo and
tests only. Both are audited (SIGNING_KEY_CREATED, SIGNING_KEY_RETIRED).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from security import audit
from security.kms import KeyManagerError
from security.oauth import signing_keys

SIGNING_KEY_CREATED = "SIGNING_KEY_CREATED"
SIGNING_KEY_RETIRED = "SIGNING_KEY_RETIRED"
ACTOR = audit.Actor.system("manage.py signing_keys")


class Command(BaseCommand):
    help = "List, rotate or retire the authorization server's signing keys."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["list", "rotate", "retire"])
        parser.add_argument("kid", nargs="?")

    def handle(self, *args: Any, **options: Any) -> None:
        in_key_manager = signing_keys.source() == "key-manager"
        if (options["action"] != "list" and not in_key_manager
                and settings.BANK_ENVIRONMENT not in {"dev", "test"}):
            raise CommandError("Production signing keys live in the HSM "
                               "(BANK_SIGNING_KEYS_SOURCE=key-manager).")
        try:
            if options["action"] == "rotate":
                self._rotate(in_key_manager)
            elif options["action"] == "retire":
                self._retire(in_key_manager, options["kid"])
        except KeyManagerError as exc:
            raise CommandError(str(exc)) from exc
        signing_keys.clear_cache()
        for key in signing_keys.signing_keys():
            self.stdout.write(f"{key.kid}\t{key.alg}\t{self._state(key)}")

    @staticmethod
    def _state(key: signing_keys.SigningKey) -> str:
        try:
            active = signing_keys.active_key(key.alg).kid == key.kid
        except ImproperlyConfigured:
            # BANK_SIGNING_KEYS_ACTIVE names a kid that is not there: a production bank's
            # first keys (prod.py needs a name before the first `rotate` can make the key),
            # or a name mistyped. Say so rather than fail after the keys were made.
            return "not signing (BANK_SIGNING_KEYS_ACTIVE names no such key)"
        return "active" if active else "retiring"

    def _rotate(self, in_key_manager: bool) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H%M%S")
        if in_key_manager:
            kids = signing_keys.generate_in_key_manager(kid_suffix=stamp)
        else:
            directory = Path(settings.BANK_SIGNING_KEYS_DIR)
            kids = [path.stem for path in
                    signing_keys.generate_signing_keys(directory, kid_suffix=stamp)]
        for kid in kids:
            audit.audit_record(actor=ACTOR, event_type=SIGNING_KEY_CREATED,
                               subject_type="signing_key", subject_id=kid,
                               detail={"source": signing_keys.source()})
            self.stdout.write(f"added {kid}")

    def _retire(self, in_key_manager: bool, kid: str | None) -> None:
        if not kid:
            raise CommandError("Name the kid to retire.")
        signing_keys.clear_cache()
        known = {key.kid: key for key in signing_keys.signing_keys()}
        if kid not in known:
            raise CommandError(f"No key {kid}.")
        if signing_keys.active_key(known[kid].alg).kid == kid:
            raise CommandError(f"{kid} is the active {known[kid].alg} key: rotate first.")
        if in_key_manager:
            signing_keys.signing_store().signing_key_destroy(kid)
        else:
            (Path(settings.BANK_SIGNING_KEYS_DIR) / f"{kid}.pem").unlink()
        audit.audit_record(actor=ACTOR, event_type=SIGNING_KEY_RETIRED,
                           subject_type="signing_key", subject_id=kid,
                           detail={"source": signing_keys.source()})
        self.stdout.write(f"retired {kid}")
