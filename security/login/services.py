"""Customer login for CDR consent: identifier + password, then a one-time code (LoA 3).

CDS security/_credential_requirements.md ("Redirect to Web with OTP"): a user identifier the
customer already knows, a numeric OTP of 4 to 6 digits delivered through an existing channel,
invalidated after a while, usable only for CDR authorisation, and controls against
enumeration. Here:

- One answer for every wrong identifier/password pair: an unknown identifier, a wrong
  password, an inactive login and a staff login all get `LoginFailed`, after the same password
  hashing (Django's ModelBackend hashes the password even for an unknown user).
- Failures are counted per identifier (a keyed digest of it), for identifiers that exist and
  for those that do not, so the lock-out tells an attacker nothing either. Five consecutive
  failures (wrong passwords and wrong codes alike) lock the identifier for one minute, then 2,
  4, 8 ... up to an hour on each further lock-out; a full login resets the count.
- Codes: 6 digits from `secrets`, stored as a keyed digest bound to the flow they were sent
  for, valid 5 minutes, single use, 3 attempts, at most 3 sent per flow. Sending a new one
  closes the old one.

Every failure and lock-out is audited (reason class only: never the identifier, password or
code). Failures are written in their own atomic block that commits before the exception is
raised, so the view's error page cannot roll them back.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import User
from security import audit
from security.login.channels import OtpMessage, OtpUndeliverable, otp_channel
from security.login.models import LoginThrottle, OneTimeCode

MAX_FAILURES = 5
LOCKOUT_FIRST = timedelta(minutes=1)
LOCKOUT_MAX = timedelta(hours=1)
OTP_LENGTH = 6
OTP_LIFETIME = timedelta(minutes=5)
OTP_MAX_ATTEMPTS = 3
OTP_MAX_PER_FLOW = 3
#: Longest identifier or password looked at: anything longer is simply wrong (and is not
#: hashed, so a megabyte password costs nothing).
MAX_IDENTIFIER_LENGTH = 150
MAX_PASSWORD_LENGTH = 256

LOGIN_SUCCEEDED = "LOGIN_SUCCEEDED"
LOGIN_FAILED = "LOGIN_FAILED"
LOGIN_LOCKED_OUT = "LOGIN_LOCKED_OUT"
OTP_SENT = "OTP_SENT"


class LoginError(Exception):
    """Base of the login failures; `message` is safe to show the customer."""

    message = "We couldn't log you in."


class LoginFailed(LoginError):
    message = "The customer ID or password is incorrect."


class LoginLocked(LoginError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after
        minutes = max(1, -(-retry_after // 60))
        self.message = (
            "Too many unsuccessful attempts. For your security, logging in is paused for "
            f"{minutes} minute{'s' if minutes != 1 else ''}."
        )


class OtpWrong(LoginError):
    def __init__(self, attempts_left: int) -> None:
        super().__init__(attempts_left)
        self.attempts_left = attempts_left
        self.message = (
            f"That code is incorrect. You have {attempts_left} "
            f"attempt{'s' if attempts_left != 1 else ''} left."
        )


class OtpClosed(LoginError):
    """Expired, already used, replaced or out of attempts: the customer must start again."""

    message = "This code is no longer valid. Please log in again to get a new code."


class OtpSendLimit(LoginError):
    message = "We have already sent several codes. Please log in again later."


class OtpNotSent(LoginError):
    message = "We couldn't send you a code. Please try again later or contact us."


class _Reason(StrEnum):
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED_OUT = "locked_out"
    OTP_WRONG = "otp_wrong"
    OTP_CLOSED = "otp_closed"
    OTP_ATTEMPTS_EXHAUSTED = "otp_attempts_exhausted"
    OTP_UNDELIVERABLE = "otp_undeliverable"


@dataclass(frozen=True)
class OtpPurpose:
    """What the code is for, told to the customer in the message (anti-phishing: a code that
    arrives for a recipient the customer never chose is a warning sign)."""

    software_product_name: str
    recipient_name: str


def identifier_digest(identifier: str) -> str:
    """The throttle key of a login identifier: keyed, so the table is no list of names."""
    normalised = identifier.strip().casefold()
    return salted_hmac("bank.login.identifier", normalised, algorithm="sha256").hexdigest()


def binding_digest(value: str) -> str:
    return salted_hmac("bank.login.binding", value, algorithm="sha256").hexdigest()


def _code_digest(binding: str, code: str) -> str:
    return salted_hmac("bank.login.otp", f"{binding}:{code}", algorithm="sha256").hexdigest()


# --- password --------------------------------------------------------------------------


def login_password_check(*, identifier: str, password: str, source_ip: str | None) -> User:
    """The customer's login for this identifier and password, or LoginFailed / LoginLocked."""
    digest = identifier_digest(identifier[:MAX_IDENTIFIER_LENGTH])
    retry_after = _locked_for(digest)
    if retry_after:
        _failure_record(digest, _Reason.LOCKED_OUT, user=_known_user(identifier),
                        source_ip=source_ip, counts=False)
        raise LoginLocked(retry_after)
    user = None
    if len(identifier) <= MAX_IDENTIFIER_LENGTH and len(password) <= MAX_PASSWORD_LENGTH:
        found = authenticate(None, username=identifier.strip(), password=password)
        # Customers only: a staff login is "wrong" here, exactly like an unknown one.
        if isinstance(found, User) and found.customer_id is not None and not found.is_staff:
            user = found
    if user is None:
        locked = _failure_record(digest, _Reason.BAD_CREDENTIALS,
                                 user=_known_user(identifier), source_ip=source_ip)
        if locked:
            raise LoginLocked(locked)
        raise LoginFailed()
    return user


