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
  4, 8 ... up to an hour on each further lock-out; a full login resets the count. A locked
  identifier gets no new code and no code of it counts, not even the right one; a lock-out
  closes every open code of the customer, in every flow.
- Codes: 6 digits from `secrets`, stored as a keyed digest bound to the flow they were sent
  for, valid 5 minutes, single use, 3 attempts, at most 3 sent per flow and 10 per login per
  hour (BANK_OTP_MAX_PER_HOUR). Sending a new one closes the old one.
- Parallel requests cannot multiply attempts: password checks and code checks lock the
  identifier's throttle row (and code issuing the login's User row) for their transaction.

Every failure and lock-out is audited (reason class only: never the identifier, password or
code). Each service runs its own transaction and raises only after it committed; the callers
(the consent views) are `non_atomic_requests`, so no page, and no exception, can roll a
failure or its audit row back.

Accepted risk, for the record: anyone who knows a customer ID can keep it locked (5 wrong
passwords an hour). The back-off caps the lock at an hour; per-source rate limits (the
transport issue) and alerting on LOGIN_LOCKED_OUT (the audit issue) are the mitigations.
"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
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
#: Codes one login may be sent per OTP_WINDOW, whatever the number of flows it starts:
#: settings.BANK_OTP_MAX_PER_HOUR (10 by default).
OTP_WINDOW = timedelta(hours=1)
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
    #: What the code does, when it is not sharing with a recipient (the customer's
    #: data-sharing dashboard): "manage your data sharing".
    use: str = ""


def identifier_digest(identifier: str) -> str:
    """The throttle key of a login identifier: keyed, so the table is no list of names."""
    normalised = normalise_identifier(identifier)
    return salted_hmac("bank.login.identifier", normalised, algorithm="sha256").hexdigest()


def binding_digest(value: str) -> str:
    return salted_hmac("bank.login.binding", value, algorithm="sha256").hexdigest()


def _code_digest(binding: str, code: str) -> str:
    return salted_hmac("bank.login.otp", f"{binding}:{code}", algorithm="sha256").hexdigest()


# --- password --------------------------------------------------------------------------


def normalise_identifier(identifier: str) -> str:
    """The identifier as looked up and as throttled: one string for both, so no spelling of
    an ID can reach the login under another ID's throttle. NFKC like Django's usernames;
    case is significant (a differently cased ID is simply another, unknown, ID)."""
    return unicodedata.normalize("NFKC", identifier.strip())


def login_password_check(*, identifier: str, password: str, source_ip: str | None) -> User:
    """The customer's login for this identifier and password, or LoginFailed / LoginLocked.

    Concurrency: the identifier's throttle row is locked before the lock-out is checked and
    held while the password is hashed, so parallel guesses at one ID are taken one at a time
    and each sees the count the previous one left (no burst gets past the lock-out).
    """
    identifier = normalise_identifier(identifier)
    digest = identifier_digest(identifier[:MAX_IDENTIFIER_LENGTH])
    with transaction.atomic():
        throttle = _throttle_for_update(digest)
        retry_after = _remaining(throttle)
        if retry_after:
            _failure_audit(digest, _Reason.LOCKED_OUT, throttle, user=_known_user(identifier),
                           source_ip=source_ip)
        else:
            user = _authenticate(identifier, password)
            if user is not None:
                return user
            retry_after = _failure_count(throttle, _Reason.BAD_CREDENTIALS,
                                         user=_known_user(identifier), source_ip=source_ip)
    # Raised after the block has committed: the failure and its audit row stay.
    if retry_after:
        raise LoginLocked(retry_after)
    raise LoginFailed()


def _authenticate(identifier: str, password: str) -> User | None:
    if len(identifier) > MAX_IDENTIFIER_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        return None
    found = authenticate(None, username=identifier, password=password)
    # Customers only: a staff login is "wrong" here, exactly like an unknown one.
    if isinstance(found, User) and found.customer_id is not None and not found.is_staff:
        return found
    return None


def _known_user(identifier: str) -> User | None:
    """Only for the audit trail (whose customer is being guessed at), never for the answer."""
    if len(identifier) > MAX_IDENTIFIER_LENGTH:
        return None
    return User.objects.filter(username=identifier, customer__isnull=False).first()


