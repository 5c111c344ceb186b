"""Attacks on the customer login of the consent pages: enumeration, guessing, replay,
lock-out, CSRF, framing, cookie theft, and what reaches the outbox and the audit trail."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from security.login.models import LoginThrottle, OneTimeCode
from security.login.services import (
    OTP_MAX_ATTEMPTS,
    LoginLocked,
    OtpClosed,
    OtpPurpose,
    binding_digest,
    identifier_digest,
    login_password_check,
    otp_send,
    otp_verify,
)
from security.models import AuditEvent
from tests.consent.conftest import JANE_EMAIL, PASSWORD, Browser, log_in, url

pytestmark = pytest.mark.django_db

WRONG = "incorrect horse battery staple"
INCORRECT = b"The customer ID or password is incorrect."
_TOKEN = re.compile(rb'value="[A-Za-z0-9]{64}"')


def _login(browser, handle, customer_id, password=WRONG):
    return browser.submit(url(handle), {"customer_id": customer_id, "password": password})


def _normalised(response, typed=""):
    """The page without its (per-response masked) CSRF token and the identifier the customer
    typed (echoed back into the form, as anyone would expect)."""
    content = _TOKEN.sub(b'value="CSRF"', response.content)
    return content.replace(f'value="{typed}"'.encode(), b'value="TYPED"') if typed else content


# --- enumeration ------------------------------------------------------------------------------


def test_unknown_customer_looks_exactly_like_a_wrong_password(start, jane):
    handle = start()
    wrong = _login(Browser(), handle, "jane.citizen")
    unknown = _login(Browser(), handle, "nobody.at.all")
    assert wrong.status_code == unknown.status_code == 200
    assert INCORRECT in wrong.content
    assert _normalised(wrong, "jane.citizen") == _normalised(unknown, "nobody.at.all")
    assert set(wrong.headers) == set(unknown.headers)


def test_staff_and_inactive_logins_look_like_wrong_passwords(start, jane):
    handle = start()
    User.objects.create_user("staff.member", password=PASSWORD, is_staff=True)
    User.objects.filter(pk=jane.pk).update(is_active=False)
    reference = _normalised(_login(Browser(), handle, "nobody.at.all"), "nobody.at.all")
    for login in ("staff.member", "jane.citizen"):
        assert _normalised(_login(Browser(), handle, login, PASSWORD), login) == reference


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.ScryptPasswordHasher"])
def test_unknown_customer_takes_as_long_as_a_wrong_password(start, jane):
    """The real hasher, so that hashing dominates: an unknown identifier is hashed too."""
    User.objects.filter(pk=jane.pk).update(
        password=make_password(PASSWORD, hasher="scrypt"))
    handle = start()

    def timed(identifier):
        LoginThrottle.objects.all().delete()  # stay clear of the lock-out
        began = time.perf_counter()
        response = _login(Browser(), handle, identifier)
        assert INCORRECT in response.content
        return time.perf_counter() - began

    wrong, unknown = [], []
    for index in range(7):  # interleaved, so drift hits both alike
        wrong.append(timed("jane.citizen"))
        unknown.append(timed(f"nobody-{index}"))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.67 < ratio < 1.5, (wrong, unknown)


# --- lock-out ---------------------------------------------------------------------------------


def _audit(event_type):
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("pk"))


def test_five_failures_lock_the_identifier_with_back_off_and_are_audited(start, jane):
    handle = start()
    for _ in range(4):
        assert INCORRECT in _login(Browser(), handle, "jane.citizen").content
    locked = _login(Browser(), handle, "jane.citizen")
    assert b"logging in is paused for 1 minute" in locked.content
    # Even the right password is refused while locked, with the same message.
    right = _login(Browser(), handle, "jane.citizen", PASSWORD)
    assert b"paused" in right.content and right.status_code == 200
    assert not OneTimeCode.objects.exists(), "no code is sent to a locked identifier"

    failures = _audit("LOGIN_FAILED")
    assert [e.detail["reason"] for e in failures] == ["bad_credentials"] * 5 + ["locked_out"]
    assert all(e.subject_type == "customer" and e.subject_id == str(jane.customer_id)
               for e in failures)
    assert all(e.source_ip == "203.0.113.7" for e in failures)
    (lockout,) = _audit("LOGIN_LOCKED_OUT")
    assert lockout.detail == {"lockout_seconds": 60, "lockouts": 1}
    for event in [*failures, lockout]:
        assert PASSWORD not in str(event.detail) and WRONG not in str(event.detail)
        assert "jane.citizen" not in str(event.detail)

    # Back-off: once the minute is over, five more failures lock for two minutes.
    LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    for _ in range(5):
        response = _login(Browser(), handle, "jane.citizen")
    assert b"paused for 2 minutes" in response.content
    assert _audit("LOGIN_LOCKED_OUT")[-1].detail == {"lockout_seconds": 120, "lockouts": 2}


def test_an_unknown_identifier_locks_exactly_like_a_real_one(start, jane):
    handle = start()
    for _ in range(5):
        real = _login(Browser(), handle, "jane.citizen")
        unknown = _login(Browser(), handle, "nobody.at.all")
    assert b"paused for 1 minute" in real.content
    assert _normalised(real, "jane.citizen") == _normalised(unknown, "nobody.at.all")
    subjects = {e.subject_type for e in _audit("LOGIN_LOCKED_OUT")}
    assert subjects == {"customer", "login_identifier"}
    # The throttle table holds keyed digests, never the identifiers.
    assert set(LoginThrottle.objects.values_list("identifier_digest", flat=True)) == {
        identifier_digest("jane.citizen"), identifier_digest("nobody.at.all")}


def test_a_full_login_resets_the_failure_count(start, jane, outbox):
    handle = start()
    for _ in range(4):
        _login(Browser(), handle, "jane.citizen")
    log_in(Browser(), start(), outbox)
    assert LoginThrottle.objects.get(identifier_digest=identifier_digest("jane.citizen")).failures == 0
    (success,) = _audit("LOGIN_SUCCEEDED")
    assert (success.outcome, success.actor_type, success.subject_type) == (
        "success", "customer", "customer")
    assert success.subject_id == str(jane.customer_id)


def test_overlong_input_is_refused_without_hashing_it(start, jane):
    handle = start()
    response = _login(Browser(), handle, "jane.citizen", "x" * 100_000)
    assert response.status_code == 200 and b'role="alert"' in response.content
    assert not OneTimeCode.objects.exists()


# --- one-time codes ---------------------------------------------------------------------------


def test_the_code_is_six_digits_sent_out_of_band_and_never_stored_or_audited(start, jane, outbox):
    handle = start()
    _login(Browser(), handle, "jane.citizen", PASSWORD)
    (message,) = outbox.messages(JANE_EMAIL)
    code = outbox.last_code(JANE_EMAIL)
    assert re.fullmatch(r"\d{6}", code)
    assert "Budget Buddy" in message.get_payload() and "Budget Buddy Pty Ltd" in message.get_payload()
    (file,) = outbox.path.glob("*.eml")
    assert file.stat().st_mode & 0o777 == 0o600
    row = OneTimeCode.objects.get()
    assert code not in row.code_digest and row.purpose == "CDR_AUTHORISATION"
    assert (row.expires_at - row.created_at) == timedelta(minutes=5)
    for event in AuditEvent.objects.all():
        assert code not in str(event.detail)
    (sent,) = _audit("OTP_SENT")
    assert (sent.subject_type, sent.subject_id) == ("customer", str(jane.customer_id))


def test_a_code_expires_after_five_minutes(start, jane, outbox):
    handle = start()
    browser = Browser()
    _login(browser, handle, "jane.citizen", PASSWORD)
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=5, seconds=1),
                               expires_at=timezone.now() - timedelta(seconds=1))
    response = browser.submit(url(handle, "code"), {"code": outbox.last_code(JANE_EMAIL),
                                                    "action": "verify"})
    assert response.status_code == 303 and response["Location"] == url(handle)
    page = browser.get(url(handle))
    assert b"This code is no longer valid" in page.content
    assert browser.get(url(handle, "accounts"))["Location"] == url(handle)


def test_a_code_works_once(jane, db):
    binding = binding_digest("flow-1")
    purpose = OtpPurpose("Budget Buddy", "Budget Buddy Pty Ltd")
    row = otp_send(user=jane, binding=binding, purpose=purpose, source_ip=None)
    code = _code_from_outbox()
    otp_verify(code_id=row.pk, user=jane, binding=binding, code=code, source_ip=None,
               acr="urn:cds.au:cdr:3")
    with pytest.raises(OtpClosed):
        otp_verify(code_id=row.pk, user=jane, binding=binding, code=code, source_ip=None,
                   acr="urn:cds.au:cdr:3")


@pytest.fixture
def _outbox_dir(outbox):
    return outbox


def _code_from_outbox():
    from django.conf import settings

    from tests.consent.conftest import Outbox
    return Outbox(__import__("pathlib").Path(settings.BANK_OTP_OUTBOX_DIR)).last_code(JANE_EMAIL)


@pytest.mark.usefixtures("_outbox_dir")
def test_a_code_for_another_binding_or_customer_is_refused(jane, db):
    john = User.objects.get(username="john.citizen")
    purpose = OtpPurpose("Budget Buddy", "Budget Buddy Pty Ltd")
    row = otp_send(user=jane, binding=binding_digest("flow-1"), purpose=purpose, source_ip=None)
    code = _code_from_outbox()
    for user, binding in ((jane, binding_digest("flow-2")), (john, binding_digest("flow-1"))):
        with pytest.raises(OtpClosed):
            otp_verify(code_id=row.pk, user=user, binding=binding, code=code, source_ip=None,
                       acr="urn:cds.au:cdr:3")


def test_three_wrong_codes_void_the_login(start, jane, outbox):
    handle = start()
    browser = Browser()
    _login(browser, handle, "jane.citizen", PASSWORD)
    right = outbox.last_code(JANE_EMAIL)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in range(OTP_MAX_ATTEMPTS - 1, 0, -1):
        response = browser.submit(url(handle, "code"), {"code": wrong, "action": "verify"})
        assert f"You have {left} attempt".encode() in response.content
    response = browser.submit(url(handle, "code"), {"code": wrong, "action": "verify"})
    assert response.status_code == 303 and response["Location"] == url(handle)
    # Even the right code is now useless: the customer starts again from the password.
    assert browser.get(url(handle, "code"))["Location"] == url(handle)
    reasons = [e.detail["reason"] for e in _audit("LOGIN_FAILED")]
    assert reasons == ["otp_wrong", "otp_wrong", "otp_attempts_exhausted"]


def test_wrong_codes_count_towards_the_lock_out(start, jane, outbox):
    handle = start()
    browser = Browser()
    _login(browser, handle, "jane.citizen", PASSWORD)
    for _ in range(OTP_MAX_ATTEMPTS):  # three failures; the login is void
        browser.submit(url(handle, "code"), {"code": "000000", "action": "verify"})
    browser = Browser()
    _login(browser, handle, "jane.citizen", PASSWORD)
    browser.submit(url(handle, "code"), {"code": "000000", "action": "verify"})
    fifth = browser.submit(url(handle, "code"), {"code": "000000", "action": "verify"})
    assert fifth.status_code == 303 and fifth["Location"] == url(handle)
    assert b"paused for 1 minute" in browser.get(url(handle)).content
    with pytest.raises(LoginLocked):
        login_password_check(identifier="jane.citizen", password=PASSWORD, source_ip=None)


def test_malformed_codes_are_refused_by_the_form(start, jane, outbox):
    handle = start()
    browser = Browser()
    _login(browser, handle, "jane.citizen", PASSWORD)
    for bad in ("12345", "1234567", "12345a", "١٢٣٤٥٦", "' OR 1=1"):
        response = browser.submit(url(handle, "code"), {"code": bad, "action": "verify"})
        assert b"Enter the 6-digit code" in response.content
    assert OneTimeCode.objects.get().attempts == 0


def test_resending_closes_the_old_code_and_is_limited(start, jane, outbox):
    handle = start()
    browser = Browser()
    _login(browser, handle, "jane.citizen", PASSWORD)
    first = outbox.last_code(JANE_EMAIL)
    response = browser.submit(url(handle, "code"), {"action": "resend"})
    assert b"We&#x27;ve sent you a new code" in response.content
    assert OneTimeCode.objects.filter(closed_at__isnull=True).count() == 1
    response = browser.submit(url(handle, "code"), {"action": "resend"})
    response = browser.submit(url(handle, "code"), {"action": "resend"})
    assert b"already sent several codes" in response.content
    assert len(outbox.messages(JANE_EMAIL)) == 3
    second = outbox.last_code(JANE_EMAIL)
    if first != second:
        response = browser.submit(url(handle, "code"), {"code": first, "action": "verify"})
        assert b"That code is incorrect" in response.content


# --- CSRF, framing, cookies -------------------------------------------------------------------


def test_posts_without_the_csrf_token_are_refused_and_change_nothing(start, jane, outbox):
    handle = start()
    browser = Browser()
    browser.get(url(handle))  # has the CSRF cookie, but the form field is missing
    response = browser.post(url(handle), {"customer_id": "jane.citizen", "password": PASSWORD})
    assert response.status_code == 403
    assert b"Please try again" in response.content and b"CSRF" not in response.content
    assert b"Demo Bank</title>" in response.content
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    forged = browser.post(url(handle), {"customer_id": "jane.citizen", "password": PASSWORD,
                                        "csrfmiddlewaretoken": "x" * 64})
    assert forged.status_code == 403
    cancel = browser.post(url(handle, "cancel"))
    assert cancel.status_code == 403
    assert not OneTimeCode.objects.exists() and not LoginThrottle.objects.exists()
    assert not AuditEvent.objects.exists()
    assert not list(outbox.path.glob("*")) if outbox.path.exists() else True


def test_every_page_refuses_framing_and_caching(start, jane, outbox):
    handle = start()
    browser = Browser()
    pages = [browser.get(url(handle))]
    browser.submit(url(handle), {"customer_id": "jane.citizen", "password": PASSWORD})
    pages.append(browser.get(url(handle, "code")))
    browser.submit(url(handle, "code"), {"code": outbox.last_code(JANE_EMAIL), "action": "verify"})
    pages.append(browser.get(url(handle, "accounts")))
    pages.append(Browser().get(url("A" * 43)))
    for page in pages:
        assert page.status_code in (200, 404)
        assert page["X-Frame-Options"] == "DENY"
        csp = page["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "script-src" not in csp, "the pages need no script"
        assert page["Cache-Control"] == "no-store"
        assert page["Referrer-Policy"] == "same-origin"
    # Forms may post here and to the recipient's redirect origin only.
    assert "form-action 'self' https://recipient.example;" in pages[0]["Content-Security-Policy"]


def test_cookies_are_httponly_secure_strict_and_short_lived(start, jane, outbox):
    handle = start()
    browser = Browser()
    page = browser.get(url(handle))
    csrf = page.cookies["__Host-csrftoken"]
    response = browser.submit(url(handle), {"customer_id": "jane.citizen", "password": PASSWORD})
    session = response.cookies["__Host-session"]
    for cookie in (csrf, session):
        assert cookie["httponly"] is True
        assert cookie["secure"] is True
        assert cookie["samesite"] == "Strict"
    # A browser-session cookie, and the server forgets the session after 15 minutes.
    assert session["max-age"] == "" and session["expires"] == ""
    stored = Session.objects.get(session_key=session.value)
    assert stored.expire_date <= timezone.now() + timedelta(minutes=15)
    # The session key changes at each factor (no fixation).
    before = browser.cookies["__Host-session"].value
    browser.submit(url(handle, "code"), {"code": outbox.last_code(JANE_EMAIL), "action": "verify"})
    assert browser.cookies["__Host-session"].value != before
