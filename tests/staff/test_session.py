"""Staff session security: sliding idle timeout, absolute cap, logout, cookie flags."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from security.models import AuditEvent
from security.staff.session import LAST_SEEN_KEY, MARKER_KEY, SIGNED_IN_AT_KEY
from tests.staff.helpers import staff_session_with_second_factor, staff_sign_in

pytestmark = pytest.mark.django_db


def _age(client: Client, key: str, seconds: int) -> None:
    session = client.session
    session[key] = int(time.time()) - seconds
    session.save()


def test_staff_session_ends_after_fifteen_idle_minutes(client: Client, staff: Any) -> None:
    staff_session_with_second_factor(client, staff)
    _age(client, LAST_SEEN_KEY, 15 * 60 + 1)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert "_auth_user_id" not in client.session
    assert MARKER_KEY not in client.session
    assert AuditEvent.objects.get(event_type="STAFF_SESSION_EXPIRED").actor_id == str(staff.pk)


def test_staff_session_idle_timeout_slides_with_use(client: Client, staff: Any) -> None:
    staff_session_with_second_factor(client, staff)
    _age(client, LAST_SEEN_KEY, 14 * 60)

    assert client.get(reverse("admin:index")).status_code == 200
    assert int(time.time()) - client.session[LAST_SEEN_KEY] <= 2


def test_staff_session_ends_after_eight_hours_however_busy(client: Client, staff: Any) -> None:
    staff_session_with_second_factor(client, staff)
    _age(client, SIGNED_IN_AT_KEY, 8 * 3600 + 1)

    assert client.get(reverse("admin:index")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_staff_logout_clears_the_second_factor(client: Client, staff: Any, device: Any) -> None:
    staff_sign_in(client, staff, device)
    assert MARKER_KEY in client.session

    client.post(reverse("admin:logout"))

    assert MARKER_KEY not in client.session
    assert "otp_device_id" not in client.session
    assert client.get(reverse("admin:index")).status_code == 302


def test_staff_session_cookie_is_secure_httponly_strict(client: Client, staff: Any,
                                                        device: Any) -> None:
    response = staff_sign_in(client, staff, device)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert settings.SESSION_COOKIE_NAME == "__Host-session"
    assert (bool(cookie["secure"]), bool(cookie["httponly"]), cookie["samesite"]) == (
        True, True, "Strict")
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert (settings.CSRF_COOKIE_SECURE, settings.CSRF_COOKIE_SAMESITE) == (True, "Strict")
    assert (settings.BANK_STAFF_IDLE_SECONDS, settings.BANK_STAFF_SESSION_MAX_SECONDS) == (
        15 * 60, 8 * 3600)
