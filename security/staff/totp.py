"""Checking a staff member's TOTP code with django-otp, and why a check failed.

django-otp does the cryptography and the protections: RFC 6238 codes with one step of drift
either way, a code never accepted twice (`last_t`), and a device locked for 1, 2, 4... seconds
after each failure (ThrottlingMixin). This module only picks the device and names the failure
for the audit trail ("reason class"), never the code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class TotpFailure(StrEnum):
    NO_DEVICE = "no_device"
    LOCKED = "device_locked"  # too many recent failures: django-otp refuses to check
    WRONG_CODE = "wrong_or_replayed_code"
    MALFORMED = "malformed_code"


def staff_totp_device(user: Any) -> TOTPDevice | None:
    """The staff member's confirmed TOTP device (one per person: `manage.py staff_totp`)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def staff_totp_verify(*, user: Any, code: str) -> tuple[TOTPDevice | None, TotpFailure | None]:
    """(the device that accepted `code`, None) or (None, why not)."""
    code = (code or "").strip()
    with transaction.atomic():
        device = (TOTPDevice.objects.select_for_update()
                  .filter(user=user, confirmed=True).order_by("id").first())
        if device is None:
            return None, TotpFailure.NO_DEVICE
        if not (code.isdigit() and len(code) == device.digits):
            device.throttle_increment(commit=True)  # a malformed guess is still a guess
            return None, TotpFailure.MALFORMED
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            return None, TotpFailure.LOCKED
        if device.verify_token(code):
            return device, None
        return None, TotpFailure.WRONG_CODE
