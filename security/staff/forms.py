"""The staff sign-in form (password and TOTP code in one step) and the unmask form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from security.audit import Actor, ActorType, Outcome, audit_record
from security.client_ip import client_ip
from security.staff.events import STAFF_LOGIN_FAILED, STAFF_MFA_FAILED
from security.staff.limits import (
    staff_login_failure_record,
    staff_login_locked,
    staff_login_success_record,
)
from security.staff.totp import staff_totp_verify

#: One message for every failure, so the form never tells a guesser that the password was
#: right and only the code was wrong (the audit trail has the reason).
SIGN_IN_REFUSED = ("Please enter the correct username, password and authentication code for "
                   "a staff account.")
TOO_MANY_ATTEMPTS = "Too many sign-in attempts for this account. Try again later."


def _code_field() -> forms.CharField:
    return forms.CharField(
        label="Authentication code", max_length=10, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9]*"}))


class StaffLoginForm(AdminAuthenticationForm):
    """Django's admin login (active staff, password) plus the TOTP code, checked in order:
    the failure limits, the password, then the code. The code is checked only after the
    password, so nobody can lock a staff member's device without knowing the password. Only
    failures are counted (security/staff/limits.py), and a success clears its source's count."""

    otp_token = _code_field()

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)

    def _fail(self, event_type: str, reason: str, user_id: str = "") -> None:
        audit_record(
            actor=Actor(ActorType.STAFF, user_id) if user_id else Actor(ActorType.ANONYMOUS),
            event_type=event_type, outcome=Outcome.FAILURE, subject_type="staff_user",
            subject_id=user_id, source_ip=client_ip(self.request) if self.request else None,
            detail={"reason": reason},
        )

    def _source(self) -> str | None:
        return client_ip(self.request) if self.request else None

    def _refuse(self, event_type: str, reason: str, user_id: str = "") -> ValidationError:
        """Count the failure against the username and this source, audit it, and give the
        one message every failure shows."""
        staff_login_failure_record(username=self.cleaned_data.get("username") or "",
                                   source_ip=self._source())
        self._fail(event_type, reason, user_id)
        return ValidationError(SIGN_IN_REFUSED, code="invalid_login")

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if staff_login_locked(username=username, source_ip=self._source()):
            # Refused before the password is read: a guess over the cap learns nothing.
            self._fail(STAFF_LOGIN_FAILED, "too_many_attempts")
            raise ValidationError(TOO_MANY_ATTEMPTS, code="too_many_attempts")
        try:
            super().clean()
        except ValidationError:
            # A user_cache means the password was right: the account is not active staff.
            reason = "not_staff" if self.user_cache else "bad_credentials"
            user_id = str(self.user_cache.pk) if self.user_cache else ""
            raise self._refuse(STAFF_LOGIN_FAILED, reason, user_id) from None
        user = self.get_user()
        if user is None:  # a field was missing: its own error says so; nothing to verify
            raise ValidationError(SIGN_IN_REFUSED, code="invalid_login")
        device, failure = staff_totp_verify(user=user, code=self.cleaned_data.get("otp_token", ""))
        if device is None:
            raise self._refuse(STAFF_MFA_FAILED, str(failure), str(user.pk))
        staff_login_success_record(username=username, source_ip=self._source())
        # django-otp puts this device in the session when auth.login() runs (user_logged_in).
        user.otp_device = device  # type: ignore[attr-defined]
        return self.cleaned_data


class UnmaskForm(forms.Form):
    """Why the field is needed (kept in the audit trail) and, for a step-up, a fresh code."""

    reason = forms.CharField(min_length=10, max_length=500, strip=True,
                             widget=forms.Textarea(attrs={"rows": 3}))
    otp_token = _code_field()

    def __init__(self, *args: Any, step_up: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not step_up:
            del self.fields["otp_token"]