def _throttle_for_update(digest: str) -> LoginThrottle:
    """The identifier's throttle row, locked until the caller's transaction ends."""
    LoginThrottle.objects.get_or_create(identifier_digest=digest)
    return LoginThrottle.objects.select_for_update().get(identifier_digest=digest)


def _remaining(throttle: LoginThrottle) -> int:
    if throttle.locked_until is None:
        return 0
    remaining = (throttle.locked_until - timezone.now()).total_seconds()
    return max(0, int(-(-remaining // 1)))


def _failure_count(
    throttle: LoginThrottle, reason: _Reason, *, user: User | None, source_ip: str | None,
) -> int:
    """Count a failure on a locked throttle row; the lock-out in seconds if this failure
    started one (every open code of the customer is then closed, in every flow), else 0."""
    locked_seconds = 0
    throttle.failures += 1
    if throttle.failures >= MAX_FAILURES:
        duration = min(LOCKOUT_FIRST * (2 ** throttle.lockouts), LOCKOUT_MAX)
        throttle.lockouts += 1
        throttle.failures = 0
        throttle.locked_until = timezone.now() + duration
        locked_seconds = int(duration.total_seconds())
        if user is not None:
            OneTimeCode.objects.filter(user=user, closed_at__isnull=True).update(
                closed_at=timezone.now())
    throttle.save()
    _failure_audit(throttle.identifier_digest, reason, throttle, user=user, source_ip=source_ip)
    if locked_seconds:
        subject_type, subject_id = _subject(throttle.identifier_digest, user)
        audit.audit_record(
            actor=audit.Actor.system("login"), event_type=LOGIN_LOCKED_OUT,
            outcome=audit.Outcome.DENIED, subject_type=subject_type, subject_id=subject_id,
            source_ip=source_ip,
            detail={"lockout_seconds": locked_seconds, "lockouts": throttle.lockouts},
        )
    return locked_seconds


def _subject(digest: str, user: User | None) -> tuple[str, str]:
    if user is not None and user.customer_id is not None:
        return "customer", str(user.customer_id)
    return "login_identifier", digest[:16]


def _failure_audit(
    digest: str, reason: _Reason, throttle: LoginThrottle, *, user: User | None,
    source_ip: str | None,
) -> None:
    subject_type, subject_id = _subject(digest, user)
    audit.audit_record(
        actor=audit.Actor(audit.ActorType.ANONYMOUS),
        event_type=LOGIN_FAILED, outcome=audit.Outcome.DENIED,
        subject_type=subject_type, subject_id=subject_id, source_ip=source_ip,
        detail={"reason": reason.value, "failures": throttle.failures},
    )


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
    """Send a new code for this flow (closing any earlier one) and return its row.

    Codes are issued one at a time per customer login (its User row is locked), so parallel
    requests cannot open several codes for one flow or get past the limits: 3 per flow, 10
    per login per hour. Refused while the login's identifier is locked out. The email goes
    out after the row is committed, so no transaction waits on the mail server.
    """
    address = _email_of(user)
    digest = identifier_digest(user.username)
    refusal: LoginError | None = None
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        throttle = _throttle_for_update(digest)
        retry_after = _remaining(throttle)
        now = timezone.now()
        if retry_after:
            _failure_audit(digest, _Reason.LOCKED_OUT, throttle, user=user, source_ip=source_ip)
            refusal = LoginLocked(retry_after)
        elif (OneTimeCode.objects.filter(user=user, binding=binding).count() >= OTP_MAX_PER_FLOW
              or OneTimeCode.objects.filter(user=user, created_at__gt=now - OTP_WINDOW).count()
              >= settings.BANK_OTP_MAX_PER_HOUR):
            refusal = OtpSendLimit()
        elif address is None:
            _failure_audit(digest, _Reason.OTP_UNDELIVERABLE, throttle, user=user,
                           source_ip=source_ip)
            refusal = OtpNotSent()
        else:
            code = f"{secrets.randbelow(10**OTP_LENGTH):0{OTP_LENGTH}d}"
            OneTimeCode.objects.filter(user=user, binding=binding, closed_at__isnull=True).update(
                closed_at=now)
            row = OneTimeCode.objects.create(
                user=user, purpose=OneTimeCode.Purpose.CDR_AUTHORISATION, binding=binding,
                code_digest=_code_digest(binding, code), created_at=now,
                expires_at=now + OTP_LIFETIME,
            )
    if refusal is not None:
        raise refusal
    try:
        otp_channel().send(_message(str(address), code, purpose))
    except (OtpUndeliverable, OSError) as exc:
        OneTimeCode.objects.filter(pk=row.pk).update(closed_at=timezone.now())
        raise OtpNotSent() from exc
    audit.audit_record(
        actor=audit.Actor.system("login"), event_type=OTP_SENT, subject_type="customer",
        subject_id=user.customer_id or "", source_ip=source_ip,
        detail={"channel": "email", "expires_in": int(OTP_LIFETIME.total_seconds())},
    )
    return row


def _email_of(user: User) -> str | None:
    """The customer's preferred email. For an organisation with several logins this is the
    organisation's address, not the person's: a per-user channel is future work."""
    if user.customer is None:
        return None
    emails = user.customer.email_addresses.order_by("-is_preferred", "pk")
    first = emails.first()
    return first.address if first is not None else None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def _plain(name: str, limit: int = 80) -> str:
    """A recipient-chosen name made safe to quote in the bank's email: no control characters
    or line breaks (no text that passes for the bank's own), and not too long."""
    flat = " ".join(_CONTROL.sub(" ", name).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _sharing_with(purpose: OtpPurpose) -> str:
    return (f"share your data with {_plain(purpose.software_product_name)} "
            f"({_plain(purpose.recipient_name)})")


def _message(address: str, code: str, purpose: OtpPurpose) -> OtpMessage:
    minutes = int(OTP_LIFETIME.total_seconds() // 60)
    return OtpMessage(
        to=address,
        subject=f"Your one-time code to {purpose.use or 'share your data'}",
        body=(
            f"Your one-time code is {code}\n\n"
            f"Use it to {purpose.use or _sharing_with(purpose)} "
            "under the Consumer Data Right. It expires in "
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
    OtpClosed (start again) or LoginLocked (the identifier is locked out: no code counts)."""
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
    """(None, 0, 0) on success, else (reason, attempts left, lock-out seconds); commits."""
    digest = identifier_digest(user.username)
    with transaction.atomic():
        throttle = _throttle_for_update(digest)
        now = timezone.now()
        retry_after = _remaining(throttle)
        if retry_after:
            # Locked out: even the right code does not count, and no code stays open.
            OneTimeCode.objects.filter(user=user, closed_at__isnull=True).update(closed_at=now)
            _failure_audit(digest, _Reason.LOCKED_OUT, throttle, user=user, source_ip=source_ip)
            return _Reason.LOCKED_OUT, 0, retry_after
        row = (OneTimeCode.objects.select_for_update()
               .filter(pk=code_id, user=user, binding=binding).first())
        if row is None or row.closed_at is not None or row.expires_at <= now:
            # A closed or expired code is not a guess: not counted against the identifier.
            _failure_audit(digest, _Reason.OTP_CLOSED, throttle, user=user, source_ip=source_ip)
            return _Reason.OTP_CLOSED, 0, 0
        entered = code.strip()
        if (len(entered) == OTP_LENGTH and entered.isascii() and entered.isdigit()
                and hmac.compare_digest(row.code_digest, _code_digest(binding, entered))):
            OneTimeCode.objects.filter(pk=row.pk).update(closed_at=now)
            return None, 0, 0
        row.attempts += 1
        reason = _Reason.OTP_WRONG
        if row.attempts >= OTP_MAX_ATTEMPTS:
            row.closed_at = now
            reason = _Reason.OTP_ATTEMPTS_EXHAUSTED
        row.save(update_fields=["attempts", "closed_at"])
        locked = _failure_count(throttle, reason, user=user, source_ip=source_ip)
        return reason, OTP_MAX_ATTEMPTS - row.attempts, locked


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
