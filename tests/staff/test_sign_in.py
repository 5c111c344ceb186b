"""Staff sign-in: password then TOTP code in one form, django-otp's drift and replay rules,
the per-username and per-source limits, and what the audit trail records (never the code)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from security.models import AuditEvent
from security.staff.forms import SIGN_IN_REFUSED, TOO_MANY_ATTEMPTS
from security.staff.session import MARKER_KEY
from tests.staff.helpers import (
    PASSWORD,
    staff_sign_in,
    staff_user_create,
    totp_code,
    totp_device_create,
)

pytestmark = pytest.mark.django_db


def _events(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_staff_sign_in_with_password_and_totp_reaches_the_admin(client: Client, staff: Any,
                                                                 device: Any) -> None:
    response = staff_sign_in(client, staff, device)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    marker = client.session[MARKER_KEY]
    assert marker["method"] == "totp"
    assert isinstance(marker["at"], int)
    assert client.session["otp_device_id"] == device.persistent_id
    assert client.get(reverse("admin:index")).status_code == 200
    [event] = _events("STAFF_LOGIN_SUCCEEDED")
    assert (event.outcome, event.actor_type, event.actor_id, event.detail) == (
        "success", "staff", str(staff.pk), {"method": "totp"})


def test_staff_sign_in_rotates_the_session_key(client: Client, staff: Any, device: Any) -> None:
    session = client.session
    session["before"] = True
    session.save()
    before = session.session_key

    staff_sign_in(client, staff, device)

    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_staff_sign_in_refused_with_wrong_code_and_audited_without_it(
        client: Client, staff: Any, device: Any) -> None:
    right = totp_code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = staff_sign_in(client, staff, device, code=wrong)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [SIGN_IN_REFUSED]
    assert not _signed_in(client)
    [event] = _events("STAFF_MFA_FAILED")
    assert (event.outcome, event.actor_id, event.detail) == (
        "failure", str(staff.pk), {"reason": "wrong_or_replayed_code"})
    assert wrong not in json.dumps(event.detail)
    assert _events("STAFF_LOGIN_SUCCEEDED") == []


def test_staff_sign_in_refused_with_wrong_password_before_the_code_is_checked(
        client: Client, staff: Any, device: Any) -> None:
    response = staff_sign_in(client, staff, device, password="not the password")

    assert response.context["form"].non_field_errors() == [SIGN_IN_REFUSED]
    assert not _signed_in(client)
    [event] = _events("STAFF_LOGIN_FAILED")
    assert (event.outcome, event.actor_type, event.detail) == (
        "failure", "anonymous", {"reason": "bad_credentials"})
    device.refresh_from_db()
    # The code was never tried: nobody can lock a device without the password.
    assert device.throttling_failure_count == 0


def test_staff_sign_in_refuses_a_replayed_code(client: Client, staff: Any, device: Any) -> None:
    code = totp_code(device)
    assert staff_sign_in(client, staff, device, code=code).status_code == 302
    client.post(reverse("admin:logout"))
    assert not _signed_in(client)

    response = staff_sign_in(client, staff, device, code=code)

    assert response.status_code == 200
    assert not _signed_in(client)
    assert _events("STAFF_MFA_FAILED")[0].detail == {"reason": "wrong_or_replayed_code"}


def test_staff_sign_in_accepts_one_step_of_clock_drift(client: Client, staff: Any,
                                                        device: Any) -> None:
    assert staff_sign_in(client, staff, device,
                         code=totp_code(device)).status_code == 302


def test_staff_sign_in_refuses_a_code_three_steps_old(client: Client, staff: Any,
                                                      device: Any) -> None:
    old = totp_code(device, steps_from_now=-3)
    if old in {totp_code(device, steps_from_now=s) for s in (-1, 0, 1)}:
        pytest.skip("the old code happens to equal a current one")
    assert staff_sign_in(client, staff, device, code=old).status_code == 200
    assert not _signed_in(client)


def test_staff_sign_in_locks_the_device_after_failures(client: Client, staff: Any,
                                                       device: Any) -> None:
    for _ in range(2):
        staff_sign_in(client, staff, device, code="000000" if totp_code(device) != "000000"
                      else "111111")

    # Right code, but within 2 s of the second failure: django-otp does not even check it.
    response = staff_sign_in(client, staff, device)

    assert response.status_code == 200
    assert not _signed_in(client)
    assert _events("STAFF_MFA_FAILED")[-1].detail == {"reason": "device_locked"}


def test_staff_sign_in_refuses_staff_without_a_device(client: Client, staff: Any) -> None:
    response = client.post(reverse("admin:login"), {
        "username": staff.username, "password": PASSWORD, "otp_token": "123456"})

    assert response.status_code == 200
    assert not _signed_in(client)
    assert _events("STAFF_MFA_FAILED")[0].detail == {"reason": "no_device"}


def test_staff_sign_in_refuses_a_customer_login_with_right_password_and_code(
        client: Client) -> None:
    user = staff_user_create("not-staff", )
    user.is_staff = False
    user.save()
    device = totp_device_create(user)

    response = staff_sign_in(client, user, device)

    assert response.status_code == 200
    assert not _signed_in(client)
    assert _events("STAFF_LOGIN_FAILED")[0].detail == {"reason": "not_staff"}


def _sign_in_from(client: Client, user: Any, device: Any, address: str, **kwargs: Any) -> Any:
    """POST the login form as if from `address` (REMOTE_ADDR: no trusted proxy in tests)."""
    client.defaults["REMOTE_ADDR"] = address
    return staff_sign_in(client, user, device, **kwargs)


def _lift_per_source_post_limit(settings: Any) -> None:
    settings.BANK_RATE_LIMITS = {**settings.BANK_RATE_LIMITS,
                                 "login_per_source": ("1000/m", 1000)}


def test_staff_sign_in_failures_lock_that_source_out(client: Client, staff: Any, device: Any,
                                                    real_rate_limits: Any) -> None:
    _lift_per_source_post_limit(real_rate_limits)
    for _ in range(5):
        _sign_in_from(client, staff, device, "198.51.100.7", password="wrong password")

    # The right password and code, over the limit from that source: still refused, audited.
    response = _sign_in_from(client, staff, device, "198.51.100.7")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [TOO_MANY_ATTEMPTS]
    assert not _signed_in(client)
    assert _events("STAFF_LOGIN_FAILED")[-1].detail == {"reason": "too_many_attempts"}
    # Another address in the same /24 is the same source.
    response = _sign_in_from(client, staff, device, "198.51.100.200")
    assert response.context["form"].non_field_errors() == [TOO_MANY_ATTEMPTS]


def test_junk_posts_from_another_source_do_not_lock_the_real_user_out(
        client: Client, staff: Any, device: Any, real_rate_limits: Any) -> None:
    _lift_per_source_post_limit(real_rate_limits)
    attacker = Client(secure=True)
    for _ in range(20):
        _sign_in_from(attacker, staff, device, "203.0.113.9", password="junk")

    response = _sign_in_from(client, staff, device, "192.0.2.10")

    assert response.status_code == 302
    assert _signed_in(client)
    # The attacker's source is still locked, even with the right password.
    response = _sign_in_from(attacker, staff, device, "203.0.113.9")
    assert response.context["form"].non_field_errors() == [TOO_MANY_ATTEMPTS]


def test_successful_sign_ins_spend_nothing_and_a_success_clears_its_source(
        client: Client, staff: Any, device: Any, real_rate_limits: Any) -> None:
    _lift_per_source_post_limit(real_rate_limits)
    # Codes move forward (django-otp refuses a replayed or older one) within its drift.
    assert _sign_in_from(client, staff, device, "192.0.2.10",
                         code=totp_code(device)).status_code == 302
    client.logout()
    for _ in range(4):
        _sign_in_from(client, staff, device, "192.0.2.10", password="typo")
    # The sixth attempt from this source: the success spent nothing, so it is still allowed.
    assert _sign_in_from(client, staff, device, "192.0.2.10",
                         code=totp_code(device, steps_from_now=1)).status_code == 302
    client.logout()
    # Cleared: four more failures still leave room for the fifth attempt to be judged.
    for _ in range(4):
        _sign_in_from(client, staff, device, "192.0.2.10", password="typo")
    client.logout()
    response = _sign_in_from(client, staff, device, "192.0.2.10", password="typo")
    assert response.context["form"].non_field_errors() == [SIGN_IN_REFUSED]


def test_failures_from_many_sources_hit_the_per_username_cap(
        client: Client, staff: Any, device: Any, real_rate_limits: Any) -> None:
    _lift_per_source_post_limit(real_rate_limits)
    for n in range(50):
        _sign_in_from(client, staff, device, f"10.{n}.0.1", password="spread guess")

    response = _sign_in_from(client, staff, device, "192.0.2.10")

    assert response.context["form"].non_field_errors() == [TOO_MANY_ATTEMPTS]
    assert not _signed_in(client)


def test_sign_in_fails_closed_when_the_counter_store_is_down(
        client: Client, staff: Any, device: Any, monkeypatch: Any) -> None:
    from django.core.cache import cache

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("store down")

    monkeypatch.setattr(cache, "get_many", down)
    response = staff_sign_in(client, staff, device)

    assert response.context["form"].non_field_errors() == [TOO_MANY_ATTEMPTS]
    assert not _signed_in(client)


def test_staff_sign_in_limits_attempts_per_source(client: Client, device: Any,
                                                  real_rate_limits: Any) -> None:
    statuses = [client.post(reverse("admin:login"), {
        "username": f"guess-{n}", "password": "x", "otp_token": "123456"}).status_code
        for n in range(11)]

    assert statuses == [200] * 10 + [429]
    assert _events("RATE_LIMIT_EXCEEDED")[0].detail["rule"] == "login_per_source"
