"""Signing staff in for tests: for real (password + TOTP through the login form) or, for
tests about something else, straight into a session that carries the second factor."""

from __future__ import annotations

import time
from typing import Any

from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from security.staff.session import LAST_SEEN_KEY, MARKER_KEY, SIGNED_IN_AT_KEY

PASSWORD = "correct horse battery staple 42"


def staff_user_create(username: str = "staff-alice", **fields: Any) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username=username, password=PASSWORD,
                                                is_staff=True, **fields)


def totp_device_create(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="staff", confirmed=True)


def totp_code(device: TOTPDevice, *, steps_from_now: int = 0) -> str:
    """The device's code now (or `steps_from_now` 30-second steps away), as an app shows it."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_from_now * device.step
    return f"{totp.token():0{device.digits}d}"


def staff_sign_in(client: Client, user: Any, device: TOTPDevice, *, code: str | None = None,
                  password: str = PASSWORD) -> Any:
    """POST the staff login form; returns the response."""
    return client.post(reverse("admin:login"), {
        "username": user.username, "password": password,
        "otp_token": totp_code(device) if code is None else code,
        "next": reverse("admin:index"),
    })


def staff_session_with_second_factor(client: Client, user: Any, *, method: str = "totp",
                                     at: int | None = None) -> None:
    """A signed-in staff session as the sign-in leaves it, without going through the form
    (tests about what staff can do, not about how they sign in)."""
    client.force_login(user)
    session = client.session
    now = int(time.time()) if at is None else at
    marker: dict[str, Any] = {"method": method, "at": now}
    if method == "oidc":
        # As the SSO sign-in leaves it: the identity mapping it came through
        # (security/staff_sso: the gate checks it still maps to this user).
        from security.staff_sso.models import StaffIdentity

        identity, _ = StaffIdentity.objects.get_or_create(
            user=user, defaults={"issuer": "https://idp.example", "subject": f"sub-{user.pk}"})
        marker.update(user=user.pk, identity=identity.pk)
    session[MARKER_KEY] = marker
    session[SIGNED_IN_AT_KEY] = now
    session[LAST_SEEN_KEY] = now
    if method == "totp":
        device = TOTPDevice.objects.filter(user=user).first() or totp_device_create(user)
        session["otp_device_id"] = device.persistent_id
    session.save()


__all__ = ["PASSWORD", "staff_session_with_second_factor", "staff_sign_in",
           "staff_user_create", "totp_code", "totp_device_create"]
