"""The consent pages end to end inside Django: login, code, accounts, confirm, decline,
amend, once-off, expiry, and what each leaves in the database and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account
from security.consent.models import Arrangement
from security.models import AuditEvent
from security.oauth.models import AuthorizationRequest, GrantContext
from security.oauth.selectors import authorization_abandonments_by_stage
from tests.consent.conftest import JANE_EMAIL, PASSWORD, Browser, log_in, url
from tests.oauth.flow_helpers import jarm_claims

pytestmark = pytest.mark.django_db

Stage = AuthorizationRequest.Stage


def _open_accounts(user):
    return list(Account.objects.filter(account_holders__customer=user.customer,
                                       open_status="OPEN").order_by("pk"))


def _stage(handle):
    return AuthorizationRequest.objects.get(handle=handle).stage


def test_the_whole_flow_issues_a_code_for_exactly_what_was_chosen(start, jane, outbox, client_app):
    handle = start(state="state-1")
    browser = Browser()
    assert _stage(handle) == Stage.IDENTIFICATION
    response = log_in(browser, handle, outbox)
    assert response.status_code == 303 and response["Location"] == url(handle, "accounts")
    assert _stage(handle) == Stage.ACCOUNT_SELECTION

    chosen = [a.pk for a in _open_accounts(jane)[:2]]
    response = browser.submit(url(handle, "accounts"), {"accounts": chosen})
    assert response.status_code == 303 and response["Location"] == url(handle, "confirm")
    assert _stage(handle) == Stage.AUTHORISATION

    response = browser.submit(url(handle, "confirm"), {"action": "authorise"})
    assert response.status_code == 303
    assert response["Cache-Control"] == "no-store"
    claims = jarm_claims(response["Location"], client_app)
    assert claims["state"] == "state-1" and claims["code"]
    context = GrantContext.objects.get(authorization_request__handle=handle)
    assert context.acr == "urn:cds.au:cdr:3"
    assert abs((timezone.now() - context.auth_time).total_seconds()) < 30
    arrangement = context.arrangement
    assert arrangement.customer_id == jane.customer_id and arrangement.user_id == jane.pk
    assert sorted(arrangement.accounts.values_list("pk", flat=True)) == chosen
    assert _stage(handle) == Stage.CODE_ISSUED
    # The page is spent: a second visit says so and redirects nowhere.
    again = browser.get(url(handle, "confirm"))
    assert again.status_code == 410
    assert b"This request has expired" not in again.content
    assert b"not available" in again.content


def test_pages_refuse_to_skip_steps(start, jane, outbox):
    handle = start()
    browser = Browser()
    for step in ("code", "accounts", "confirm"):
        response = browser.get(url(handle, step))
        assert response.status_code == 303 and response["Location"] == url(handle)
    browser.submit(url(handle), {"customer_id": "jane.citizen", "password": PASSWORD})
    for step in ("accounts", "confirm"):
        response = browser.get(url(handle, step))
        assert response["Location"] == url(handle, "code"), "the code is not optional"


def test_a_login_for_one_authorization_does_not_open_another(start, jane, outbox):
    first, second = start(), start()
    browser = Browser()
    log_in(browser, first, outbox)
    response = browser.get(url(second, "confirm"))
    assert response.status_code == 303 and response["Location"] == url(second)


def test_the_code_sent_for_one_flow_does_not_complete_another(start, jane, outbox):
    first, second = start(), start()
    browser = Browser()
    browser.submit(url(first), {"customer_id": "jane.citizen", "password": PASSWORD})
    first_code = outbox.last_code(JANE_EMAIL)
    browser.submit(url(second), {"customer_id": "jane.citizen", "password": PASSWORD})
    second_code = outbox.last_code(JANE_EMAIL)
    if first_code == second_code:  # one in a million: nothing to prove with equal codes
        pytest.skip("the two random codes happen to be equal")
    response = browser.submit(url(second, "code"), {"code": first_code, "action": "verify"})
    assert response.status_code == 200
    assert b"That code is incorrect" in response.content


def test_decline_at_confirm_ends_in_access_denied(start, jane, outbox, client_app):
    handle = start(state="declined")
    browser = Browser()
    log_in(browser, handle, outbox)
    browser.submit(url(handle, "accounts"), {"accounts": [_open_accounts(jane)[0].pk]})
    response = browser.submit(url(handle, "confirm"), {"action": "deny"})
    claims = jarm_claims(response["Location"], client_app)
    assert claims["error"] == "access_denied" and claims["state"] == "declined"
    assert "code" not in claims
    assert not Arrangement.objects.filter(customer=jane.customer).exists()
    assert _stage(handle) == Stage.REJECTED
    event = AuditEvent.objects.get(event_type="AUTHORIZATION_DECLINED")
    assert event.actor_type == "customer" and event.actor_id == str(jane.customer_id)


def test_cancel_before_login_ends_in_access_denied(start, jane, client_app):
    handle = start()
    browser = Browser()
    page = browser.get(url(handle))
    token = page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = browser.post(url(handle, "cancel"), {"csrfmiddlewaretoken": token})
    assert jarm_claims(response["Location"], client_app)["error"] == "access_denied"
    event = AuditEvent.objects.get(event_type="AUTHORIZATION_DECLINED")
    assert event.actor_type == "anonymous"
    assert browser.get(url(handle, "cancel")).status_code == 405


def test_only_banking_requests_ask_for_accounts(start, jane, outbox, client_app):
    handle = start(scope="openid common:customer.basic:read")
    browser = Browser()
    response = log_in(browser, handle, outbox)
    assert response["Location"] == url(handle, "confirm")
    page = browser.get(url(handle, "confirm"))
    assert b"Name and occupation" in page.content and b"From these accounts" not in page.content
    response = browser.submit(url(handle, "confirm"), {"action": "authorise"})
    assert "code" in jarm_claims(response["Location"], client_app)


def test_confirm_page_speaks_the_data_language(start, jane, outbox):
    handle = start(scope="openid profile bank:accounts.basic:read bank:accounts.detail:read "
                         "bank:transactions:read common:customer.basic:read")
    browser = Browser()
    log_in(browser, handle, outbox)
    browser.submit(url(handle, "accounts"), {"accounts": [_open_accounts(jane)[0].pk]})
    page = browser.get(url(handle, "confirm")).content.decode()
    for text in ("Account balance and details", "Account number", "Transaction details",
                 "Name and occupation", "Budget Buddy Pty Ltd", "Until "):
        assert text in page
    assert "bank:accounts" not in page, "scope IDs are not the customer's language"
    assert "<strong>Name</strong>" not in page, "profile is covered by Name and occupation"


def test_once_off_consent_says_so_plainly(start, jane, outbox):
    claims = {"sharing_duration": 0,
              "id_token": {"acr": {"essential": True, "values": ["urn:cds.au:cdr:3"]}}}
    handle = start(claims=claims)
    browser = Browser()
    log_in(browser, handle, outbox)
    browser.submit(url(handle, "accounts"), {"accounts": [_open_accounts(jane)[0].pk]})
    page = browser.get(url(handle, "confirm")).content.decode()
    assert "Once only" in page and "will not have ongoing access" in page
    assert "Until " not in page


def test_amendment_shows_what_is_shared_and_what_changes(start, jane, outbox, client_app):
    accounts = _open_accounts(jane)
    existing = Arrangement.objects.create(
        customer=jane.customer, user=jane, software_product=client_app.registration.software_product,
        scope="openid bank:accounts.basic:read bank:transactions:read",
        sharing_expires_at=timezone.now() + timedelta(days=30))
    existing.accounts.set(accounts[:2])
    claims = {"sharing_duration": 86_400 * 180, "cdr_arrangement_id": existing.cdr_arrangement_id,
              "id_token": {"acr": {"essential": True, "values": ["urn:cds.au:cdr:3"]}}}
    handle = start(claims=claims, scope="openid bank:accounts.basic:read bank:accounts.detail:read")
    browser = Browser()
    log_in(browser, handle, outbox)
    page = browser.get(url(handle, "accounts")).content.decode()
    for account in accounts[:2]:
        assert f'value="{account.pk}" id="id_accounts_' in page
        assert f'value="{account.pk}" id="id_accounts_{accounts.index(account)}" checked' in page
    # Keep the first, drop the second, add the third.
    browser.submit(url(handle, "accounts"), {"accounts": [accounts[0].pk, accounts[2].pk]})
    page = browser.get(url(handle, "confirm")).content.decode()
    changes = page.split('id="changes"')[1].split('id="data"')[0]
    assert "You will start sharing" in changes and "Account numbers and features" in changes
    assert "You will stop sharing" in changes and "Transaction details" in changes
    assert "Account name, type and balance" in changes.split("will keep sharing")[1]
    assert accounts[2].display_name in changes.split("Accounts added")[1]
    assert accounts[1].display_name in changes.split("stop sharing</h3><ul>")[-1]
    response = browser.submit(url(handle, "confirm"), {"action": "authorise"})
    assert "code" in jarm_claims(response["Location"], client_app)


def test_amending_someone_elses_arrangement_looks_like_a_new_consent(start, jane, outbox, client_app):
    from accounts.models import User
    john = User.objects.get(username="john.citizen")
    theirs = Arrangement.objects.create(
        customer=john.customer, user=john, software_product=client_app.registration.software_product,
        scope="openid bank:accounts.basic:read", sharing_expires_at=timezone.now() + timedelta(days=30))
    claims = {"sharing_duration": 86_400, "cdr_arrangement_id": theirs.cdr_arrangement_id}
    handle = start(claims=claims)
    browser = Browser()
    log_in(browser, handle, outbox)
    browser.submit(url(handle, "accounts"), {"accounts": [_open_accounts(jane)[0].pk]})
    page = browser.get(url(handle, "confirm")).content.decode()
    assert "What changes" not in page
    response = browser.submit(url(handle, "confirm"), {"action": "authorise"})
    assert jarm_claims(response["Location"], client_app)["error"] == "access_denied"


def test_a_tampered_account_choice_is_refused_and_changes_nothing(start, jane, outbox):
    from accounts.models import User
    john_only = Account.objects.filter(
        account_holders__customer=User.objects.get(username="priya.sharma").customer
    ).exclude(account_holders__customer=jane.customer).first()
    assert john_only is not None
    handle = start()
    browser = Browser()
    log_in(browser, handle, outbox)
    for value in ([john_only.pk], [_open_accounts(jane)[0].pk, john_only.pk], ["1 OR 1=1"], []):
        response = browser.submit(url(handle, "accounts"), {"accounts": value})
        assert response.status_code == 200
        assert b'role="alert"' in response.content
        assert browser.get(url(handle, "confirm"))["Location"] == url(handle, "accounts")
    assert _stage(handle) == Stage.ACCOUNT_SELECTION


def test_closed_accounts_are_not_offered(start, jane, outbox):
    closed = _open_accounts(jane)[0]
    Account.objects.filter(pk=closed.pk).update(open_status="CLOSED")
    handle = start()
    browser = Browser()
    log_in(browser, handle, outbox)
    page = browser.get(url(handle, "accounts")).content.decode()
    assert f'value="{closed.pk}"' not in page
    response = browser.submit(url(handle, "accounts"), {"accounts": [closed.pk]})
    assert response.status_code == 200 and b'role="alert"' in response.content


def test_an_account_closed_after_selection_sends_the_customer_back(start, jane, outbox):
    account = _open_accounts(jane)[0]
    handle = start()
    browser = Browser()
    log_in(browser, handle, outbox)
    browser.submit(url(handle, "accounts"), {"accounts": [account.pk]})
    Account.objects.filter(pk=account.pk).update(open_status="CLOSED")
    response = browser.submit(url(handle, "confirm"), {"action": "authorise"})
    assert response.status_code == 200 and b"Something changed" in response.content
    assert AuthorizationRequest.objects.get(handle=handle).status == "PENDING"
    assert browser.get(url(handle, "confirm"))["Location"] == url(handle, "accounts")


def test_expired_and_unknown_handles_show_a_page_and_redirect_nowhere(start, jane):
    handle = start()
    AuthorizationRequest.objects.filter(handle=handle).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    response = Browser().get(url(handle))
    assert response.status_code == 410 and b"This request has expired" in response.content
    assert b"<title>This request has expired" not in response.content
    assert b"Request not available \xc2\xb7 Demo Bank</title>" in response.content
    assert "Location" not in response
    for bad in ("A" * 43, "short", "%3Cscript%3E" + "a" * 30):
        response = Browser().get(url(bad))
        assert response.status_code == 404 and b"not available" in response.content
        assert b"<script" not in response.content


def test_abandoned_flows_are_counted_at_the_stage_they_reached(start, jane, outbox, client_app):
    stages = {}
    stages["identification"] = start()
    stages["authentication"] = start()
    Browser().submit(url(stages["authentication"]),
                     {"customer_id": "jane.citizen", "password": PASSWORD})
    stages["accounts"] = start()
    log_in(Browser(), stages["accounts"], outbox)
    stages["authorisation"] = start()
    browser = Browser()
    log_in(browser, stages["authorisation"], outbox)
    browser.submit(url(stages["authorisation"], "accounts"), {"accounts": [_open_accounts(jane)[0].pk]})
    stages["rejected"] = start()
    browser = Browser()
    log_in(browser, stages["rejected"], outbox)
    browser.submit(url(stages["rejected"], "accounts"), {"accounts": [_open_accounts(jane)[0].pk]})
    browser.submit(url(stages["rejected"], "confirm"), {"action": "deny"})
    stages["code"] = start()
    browser = Browser()
    log_in(browser, stages["code"], outbox)
    browser.submit(url(stages["code"], "accounts"), {"accounts": [_open_accounts(jane)[0].pk]})
    browser.submit(url(stages["code"], "confirm"), {"action": "authorise"})
    in_progress = start()
    assert in_progress

    since, until = timezone.now() - timedelta(hours=1), timezone.now() + timedelta(hours=1)
    assert set(authorization_abandonments_by_stage(since=since, until=until).values()) == {0, 1}
    # Time passes: the pending flows expire, the code can no longer be redeemed.
    later = timezone.now() + timedelta(minutes=11)
    counts = authorization_abandonments_by_stage(since=since, until=until, now=later)
    assert counts == {"preIdentification": 2, "preAuthentication": 1, "preAccountSelection": 1,
                      "preAuthorisation": 1, "rejected": 1, "failedTokenExchange": 1}
