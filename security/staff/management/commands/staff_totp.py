"""`manage.py staff_totp enrol|remove|code USERNAME`: a staff member's TOTP device.

`code` prints the device's current code, and only where BANK_ENVIRONMENT is dev or test (the
embedded demo's staff login, `make demo-staff-code`): anywhere else it would make the second
factor whatever can run manage.py.

Enrolment happens here, on the server, by an operator, and never in a web session: a stolen
password alone must not be enough to add a second factor. The otpauth:// URI (the secret) is
printed once, to this terminal, for the staff member to scan or type into an authenticator;
it is not logged or audited, and the console never shows it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from security.staff.services import staff_totp_enrol, staff_totp_remove


class Command(BaseCommand):
    help = "Enrol (print the otpauth URI once) or remove a staff member's TOTP device."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["enrol", "remove", "code"])
        parser.add_argument("username")
        parser.add_argument("--replace", action="store_true",
                            help="Enrol even if the user already has a device (it is removed).")
        parser.add_argument("--uri-file", type=Path, default=None,
                            help="Write the otpauth URI to this file (mode 0600) instead of "
                                 "printing it (demo and tests).")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None or not user.is_staff:
            raise CommandError("No staff account with that username.")
        if options["action"] == "code":
            self.stdout.write(_demo_code(user))
            return
        if options["action"] == "remove":
            removed = staff_totp_remove(user=user)
            self.stdout.write(f"Removed {removed} TOTP device(s).")
            return
        try:
            uri = staff_totp_enrol(user=user, replace=options["replace"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        path: Path | None = options["uri_file"]
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600, exist_ok=True)
            path.chmod(0o600)
            path.write_text(uri + "\n")
            self.stdout.write(f"TOTP device enrolled; its otpauth URI is in {path} (mode 0600).")
            return
        self.stdout.write("TOTP device enrolled. Add this to the authenticator now; it is not "
                          "shown again:")
        self.stdout.write(uri)


def _demo_code(user: Any) -> str:
    from django.conf import settings
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if getattr(settings, "BANK_ENVIRONMENT", "") not in ("dev", "test"):
        raise CommandError("Codes are shown only in the dev and test environments (the demo).")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise CommandError("That staff member has no TOTP device (staff_totp enrol).")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"

