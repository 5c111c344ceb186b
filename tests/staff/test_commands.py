"""`manage.py staff_totp`: enrolment on the server, the secret shown once and never audited."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from security.models import AuditEvent
from tests.staff.helpers import staff_user_create

pytestmark = pytest.mark.django_db


def test_staff_totp_enrol_prints_the_otpauth_uri_once(staff: Any) -> None:
    out = StringIO()
    call_command("staff_totp", "enrol", staff.username, stdout=out)

    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed
    assert device.config_url in out.getvalue()
    assert out.getvalue().count("otpauth://totp/") == 1
    event = AuditEvent.objects.get(event_type="STAFF_TOTP_ENROLLED")
    assert event.detail == {"device_id": device.pk, "replaced": False}
    assert device.key not in json.dumps(event.detail)


def test_staff_totp_enrol_refuses_a_second_device_unless_replacing(staff: Any) -> None:
    call_command("staff_totp", "enrol", staff.username, stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("staff_totp", "enrol", staff.username, stdout=StringIO())
    call_command("staff_totp", "enrol", staff.username, "--replace", stdout=StringIO())
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_staff_totp_enrol_refuses_non_staff(db: Any) -> None:
    user = staff_user_create("customer-login")
    user.is_staff = False
    user.save()
    with pytest.raises(CommandError):
        call_command("staff_totp", "enrol", "customer-login", stdout=StringIO())
    assert not TOTPDevice.objects.exists()


def test_staff_totp_enrol_can_write_the_uri_to_a_private_file(staff: Any, tmp_path: Path) -> None:
    path = tmp_path / "totp.txt"
    out = StringIO()
    call_command("staff_totp", "enrol", staff.username, "--uri-file", str(path), stdout=out)
    assert path.read_text().startswith("otpauth://totp/")
    assert path.stat().st_mode & 0o777 == 0o600
    assert "otpauth://" not in out.getvalue()


def test_staff_totp_remove_deletes_the_device(staff: Any) -> None:
    call_command("staff_totp", "enrol", staff.username, stdout=StringIO())
    call_command("staff_totp", "remove", staff.username, stdout=StringIO())
    assert not TOTPDevice.objects.exists()
    assert AuditEvent.objects.filter(event_type="STAFF_TOTP_REMOVED").count() == 1


def test_codes_are_printed_only_in_the_dev_and_test_environments(db, settings):
    from tests.staff.helpers import totp_code, totp_device_create

    user = staff_user_create("staff-demo")
    device = totp_device_create(user)
    out = StringIO()
    call_command("staff_totp", "code", "staff-demo", stdout=out)
    assert out.getvalue().strip() == totp_code(device)
    settings.BANK_ENVIRONMENT = "production"
    with pytest.raises(CommandError, match="only in the dev and test"):
        call_command("staff_totp", "code", "staff-demo", stdout=StringIO())