def _known_user(identifier: str) -> User | None:
    """Only for the audit trail (whose customer is being guessed at), never for the answer."""
    if len(identifier) > MAX_IDENTIFIER_LENGTH:
        return None
    return User.objects.filter(username=identifier.strip(), customer__isnull=False).first()


def _locked_for(digest: str) -> int:
    throttle = LoginThrottle.objects.filter(identifier_digest=digest).first()
    if throttle is None or throttle.locked_until is None:
        return 0
    remaining = (throttle.locked_until - timezone.now()).total_seconds()
    return max(0, int(-(-remaining // 1)))


def _failure_record(
    digest: str, reason: _Reason, *, user: User | None, source_ip: str | None,
    counts: bool = True,
) -> int:
    """Count a failure (committed even if the caller's request later rolls back: its own
    atomic block, and the callers raise only after it). Returns the lock-out in seconds when
    this failure started one, else 0."""
    locked_seconds = 0
    with transaction.atomic():
        throttle, _ = LoginThrottle.objects.get_or_create(identifier_digest=digest)
        throttle = LoginThrottle.objects.select_for_update().get(pk=throttle.pk)
        if counts:
            throttle.failures += 1
            if throttle.failures >= MAX_FAILURES:
                duration = min(LOCKOUT_FIRST * (2 ** throttle.lockouts), LOCKOUT_MAX)
                throttle.lockouts += 1
                throttle.failures = 0
                throttle.locked_until = timezone.now() + duration
                locked_seconds = int(duration.total_seconds())
            throttle.save()
        subject = ("customer", user.customer_id) if user is not None else (
            "login_identifier", digest[:16])
        audit.audit_record(
            actor=audit.Actor(audit.ActorType.ANONYMOUS),
            event_type=LOGIN_FAILED, outcome=audit.Outcome.DENIED,
            subject_type=subject[0], subject_id=subject[1] or "", source_ip=source_ip,
            detail={"reason": reason.value, "failures": throttle.failures},
        )
        if locked_seconds:
            audit.audit_record(
                actor=audit.Actor.system("login"), event_type=LOGIN_LOCKED_OUT,
                outcome=audit.Outcome.DENIED, subject_type=subject[0],
                subject_id=subject[1] or "", source_ip=source_ip,
                detail={"lockout_seconds": locked_seconds, "lockouts": throttle.lockouts},
            )
    return locked_seconds


def _success_record(user: User, *, source_ip: str | None, acr: str) -> None:
    LoginThrottle.objects.filter(identifier_digest=identifier_digest(user.username)).update(
        failures=0, lockouts=0, locked_until=None
    )
    audit.audit_record(
        actor=audit.Actor(audit.ActorType.CUSTOMER, str(user.customer_id)),
        event_type=LOGIN_SUCCEEDED, subject_type="customer", subject_id=user.customer_id or "",
        source_ip=source_ip, detail={"acr": acr, "factors": ["password", "otp"]},
    )


# --- one-time code ---------------------------------------------------------------------


def otp_send(
    *, user: User, binding: str, purpose: OtpPurpose, source_ip: str | None,
) -> OneTimeCode:
    """Send a new code for this flow (closing any earlier one) and return its row."""
    now = timezone.now()
    sent_before = OneTimeCode.objects.filter(user=user, binding=binding).count()
    if sent_before >= OTP_MAX_PER_FLOW:
        raise OtpSendLimit()
    address = _email_of(user)
    if address is None:
        _failure_record(identifier_digest(user.username), _Reason.OTP_UNDELIVERABLE,
                        user=user, source_ip=source_ip, counts=False)
        raise OtpNotSent()
    code = f"{secrets.randbelow(10**OTP_LENGTH):0{OTP_LENGTH}d}"
    with transaction.atomic():
        OneTimeCode.objects.filter(user=user, binding=binding, closed_at__isnull=True).update(
            closed_at=now)
        row = OneTimeCode.objects.create(
            user=user, purpose=OneTimeCode.Purpose.CDR_AUTHORISATION, binding=binding,
            code_digest=_code_digest(binding, code), created_at=now,
            expires_at=now + OTP_LIFETIME,
        )
        try:
            otp_channel().send(_message(address, code, purpose))
        except (OtpUndeliverable, OSError) as exc:
            raise OtpNotSent() from exc
        audit.audit_record(
            actor=audit.Actor.system("login"), event_type=OTP_SENT, subject_type="customer",
            subject_id=user.customer_id or "", source_ip=source_ip,
            detail={"channel": "email", "expires_in": int(OTP_LIFETIME.total_seconds())},
        )
    return row


def _email_of(user: User) -> str | None:
    if user.customer is None:
        return None
    emails = user.customer.email_addresses.order_by("-is_preferred", "pk")
    first = emails.first()
    return first.address if first is not None else None


def _message(address: str, code: str, purpose: OtpPurpose) -> OtpMessage:
    minutes = int(OTP_LIFETIME.total_seconds() // 60)
    return OtpMessage(
        to=address,
        subject="Your one-time code to share your data",
        body=(
            f"Your one-time code is {code}\n\n"
            f"Use it to share your data with {purpose.software_product_name} "
            f"({purpose.recipient_name}) under the Consumer Data Right. It expires in "
            f"{minutes} minutes and works only once.\n\n"
            "Never tell anyone this code, including anyone who says they are from the bank. "
            "If you did not ask to share your data, do not use it and let us know.\n"
        ),
    )


def otp_verify(
    *, code_id: int, user: User, binding: str, code: str, source_ip: str | None,
    acr: str,
) -> datetime:
    """Check a code; the authentication time on success. Raises OtpWrong (try again),
    OtpClosed (start again) or LoginLocked (the identifier is now locked)."""
    outcome, left, locked = _otp_check(code_id, user, binding, code, source_ip)
    if outcome is None:
        now = timezone.now()
        _success_record(user, source_ip=source_ip, acr=acr)
        return now
    if locked:
        raise LoginLocked(locked)
    if outcome is _Reason.OTP_WRONG:
        raise OtpWrong(left)
    raise OtpClosed()


def _otp_check(
    code_id: int, user: User, binding: str, code: str, source_ip: str | None,
) -> tuple[_Reason | None, int, int]:
    now = timezone.now()
    digest = identifier_digest(user.username)
    with transaction.atomic():
        row = (OneTimeCode.objects.select_for_update()
               .filter(pk=code_id, user=user, binding=binding).first())
        if row is None or row.closed_at is not None or row.expires_at <= now:
            reason = _Reason.OTP_CLOSED
        else:
            entered = code.strip()
            valid = (len(entered) == OTP_LENGTH and entered.isascii() and entered.isdigit()
                     and hmac.compare_digest(row.code_digest, _code_digest(binding, entered)))
            if valid:
                OneTimeCode.objects.filter(pk=row.pk).update(closed_at=now)
                return None, 0, 0
            row.attempts += 1
            if row.attempts >= OTP_MAX_ATTEMPTS:
                row.closed_at = now
                reason = _Reason.OTP_ATTEMPTS_EXHAUSTED
            else:
                reason = _Reason.OTP_WRONG
            row.save(update_fields=["attempts", "closed_at"])
    # A closed or expired code is not a guess: it is not counted against the identifier.
    locked = _failure_record(digest, reason, user=user, source_ip=source_ip,
                             counts=reason is not _Reason.OTP_CLOSED)
    left = OTP_MAX_ATTEMPTS - row.attempts if row is not None else 0
    return reason, left, locked


# --- housekeeping ----------------------------------------------------------------------

#: How long a spent code or an idle failure counter is kept (investigations, a day's view).
LOGIN_RECORD_MEMORY = timedelta(days=1)


def login_records_purge() -> dict[str, int]:
    """Delete codes that expired more than a day ago, and failure counters untouched for a
    day that hold no running lock-out (a counter under lock is kept until the lock ends)."""
    cutoff = timezone.now() - LOGIN_RECORD_MEMORY
    codes = OneTimeCode.objects.filter(expires_at__lt=cutoff).delete()[0]
    throttles = LoginThrottle.objects.filter(updated_at__lt=cutoff).exclude(
        locked_until__gt=timezone.now()).delete()[0]
    return {"one_time_codes": codes, "login_throttles": throttles}
