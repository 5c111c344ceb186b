"""Regression tests for the independent review of the consent pages and customer login:
lock-out at the code step, parallel requests, organisation wording, CSP origin, stages,
names in the email, one flow per login in a browser."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Customer, User
from security.login.models import LoginThrottle, OneTimeCode
from security.login.services import (
    LoginFailed,
    LoginLocked,
    OtpPurpose,
    OtpSendLimit,
    _message,
    binding_digest,
    identifier_digest,
    login_password_check,
    otp_send,
)
from security.models import AuditEvent
from security.oauth.authorization import _origin
from security.oauth.models import AuthorizationRequest
from tests.consent.conftest import JANE_EMAIL, PASSWORD, Browser, log_in, url

WRONG = "incorrect horse battery staple"


def _password(browser, handle, password=PASSWORD, customer_id="jane.citizen"):
    return browser.submit(url(handle), {"customer_id": customer_id, "password": password})


def _lock_jane():
    LoginThrottle.objects.update_or_create(
        identifier_digest=identifier_digest("jane.citizen"),
        defaults={"lockouts": 1, "locked_until": timezone.now() + timedelta(minutes=1)})


# --- H1: the lock-out holds at the code step ------------------------------------------------


@pytest.mark.django_db
def test_a_locked_identifier_cannot_use_or_get_codes_in_any_flow(start, jane, outbox):
    handle = start()
    browser = Browser()
    _password(browser, handle)
    right = outbox.last_code(JANE_EMAIL)
    _lock_jane()  # e.g. locked meanwhile by wrong codes in other flows
    resend = browser.submit(url(handle, "code"), {"action": "resend"})
    assert b"paused" in resend.content
    assert len(outbox.messages(JANE_EMAIL)) == 1, "no new code while locked"
    verify = browser.submit(url(handle, "code"), {"code": right, "action": "verify"})
    assert verify.status_code == 303 and verify["Location"] == url(handle)
    assert b"paused" in browser.get(url(handle)).content
    assert not OneTimeCode.objects.filter(closed_at__isnull=True).exists()
    throttle = LoginThrottle.objects.get(identifier_digest=identifier_digest("jane.citizen"))
    assert throttle.locked_until is not None, "a right code does not lift a lock-out"
    assert AuthorizationRequest.objects.get(handle=handle).stage == "AUTHENTICATION"


@pytest.mark.django_db
def test_a_lock_out_closes_the_open_codes_of_every_flow(start, jane, outbox):
    first, second = start(), start()
    other = Browser()
    _password(other, first)
    browser = Browser()
    _password(browser, second)
    assert OneTimeCode.objects.filter(closed_at__isnull=True).count() == 2
    for _ in range(3):  # three wrong codes in the second flow ...
        browser.submit(url(second, "code"), {"code": "000000", "action": "verify"})
    for _ in range(2):  # ... and two wrong passwords: five failures, locked
        _password(Browser(), first, WRONG)
    assert not OneTimeCode.objects.filter(closed_at__isnull=True).exists()
    response = other.submit(url(first, "code"), {"code": outbox.messages(JANE_EMAIL) and
                                                  outbox.last_code(JANE_EMAIL), "action": "verify"})
    assert response["Location"] == url(first)


@pytest.mark.django_db
def test_codes_per_login_are_limited_across_flows(jane, outbox):
    purpose = OtpPurpose("Budget Buddy", "Budget Buddy Pty Ltd")
    for flow in range(10):
        otp_send(user=jane, binding=binding_digest(f"flow-{flow}"), purpose=purpose,
                 source_ip=None)
    with pytest.raises(OtpSendLimit):
        otp_send(user=jane, binding=binding_digest("flow-11"), purpose=purpose, source_ip=None)


# --- H2: parallel requests (real PostgreSQL: row locks) -----------------------------------


def _in_threads(count, target):
    results, errors = [], []

    def run():
        try:
            results.append(target())
        except Exception as exc:  # the outcome is what is counted
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.fixture
def pg_customer(transactional_db):
    customer = Customer.objects.create(customer_type="person", last_name="Parallel",
                                       last_update_time=timezone.now())
    customer.email_addresses.create(purpose="HOME", address="parallel@example.com",
                                    is_preferred=True)
    user = User.objects.create_user("parallel.customer", password=PASSWORD, customer=customer)
    yield user


@pytest.mark.postgres
def test_parallel_password_guesses_are_taken_one_at_a_time(pg_customer):
    _, errors = _in_threads(12, lambda: login_password_check(
        identifier="parallel.customer", password=WRONG, source_ip=None))
    kinds = Counter(type(error) for error in errors)
    assert kinds == {LoginFailed: 4, LoginLocked: 8}, kinds
    reasons = Counter(e.detail["reason"] for e in AuditEvent.objects.filter(event_type="LOGIN_FAILED"))
    assert reasons == {"bad_credentials": 5, "locked_out": 7}
    with pytest.raises(LoginLocked):
        login_password_check(identifier="parallel.customer", password=PASSWORD, source_ip=None)


@pytest.mark.postgres
def test_parallel_code_requests_open_one_code(pg_customer, outbox):
    purpose = OtpPurpose("Budget Buddy", "Budget Buddy Pty Ltd")
    binding = binding_digest("one-flow")
    sent, refused = _in_threads(8, lambda: otp_send(user=pg_customer, binding=binding,
                                                    purpose=purpose, source_ip=None))
    assert len(sent) == 3 and len(refused) == 5
    assert OneTimeCode.objects.filter(binding=binding, closed_at__isnull=True).count() == 1
    assert OneTimeCode.objects.filter(binding=binding).count() == 3


# --- M2, L1, L2, L5, L6 --------------------------------------------------------------------


@pytest.mark.django_db
def test_organisations_see_organisation_words(start, seeded_bank, outbox):
    acme = User.objects.get(username="acme.agent")
    acme.set_password(PASSWORD)
    acme.save()
    handle = start(scope="openid common:customer.basic:read")
    browser = Browser()
    _password(browser, handle, customer_id="acme.agent")
    browser.submit(url(handle, "code"), {"code": outbox.last_code("accounts@acmewidgets.example"),
                                         "action": "verify"})
    page = browser.get(url(handle, "confirm")).content.decode()
    assert "Organisation profile" in page and "Organisation numbers (ABN or ACN)" in page
    assert "Name and occupation" not in page


@pytest.mark.parametrize(("uri", "origin"), [
    ("https://rp.example/cb", "https://rp.example"),
    ("https://RP.example:8443/cb?x=1", "https://rp.example:8443"),
    ("https://user:pass@rp.example/cb", "https://rp.example"),
    ("https://rp.example;sandbox/cb", ""),
    ("https://rp.example%3Bsandbox/cb", ""),
    ("https://[::1]:9000/cb", "https://[::1]:9000"),
    ("https://rp.example:99999/cb", ""),
    ("javascript:alert(1)", ""),
])
def test_the_csp_origin_is_rebuilt_and_allow_listed(uri, origin):
    assert _origin(uri) == origin


@pytest.mark.django_db
def test_without_banking_data_the_code_leads_to_the_decision_stage(start, jane, outbox):
    handle = start(scope="openid common:customer.basic:read")
    log_in(Browser(), handle, outbox)
    assert AuthorizationRequest.objects.get(handle=handle).stage == "AUTHORISATION"


def test_recipient_names_cannot_write_the_banks_email():
    message = _message("jane@example.com", "123456", OtpPurpose(
        "Budget\nBuddy\r\n\r\nURGENT: your account is locked, call 1800 000 000" + "x" * 200,
        "Evil\x00Corp\u0085"))
    first_paragraphs = message.body.split("\n\n")
    assert first_paragraphs[0] == "Your one-time code is 123456"
    assert "URGENT" in first_paragraphs[1] and "\r" not in message.body
    assert "Evil Corp" in first_paragraphs[1] and "\x00" not in message.body
    assert len(first_paragraphs[1]) < 300


@pytest.mark.django_db
def test_a_new_login_in_the_browser_forgets_earlier_flows(start, jane, outbox):
    first, second = start(), start()
    browser = Browser()
    log_in(browser, first, outbox)
    assert browser.get(url(first, "accounts")).status_code == 200
    john = User.objects.get(username="john.citizen")
    john.set_password(PASSWORD)
    john.save()
    csrf_before = browser.cookies["__Host-csrftoken"].value
    _password(browser, second, customer_id="john.citizen")
    assert browser.cookies["__Host-csrftoken"].value != csrf_before, "CSRF secret rotated"
    assert browser.get(url(first, "accounts"))["Location"] == url(first)
