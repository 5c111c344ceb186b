"""Staff TOTP devices: enrol and remove (audited; the secret never leaves the return value)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from security.audit import Actor, audit_record
from security.staff.events import STAFF_TOTP_ENROLLED, STAFF_TOTP_REMOVED


@transaction.atomic
def staff_totp_enrol(*, user: Any, replace: bool = False, actor: Actor | None = None) -> str:
    """Give a staff member a new TOTP device; returns its otpauth:// URI (the secret), for
    the caller to hand over once. Refuses if one exists, unless `replace`."""
    existing = TOTPDevice.objects.filter(user=user)
    if existing.exists():
        if not replace:
            raise ValueError("This staff member already has a TOTP device (--replace).")
        existing.delete()
    device = TOTPDevice.objects.create(user=user, name="staff", confirmed=True)
    audit_record(actor=actor or Actor.system("staff_totp"), event_type=STAFF_TOTP_ENROLLED,
                 subject_type="staff_user", subject_id=user.pk,
                 detail={"device_id": device.pk, "replaced": replace})
    return str(device.config_url)


@transaction.atomic
def staff_totp_remove(*, user: Any, actor: Actor | None = None) -> int:
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    if removed:
        audit_record(actor=actor or Actor.system("staff_totp"), event_type=STAFF_TOTP_REMOVED,
                     subject_type="staff_user", subject_id=user.pk, detail={"devices": removed})
    return removed
