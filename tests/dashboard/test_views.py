"""The customer's data-sharing dashboard (security/dashboard): login, what it shows, stopping."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import dateformat, timezone

from accounts.models import Account
from security.audit import ActorType
from security.consent.models import Arrangement, ArrangementStatus
from security.consent.services import ARRANGEMENT_REVOKED
from security.models import AuditEvent
from security.oauth.models import GrantContext
from tests.conftest import assert_cdr_error
from tests.consent.conftest import JANE_EMAIL, PASSWORD, Browser
from tests.dashboard.conftest import (
    CODE,
    HOME,
    LOGIN,
    LOGOUT,
    dashboard_log_in,
    detail_url,
    main_text,
    sharing_blocks,
    stop_url,
)
from tests.oauth.test_token import accounts_call, authorize, exchange, tokens_for

DAY = 86_400
PRODUCT, RECIPIENT = "Test App", "Test Recipient Pty Ltd"


def _day(value: Any) -> str:
    return dateformat.format(timezone.localtime(value), "j F Y")


def _label(account: Account) -> str:
    """What the consent pages called the account: name and masked number (independently)."""
    digits = "".join(c for c in account.account_number if c.isdigit())
    return f"{account.nickname or account.display_name} xxx-xxx {'x' * (len(digits) - 4)}{digits[-4:]}"


def _jane_accounts(arrangement: Arrangement) -> list[str]:
    return [_label(a) for a in arrangement.accounts.order_by("pk")]


def _names(client_app: Any) -> tuple[str, str]:
    product = client_app.registration.software_product
    return product.name, product.recipient.legal_entity_name


def _assert_hardened(response: Any) -> None:
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "form-action 'self';" in response["Content-Security-Policy"]


# Login ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [HOME, "/dashboard/arrangements/1", "/dashboard/arrangements/1/stop"])
def test_every_dashboard_page_requires_login(bank, path):
    response = Client().get(path)
    assert response.status_code == 303
    assert response["Location"] == LOGIN
    _assert_hardened(response)


def test_password_alone_does_not_log_in(customers, outbox):
    browser = Browser()
    response = browser.submit(LOGIN, {"customer_id": "jane.citizen", "password": PASSWORD})
    assert response["Location"] == CODE
    assert browser.get(HOME)["Location"] == LOGIN
    message = outbox.messages(JANE_EMAIL)[-1]
    assert message["Subject"] == "Your one-time code to manage your data sharing"
    body = message.get_payload(decode=True).decode()
    assert "Use it to manage your data sharing under the Consumer Data Right." in body


def test_wrong_password_is_refused_without_saying_why(customers, outbox):
    browser = Browser()
    response = browser.submit(LOGIN, {"customer_id": "jane.citizen", "password": "wrong one"})
    assert response.status_code == 200
    assert "The customer ID or password is incorrect." in main_text(response)
    assert outbox.messages(JANE_EMAIL) == []
    assert browser.get(CODE)["Location"] == LOGIN


def test_an_earlier_attempts_code_does_not_log_in(customers, outbox):
    browser = Browser()
    browser.submit(LOGIN, {"customer_id": "jane.citizen", "password": PASSWORD})
    first = outbox.last_code(JANE_EMAIL)
    # A second login attempt: its code is bound to a new nonce, so the first code is void.
    browser.submit(LOGIN, {"customer_id": "jane.citizen", "password": PASSWORD})
    if first == outbox.last_code(JANE_EMAIL):
        pytest.skip("the two random codes happen to be equal (one in a million)")
    response = browser.submit(CODE, {"code": first, "action": "verify"})
    assert response.status_code == 200
    assert "That code is incorrect." in main_text(response)
    assert browser.get(HOME)["Location"] == LOGIN


def test_login_attempts_are_rate_limited_per_source(customers, real_rate_limits):
    browser = Browser()
    statuses = [browser.submit(LOGIN, {"customer_id": "nobody", "password": "x"}).status_code
                for _ in range(11)]
    assert statuses == [200] * 10 + [429]  # login_per_source: 10 a minute, burst 10
    response = browser.post(LOGIN, {"customer_id": "nobody", "password": "x"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_dashboard_pages_are_rate_limited_per_source(bank, real_rate_limits):
    real_rate_limits.BANK_RATE_LIMITS = {**real_rate_limits.BANK_RATE_LIMITS,
                                         "public_per_source": ("1/m", 3)}
    browser = Browser()
    statuses = [browser.get(HOME).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]


def test_login_rotates_the_session_key(customers, outbox):
    browser = Browser()
    browser.get(LOGIN)
    before = browser.cookies["__Host-session"].value if "__Host-session" in browser.cookies else ""
    dashboard_log_in(browser, outbox)
    assert browser.cookies["__Host-session"].value not in ("", before)


def test_logout_ends_the_login(logged_in):
    browser = logged_in()
    token = _csrf(browser.get(HOME))
    response = browser.post(LOGOUT, {"csrfmiddlewaretoken": token})
    assert response.status_code == 303 and response["Location"] == LOGIN
    assert browser.get(HOME)["Location"] == LOGIN
    assert "You have logged out." in main_text(browser.get(LOGIN))


def test_an_idle_login_expires(logged_in, settings):
    browser = logged_in()
    settings.BANK_DASHBOARD_IDLE_SECONDS = 60
    with mock.patch("security.dashboard.session.time.time", return_value=time.time() + 61):
        response = browser.get(HOME)
    assert response["Location"] == LOGIN
    assert "You were logged out because you were inactive for a while." in main_text(browser.get(LOGIN))
    assert browser.get(HOME)["Location"] == LOGIN


def test_activity_keeps_the_login_alive(logged_in, settings):
    browser = logged_in()
    settings.BANK_DASHBOARD_IDLE_SECONDS = 60
    start = time.time()
    for minutes in (0.9, 1.8, 2.7):
        with mock.patch("security.dashboard.session.time.time", return_value=start + minutes * 60):
            assert browser.get(HOME).status_code == 200


# What the dashboard shows ---------------------------------------------------------------


def test_list_shows_exactly_the_customers_arrangements(client_app, logged_in, customers):
    mine = tokens_for(client_app)
    johns = tokens_for(client_app, username="john.citizen")
    arrangement = Arrangement.objects.get(cdr_arrangement_id=mine["cdr_arrangement_id"])
    product, recipient = _names(client_app)

    response = logged_in().get(HOME)

    assert response.status_code == 200
    _assert_hardened(response)
    assert sharing_blocks(response) == [
        f"{product} Provided by {recipient} Status Active "
        "Data shared Account name, type and balance; Transaction details; Name "
        f"Accounts {'; '.join(_jane_accounts(arrangement))} "
        f"Shared since {_day(arrangement.created_at)} "
        f"Expires {_day(arrangement.sharing_expires_at)} Last used Not yet"
    ]
    html = response.content.decode()
    assert f'href="/dashboard/arrangements/{arrangement.pk}"' in html
    # Nothing of the recipient's handle, and no full account number.
    assert mine["cdr_arrangement_id"] not in html
    assert johns["cdr_arrangement_id"] not in html
    for account in arrangement.accounts.all():
        assert account.account_number not in html


def test_list_separates_stopped_and_expired_sharing(client_app, logged_in, customers):
    active = tokens_for(client_app)
    stopped = tokens_for(client_app)
    expired = tokens_for(client_app)
    now = timezone.now()
    Arrangement.objects.filter(cdr_arrangement_id=stopped["cdr_arrangement_id"]).update(
        status=ArrangementStatus.REVOKED, revoked_at=now)
    Arrangement.objects.filter(cdr_arrangement_id=expired["cdr_arrangement_id"]).update(
        sharing_expires_at=now - timedelta(days=1))

    response = logged_in().get(HOME)

    text = main_text(response)
    sharing_now, ended = text.split("No longer sharing")
    assert sharing_now.count("Status Active") == 1
    assert ended.count("Status Stopped") == 1 and f"Stopped {_day(now)}" in ended
    assert ended.count("Status Expired") == 1 and f"Expired {_day(now - timedelta(days=1))}" in ended
    assert "Active" not in ended
    pk = Arrangement.objects.get(cdr_arrangement_id=active["cdr_arrangement_id"]).pk
    assert f'href="/dashboard/arrangements/{pk}"' in response.content.decode()


def test_list_leaves_out_authorizations_not_yet_redeemed(client_app, logged_in, customers):
    pending = authorize(client_app)  # approved, but the code was never exchanged
    assert GrantContext.objects.filter(arrangement=pending.arrangement).exists()
    response = logged_in().get(HOME)
    assert sharing_blocks(response) == []
    assert "You are not sharing your data with anyone." in main_text(response)
    assert logged_in().get(detail_url(pending.arrangement.pk)).status_code == 404


def test_detail_shows_the_arrangement_and_its_amendment_history(client_app, logged_in, customers):
    first = tokens_for(client_app, scopes=("openid", "bank:accounts.basic:read"))
    old = Arrangement.objects.get(cdr_arrangement_id=first["cdr_arrangement_id"])
    auth = authorize(client_app, replaces=old, sharing_duration=180 * DAY,
                     scopes=("openid", "bank:accounts.basic:read", "bank:transactions:read"))
    jane_accounts = list(Account.objects.filter(pk__in=old.accounts.values("pk")).order_by("pk"))
    auth.arrangement.accounts.set(jane_accounts[:1])
    assert exchange(client_app, auth).status_code == 200
    current = Arrangement.objects.get(cdr_arrangement_id=first["cdr_arrangement_id"])
    assert current.pk != old.pk
    product, recipient = _names(client_app)
    browser = logged_in()

    listed = browser.get(HOME)
    assert len(sharing_blocks(listed)) == 1  # the superseded version is history, not a row
    response = browser.get(detail_url(current.pk))

    assert response.status_code == 200
    _assert_hardened(response)
    removed = "; ".join(_label(a) for a in jane_accounts[1:])
    assert main_text(response) == (
        f"Log out Back to your data sharing Sharing with {product} "
        f"Provided by {recipient} Status Active Shared since {_day(old.created_at)} "
        f"Expires {_day(current.sharing_expires_at)} Last used Not yet "
        "Data you share "
        "Account name, type and balance Name of account Type of account Account balance "
        "Transaction details Incoming and outgoing transactions Amounts Dates "
        "Descriptions of transactions Who you have sent money to and received money from "
        "(e.g. their name) "
        f"From these accounts {_label(jane_accounts[0])} "
        f"Changes you made {_day(current.created_at)} You started sharing: Transaction details "
        f"Accounts removed: {removed} "
        f"Sharing period changed: until {_day(current.sharing_expires_at)} "
        f"(was until {_day(old.sharing_expires_at)}) "
        f"Stop sharing with {product}"
    )
    assert browser.get(detail_url(old.pk)).status_code == 404  # superseded: no page of its own


# Another customer's arrangement ---------------------------------------------------------


@pytest.mark.parametrize("method", ["detail", "stop_page", "stop_post"])
def test_another_customers_arrangement_is_not_found_and_unchanged(
        client_app, logged_in, customers, method, django_capture_on_commit_callbacks):
    johns = tokens_for(client_app, username="john.citizen")
    arrangement = Arrangement.objects.get(cdr_arrangement_id=johns["cdr_arrangement_id"])
    browser = logged_in("jane.citizen")
    token = _csrf(browser.get(HOME))
    with (mock.patch("security.oauth.tokens.arrangement_revocation_notify") as notify,
          django_capture_on_commit_callbacks(execute=True)):
        if method == "detail":
            response = browser.get(detail_url(arrangement.pk))
        elif method == "stop_page":
            response = browser.get(stop_url(arrangement.pk))
        else:
            response = browser.post(stop_url(arrangement.pk),
                                    {"csrfmiddlewaretoken": token, "confirm": "stop-sharing"})
    assert response.status_code == 404
    _assert_hardened(response)
    assert main_text(response) == "Log out We couldn't find that Go to your data sharing"
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.ACTIVE
    assert notify.delay.call_count == 0
    assert accounts_call(johns["access_token"]).status_code == 200


# Stopping -------------------------------------------------------------------------------


def _csrf(response: Any) -> str:
    return response.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]


def test_stop_page_explains_and_changes_nothing(client_app, logged_in, customers):
    body = tokens_for(client_app)
    arrangement = Arrangement.objects.get(cdr_arrangement_id=body["cdr_arrangement_id"])
    product, recipient = _names(client_app)
    response = logged_in().get(stop_url(arrangement.pk))
    assert response.status_code == 200
    _assert_hardened(response)
    assert main_text(response) == (
        f"Log out Stop sharing with {product}? {product} ({recipient}) will no longer be able "
        "to collect your data from Demo Bank. We will tell them that you stopped sharing. "
        f"This does not delete data they have already collected. Contact {recipient} to find "
        "out what happens to it, or to ask them to delete it. If you want to share again "
        f"later, you will need to start from {product}. You are sharing "
        "Account name, type and balance Transaction details Name Stop sharing "
        "Keep sharing and go back"
    )
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.ACTIVE


def test_stop_without_the_confirmation_changes_nothing(client_app, logged_in, customers):
    body = tokens_for(client_app)
    arrangement = Arrangement.objects.get(cdr_arrangement_id=body["cdr_arrangement_id"])
    browser = logged_in()
    token = _csrf(browser.get(stop_url(arrangement.pk)))
    response = browser.post(stop_url(arrangement.pk), {"csrfmiddlewaretoken": token})
    assert response.status_code == 200  # the confirmation page again
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.ACTIVE
    assert accounts_call(body["access_token"]).status_code == 200


def test_stop_without_csrf_token_is_refused(client_app, logged_in, customers):
    body = tokens_for(client_app)
    arrangement = Arrangement.objects.get(cdr_arrangement_id=body["cdr_arrangement_id"])
    browser = logged_in()
    response = browser.post(stop_url(arrangement.pk), {"confirm": "stop-sharing"})
    assert response.status_code == 403
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.ACTIVE
    assert accounts_call(body["access_token"]).status_code == 200


def test_stop_sharing_revokes_tokens_notifies_the_recipient_and_audits(
        client_app, logged_in, customers, django_capture_on_commit_callbacks):
    body = tokens_for(client_app)
    arrangement = Arrangement.objects.get(cdr_arrangement_id=body["cdr_arrangement_id"])
    assert accounts_call(body["access_token"]).status_code == 200
    product, _ = _names(client_app)
    browser = logged_in()
    token = _csrf(browser.get(stop_url(arrangement.pk)))

    with (mock.patch("security.oauth.tokens.arrangement_revocation_notify") as notify,
          django_capture_on_commit_callbacks(execute=True)):
        response = browser.post(stop_url(arrangement.pk),
                                {"csrfmiddlewaretoken": token, "confirm": "stop-sharing"})

    assert response.status_code == 303 and response["Location"] == HOME
    notify.delay.assert_called_once_with(arrangement.pk)
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.REVOKED and arrangement.revoked_at
    assert_cdr_error(accounts_call(body["access_token"]), 401, "GeneralError/Expected")
    event = AuditEvent.objects.get(event_type=ARRANGEMENT_REVOKED, subject_id=str(arrangement.pk))
    assert (event.actor_type, event.actor_id) == (ActorType.CUSTOMER, str(arrangement.customer_id))
    page = browser.get(HOME)
    assert f"You have stopped sharing your data with {product}." in main_text(page)
    [block] = sharing_blocks(page)
    assert "Status Stopped" in block
    # Once stopped there is nothing left to confirm: the stop page sends the customer back.
    assert browser.get(stop_url(arrangement.pk))["Location"] == detail_url(arrangement.pk)
    assert "Stop sharing with" not in main_text(browser.get(detail_url(arrangement.pk)))


def test_stop_needs_post(client_app, logged_in, customers):
    body = tokens_for(client_app)
    arrangement = Arrangement.objects.get(cdr_arrangement_id=body["cdr_arrangement_id"])
    response = logged_in().get(stop_url(arrangement.pk) + "?confirm=stop-sharing")
    assert response.status_code == 200
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.ACTIVE


def test_last_used_is_shown_once_the_recipient_calls(client_app, logged_in, customers,
                                                     django_capture_on_commit_callbacks):
    body = tokens_for(client_app)
    with django_capture_on_commit_callbacks(execute=True):
        assert accounts_call(body["access_token"]).status_code == 200
    arrangement = Arrangement.objects.get(cdr_arrangement_id=body["cdr_arrangement_id"])
    assert arrangement.last_used_at is not None
    used = dateformat.format(timezone.localtime(arrangement.last_used_at), "j F Y, g:i a")
    [block] = sharing_blocks(logged_in().get(HOME))
    assert block.endswith(f"Last used {used}")
