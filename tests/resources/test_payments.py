"""Direct debits, scheduled payments and instalment plans: every endpoint and version.

| Operation | Path | Versions |
|---|---|---|
| listDirectDebitsBulk | GET accounts/direct-debits | 1 (obsolete page), 2 |
| listDirectDebitsSpecificAccounts | POST accounts/direct-debits | 1 |
| listDirectDebits | GET accounts/{accountId}/direct-debits | 1 |
| listScheduledPaymentsBulk | GET payments/scheduled | 2 (obsolete page), 3 |
| listScheduledPaymentsSpecificAccounts | POST payments/scheduled | 2 |
| listScheduledPayments | GET accounts/{accountId}/payments/scheduled | 2 |
| listInstalmentPlansBulk | GET accounts/payments/plans | 1 |
| listInstalmentPlans | GET accounts/{accountId}/payments/plans | 1 |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import Account
from security import scopes as s
from security.consent.models import ArrangementStatus
from security.context import AccessContext
from security.resource_ids import ResourceIds, ResourceKind
from tests.cdr_schema import assert_cdr_response
from tests.conftest import assert_cdr_error
from tests.decrypted import get_decrypted, set_fields
from transactions import payment_selectors as ps
from transactions.models import (
    DirectDebit,
    InstalmentPlan,
    InstalmentPlanSchedule,
    Payee,
    ScheduledPayment,
    ScheduledPaymentSet,
)

BANKING = "urn:au-cds:error:cds-banking:"
INVALID_ACCOUNT = BANKING + "Authorisation/InvalidBankingAccount"
BASE = "https://bank.example.test/cds-au/v1/"
DEBITS = "banking/accounts/direct-debits"
SCHEDULED = "banking/payments/scheduled"
PLANS = "banking/accounts/payments/plans"


def _account_debits(account_id: str) -> str:
    return f"banking/accounts/{account_id}/direct-debits"


def _account_scheduled(account_id: str) -> str:
    return f"banking/accounts/{account_id}/payments/scheduled"


def _account_plans(account_id: str) -> str:
    return f"banking/accounts/{account_id}/payments/plans"


def _body(*account_ids: str) -> dict[str, Any]:
    return {"data": {"accountIds": list(account_ids)}, "meta": {}}


def _decode_all(g, kind: ResourceKind, ids: list[str]) -> list[int | None]:
    return [g.ids.decode(kind, public) for public in ids]


# Direct debits ---------------------------------------------------------------------------
def _debit_pks(g, body: dict[str, Any]) -> list[int | None]:
    """The internal key of each row's account, decoded from its accountId."""
    return [g.ids.decode(ResourceKind.ACCOUNT, d["accountId"])
            for d in body["data"]["directDebitAuthorisations"]]


def _debit_names(body: dict[str, Any]) -> list[str]:
    return [d["authorisedEntity"]["description"] for d in body["data"]["directDebitAuthorisations"]]


@pytest.mark.parametrize("version", [1, 2])
def test_bulk_direct_debits_cover_every_shared_account(bank, grant, cdr, version):
    g = grant("jane.citizen")
    response = cdr("get", DEBITS, g, x_v=str(version))
    body = assert_cdr_response(response, "listDirectDebitsBulk", version=version)
    everyday = bank.account("jane.citizen", "Everyday Account")
    household = bank.account("jane.citizen", "Citizen Household")
    expected = list(DirectDebit.objects.filter(account__in=[everyday, household]).order_by("account_id", "id"))
    assert len(expected) == 3
    assert _debit_pks(g, body) == [d.account_id for d in expected]
    assert _debit_names(body) == [d.authorised_entity_description for d in expected]
    assert body["meta"] == {"totalRecords": 3, "totalPages": 1}
    assert body["links"] == {"self": BASE + DEBITS, "first": BASE + DEBITS + "?page=1&page-size=25",
                             "last": BASE + DEBITS + "?page=1&page-size=25"}


def test_direct_debit_body_is_exact(bank, grant, cdr):
    household = bank.account("jane.citizen", "Citizen Household")
    debit = DirectDebit.objects.get(account=household)
    g = grant("jane.citizen", accounts=[household])
    body = assert_cdr_response(cdr("get", DEBITS, g, x_v="2"), "listDirectDebitsBulk", version=2)
    assert body["data"]["directDebitAuthorisations"] == [{
        "accountId": g.account_id(household),
        "authorisedEntity": {"description": "AGL ENERGY", "financialInstitution": "NAB",
                             "abn": "74115061375"},
        "lastDebitDateTime": debit.last_debit_date_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lastDebitAmount": f"{debit.last_debit_amount:.2f}",
    }]


def test_direct_debit_with_only_an_institution_and_no_last_debit(bank, grant, cdr):
    saver = bank.account("jane.citizen", "Bonus Saver")
    DirectDebit.objects.create(account=saver, authorised_entity_financial_institution="Bendigo Bank",
                               authorised_entity_acn="004052478", authorised_entity_arbn="")
    g = grant("jane.citizen", accounts=[saver])
    body = assert_cdr_response(cdr("get", DEBITS, g, x_v="2"), "listDirectDebitsBulk")
    assert body["data"]["directDebitAuthorisations"] == [{
        "accountId": g.account_id(saver),
        "authorisedEntity": {"financialInstitution": "Bendigo Bank", "acn": "004052478"},
    }]


def test_bulk_direct_debits_only_for_shared_accounts(bank, grant, cdr):
    everyday = bank.account("jane.citizen", "Everyday Account")
    g = grant("jane.citizen", accounts=[everyday])
    body = assert_cdr_response(cdr("get", DEBITS, g, x_v="2"), "listDirectDebitsBulk")
    assert _debit_names(body) == ["NETFLIX.COM", "ANYTIME FITNESS"]
    assert set(_debit_pks(g, body)) == {everyday.pk}
    nothing = grant("jane.citizen", accounts=[bank.account("jane.citizen", "Term Deposit 12 months")])
    assert cdr("get", DEBITS, nothing, x_v="2").json()["data"] == {"directDebitAuthorisations": []}


def test_joint_account_direct_debits_appear_for_each_holder_with_their_own_ids(bank, grant, cdr):
    household = bank.account("jane.citizen", "Citizen Household")
    jane = grant("jane.citizen", accounts=[household])
    john = grant("john.citizen", accounts=[household])
    jane_rows = cdr("get", DEBITS, jane, x_v="2").json()["data"]["directDebitAuthorisations"]
    john_rows = cdr("get", DEBITS, john, x_v="2").json()["data"]["directDebitAuthorisations"]
    assert [r["authorisedEntity"] for r in jane_rows] == [r["authorisedEntity"] for r in john_rows]
    assert jane_rows[0]["accountId"] != john_rows[0]["accountId"]
    assert john.ids.decode(ResourceKind.ACCOUNT, john_rows[0]["accountId"]) == household.pk


def _shape_filters(bank) -> None:
    """Jane's everyday account closed; the household account not owned by her."""
    everyday = bank.account("jane.citizen", "Everyday Account")
    Account.objects.filter(pk=everyday.pk).update(open_status="CLOSED")
    household = bank.account("jane.citizen", "Citizen Household")
    household.account_holders.filter(customer=bank.customer("jane.citizen")).update(is_owner=False)


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["AGL ENERGY", "NETFLIX.COM", "ANYTIME FITNESS"]),
        ({"open-status": "ALL"}, ["AGL ENERGY", "NETFLIX.COM", "ANYTIME FITNESS"]),
        ({"open-status": "CLOSED"}, ["NETFLIX.COM", "ANYTIME FITNESS"]),
        ({"open-status": "OPEN"}, ["AGL ENERGY"]),
        ({"is-owned": "false"}, ["AGL ENERGY"]),
        ({"is-owned": "true"}, ["NETFLIX.COM", "ANYTIME FITNESS"]),
        ({"product-category": "TRANS_AND_SAVINGS_ACCOUNTS"}, ["AGL ENERGY", "NETFLIX.COM", "ANYTIME FITNESS"]),
        ({"product-category": "RESIDENTIAL_MORTGAGES"}, []),
        ({"product-category": "TRANS_AND_SAVINGS_ACCOUNTS", "is-owned": "true", "open-status": "OPEN"}, []),
    ],
)
def test_bulk_direct_debits_account_filters(bank, grant, cdr, version, query, expected):
    _shape_filters(bank)
    g = grant("jane.citizen")
    body = assert_cdr_response(cdr("get", DEBITS, g, x_v=str(version), query=query),
                               "listDirectDebitsBulk", version=version)
    assert _debit_names(body) == expected


def test_bulk_direct_debits_bnpl_category_by_version(bank, grant, cdr):
    bnpl = bank.account("john.citizen", "Pay Later")
    DirectDebit.objects.create(account=bnpl, authorised_entity_description="GYM",
                               authorised_entity_financial_institution="ANZ")
    g = grant("john.citizen")
    # v1 (BankingProductCategory) has no BUY_NOW_PAY_LATER; pay-later accounts count as cards.
    assert_cdr_error(cdr("get", DEBITS, g, x_v="1", query={"product-category": "BUY_NOW_PAY_LATER"}),
                     400, "Field/Invalid", "product-category")
    v1_cards = assert_cdr_response(cdr("get", DEBITS, g, x_v="1", query={"product-category": "CRED_AND_CHRG_CARDS"}),
                                   "listDirectDebitsBulk", version=1)
    assert _debit_names(v1_cards) == ["GYM"]
    v2_bnpl = assert_cdr_response(cdr("get", DEBITS, g, x_v="2", query={"product-category": "BUY_NOW_PAY_LATER"}),
                                  "listDirectDebitsBulk", version=2)
    assert _debit_names(v2_bnpl) == ["GYM"]
    v2_cards = cdr("get", DEBITS, g, x_v="2", query={"product-category": "CRED_AND_CHRG_CARDS"}).json()
    assert _debit_names(v2_cards) == []


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"product-category": "SAVINGS"}, "product-category"),
        ({"open-status": "open"}, "open-status"),
        ({"is-owned": "yes"}, "is-owned"),
        ({"plan-status": "ACTIVE"}, "plan-status"),
        ({"accountId": "x"}, "accountId"),
        ({"page": "-1"}, "page"),
    ],
)
def test_bulk_direct_debits_reject_bad_or_unknown_parameters(grant, cdr, version, query, field):
    response = cdr("get", DEBITS, grant("jane.citizen"), x_v=version, query=query)
    assert_cdr_error(response, 400, "Field/Invalid", field)
    assert_cdr_response(response, "listDirectDebitsBulk")


def test_bulk_direct_debits_pagination_edges(bank, grant, cdr):
    g = grant("jane.citizen")
    everything = cdr("get", DEBITS, g, x_v="2").json()["data"]["directDebitAuthorisations"]
    page2 = assert_cdr_response(cdr("get", DEBITS, g, x_v="2", query={"page": "2", "page-size": "1"}),
                                "listDirectDebitsBulk", version=2)
    assert page2["data"]["directDebitAuthorisations"] == everything[1:2]
    assert page2["meta"] == {"totalRecords": 3, "totalPages": 3}
    assert page2["links"] == {
        "self": BASE + DEBITS + "?page=2&page-size=1",
        "first": BASE + DEBITS + "?page=1&page-size=1",
        "prev": BASE + DEBITS + "?page=1&page-size=1",
        "next": BASE + DEBITS + "?page=3&page-size=1",
        "last": BASE + DEBITS + "?page=3&page-size=1",
    }
    last = cdr("get", DEBITS, g, x_v="1", query={"page": "3", "page-size": "1"}).json()
    assert last["data"]["directDebitAuthorisations"] == everything[2:]
    assert set(last["links"]) == {"self", "first", "prev", "last"}
    assert_cdr_error(cdr("get", DEBITS, g, x_v="2", query={"page": "4", "page-size": "1"}),
                     422, "Field/InvalidPage", "3")
    assert_cdr_error(cdr("get", DEBITS, g, x_v="2", query={"page-size": "1001"}), 400, "Field/InvalidPageSize")


def test_direct_debits_for_specific_accounts(bank, grant, cdr):
    everyday = bank.account("jane.citizen", "Everyday Account")
    household = bank.account("jane.citizen", "Citizen Household")
    g = grant("jane.citizen")
    response = cdr("post", DEBITS, g, x_v="1", data=_body(g.account_id(everyday)))
    body = assert_cdr_response(response, "listDirectDebitsSpecificAccounts", version=1)
    assert _debit_names(body) == ["NETFLIX.COM", "ANYTIME FITNESS"]
    assert set(_debit_pks(g, body)) == {everyday.pk}
    both = cdr("post", DEBITS, g, x_v="1",
               data=_body(g.account_id(household), g.account_id(everyday), g.account_id(everyday))).json()
    assert sorted(_debit_names(both)) == ["AGL ENERGY", "ANYTIME FITNESS", "NETFLIX.COM"]
    assert both["meta"] == {"totalRecords": 3, "totalPages": 1}
    paged = assert_cdr_response(cdr("post", DEBITS, g, x_v="1", data=_body(g.account_id(everyday)),
                                    query={"page": "2", "page-size": "1"}),
                                "listDirectDebitsSpecificAccounts")
    assert _debit_names(paged) == ["ANYTIME FITNESS"]
    assert paged["links"]["prev"] == BASE + DEBITS + "?page=1&page-size=1"


def _unreachable_account_id(bank, g, case: str, *, owner: str = "jane.citizen") -> str:
    shared_pks = set(g.arrangement.accounts.values_list("pk", flat=True))
    not_shared = next(a for a in bank.accounts(owner) if a.pk not in shared_pks)
    priya = bank.account("priya.sharma", "Everyday Account")
    priya_ids = ResourceIds(customer_key=str(bank.customer("priya.sharma").pk),
                            software_product_id=g.product.software_product_id)
    return {
        "not_shared": g.account_id(not_shared),
        "other_customer": g.ids.encode(ResourceKind.ACCOUNT, priya.pk),
        "other_customers_own_id": priya_ids.encode(ResourceKind.ACCOUNT, priya.pk),
        "nonexistent": g.ids.encode(ResourceKind.ACCOUNT, 10_000_000),
        "forged": "Q" * 32,
        "garbage": "everyday",
        "other_kind": g.ids.encode(ResourceKind.SCHEDULED_PAYMENT, not_shared.pk),
    }[case]


UNREACHABLE = ["not_shared", "other_customer", "other_customers_own_id", "nonexistent", "forged",
               "garbage", "other_kind"]


@pytest.mark.parametrize("case", UNREACHABLE)
@pytest.mark.parametrize(("path", "version", "operation"), [
    (DEBITS, "1", "listDirectDebitsSpecificAccounts"),
    (SCHEDULED, "2", "listScheduledPaymentsSpecificAccounts"),
])
def test_specific_accounts_refuse_any_unreachable_id_with_422(bank, grant, cdr, case, path, version, operation):
    everyday = bank.account("jane.citizen", "Everyday Account")
    g = grant("jane.citizen", accounts=[everyday])
    bad = _unreachable_account_id(bank, g, case)
    response = cdr("post", path, g, x_v=version, data=_body(g.account_id(everyday), bad))
    assert_cdr_error(response, 422, INVALID_ACCOUNT, bad if len(bad) == 32 else "accountIds")
    assert_cdr_response(response, operation)


@pytest.mark.parametrize(
    ("body", "status", "code", "detail"),
    [
        ({}, 400, "Field/Missing", "data"),
        ({"meta": {}}, 400, "Field/Missing", "data"),
        ({"data": {}}, 400, "Field/Missing", "data.accountIds"),
        ({"data": {"accountIds": "abc"}}, 400, "Field/Invalid", "data.accountIds"),
        ({"data": {"accountIds": {"id": "abc"}}}, 400, "Field/Invalid", "data.accountIds"),
        ({"data": {"accountIds": []}}, 400, "Field/Invalid", "data.accountIds"),
        ({"data": {"accountIds": [None]}}, 400, "Field/Invalid", "data.accountIds"),
        ({"data": {"accountIds": ["x"], "productCategory": "X"}}, 400, "Field/Invalid", "data.productCategory"),
        ({"data": {"accountIds": ["x"]}, "extra": 1}, 400, "Field/Invalid", "extra"),
        ({"data": "x"}, 400, "Field/Invalid", "data"),
        ("[1, 2", 400, "Field/Invalid", None),
    ],
)
@pytest.mark.parametrize(("path", "version"), [(DEBITS, "1"), (SCHEDULED, "2")])
def test_specific_accounts_validate_the_body(grant, cdr, path, version, body, status, code, detail):
    g = grant("jane.citizen")
    assert_cdr_error(cdr("post", path, g, x_v=version, data=body), status, code, detail)


@pytest.mark.parametrize(("path", "post_version", "get_only_version"), [(DEBITS, "1", "2"), (SCHEDULED, "2", "3")])
def test_specific_accounts_versions_and_no_filters(bank, grant, cdr, path, post_version, get_only_version):
    everyday = bank.account("jane.citizen", "Everyday Account")
    g = grant("jane.citizen")
    body = _body(g.account_id(everyday))
    # The newer version exists for GET only.
    assert_cdr_error(cdr("post", path, g, x_v=get_only_version, data=body), 406, "Header/UnsupportedVersion")
    response = cdr("post", path, g, x_v=get_only_version, x_min_v=post_version, data=body)
    assert response.status_code == 200 and response["x-v"] == post_version
    if post_version != "1":
        assert_cdr_error(cdr("post", path, g, x_v=str(int(post_version) - 1), data=body), 406,
                         "Header/UnsupportedVersion")
    # The account filters belong to the GET.
    assert_cdr_error(cdr("post", path, g, x_v=post_version, data=body, query={"open-status": "OPEN"}),
                     400, "Field/Invalid", "open-status")
    response = cdr("post", path, g, x_v=post_version, data="accountIds=x",
                   CONTENT_TYPE="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_direct_debits_for_one_account(bank, grant, cdr):
    everyday = bank.account("jane.citizen", "Everyday Account")
    g = grant("jane.citizen")
    response = cdr("get", _account_debits(g.account_id(everyday)), g, x_v="1")
    body = assert_cdr_response(response, "listDirectDebits", version=1)
    assert _debit_names(body) == ["NETFLIX.COM", "ANYTIME FITNESS"]
    assert set(_debit_pks(g, body)) == {everyday.pk}
    assert body["links"]["self"] == BASE + _account_debits(g.account_id(everyday))
    saver = bank.account("jane.citizen", "Bonus Saver")
    empty = assert_cdr_response(cdr("get", _account_debits(g.account_id(saver)), g, x_v="1"), "listDirectDebits")
    assert empty["data"] == {"directDebitAuthorisations": []}


@pytest.mark.parametrize("case", UNREACHABLE)
@pytest.mark.parametrize(("path", "version", "operation"), [
    (_account_debits, "1", "listDirectDebits"),
    (_account_scheduled, "2", "listScheduledPayments"),
    (_account_plans, "1", "listInstalmentPlans"),
])
def test_account_paths_answer_404_for_any_unreachable_account(bank, grant, cdr, case, path, version, operation):
    g = grant("jane.citizen", accounts=[bank.account("jane.citizen", "Everyday Account")])
    account_id = _unreachable_account_id(bank, g, case)
    response = cdr("get", path(account_id), g, x_v=version)
    assert_cdr_error(response, 404, INVALID_ACCOUNT, account_id if len(account_id) == 32 else "accountId")
    assert_cdr_response(response, operation)


# Scheduled payments ----------------------------------------------------------------------
def _payments(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body["data"]["scheduledPayments"]


def _by_nickname(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["nickname"]: p for p in _payments(body)}


@pytest.mark.parametrize("version", [2, 3])
def test_bulk_scheduled_payments_of_every_shared_source_account(bank, grant, cdr, version):
    g = grant("jane.citizen")
    body = assert_cdr_response(cdr("get", SCHEDULED, g, x_v=str(version)),
                               "listScheduledPaymentsBulk", version=version)
    everyday = bank.account("jane.citizen", "Everyday Account")
    expected = list(ScheduledPayment.objects.filter(from_account=everyday).order_by("id"))
    assert [p.nickname for p in expected] == ["Save monthly", "Old gym"]
    ids = [p["scheduledPaymentId"] for p in _payments(body)]
    assert _decode_all(g, ResourceKind.SCHEDULED_PAYMENT, ids) == [p.pk for p in expected]
    assert {p["from"]["accountId"] for p in _payments(body)} == {g.account_id(everyday)}
    assert body["meta"] == {"totalRecords": 2, "totalPages": 1}


def test_scheduled_payment_body_to_a_shared_account_is_exact(bank, grant, cdr):
    everyday = bank.account("jane.citizen", "Everyday Account")
    saver = bank.account("jane.citizen", "Bonus Saver")
    payment = get_decrypted(ScheduledPayment.objects.filter(from_account=everyday),
                          nickname="Save monthly")
    g = grant("jane.citizen", accounts=[everyday, saver])
    body = assert_cdr_response(cdr("get", SCHEDULED, g, x_v="3"), "listScheduledPaymentsBulk", version=3)
    assert _by_nickname(body)["Save monthly"] == {
        "scheduledPaymentId": g.id_for(ResourceKind.SCHEDULED_PAYMENT, payment.pk),
        "nickname": "Save monthly",
        "payerReference": "To saver",
        "payeeReference": "From everyday",
        "status": "ACTIVE",
        "from": {"accountId": g.account_id(everyday)},
        "paymentSet": [{
            "to": {"toUType": "accountId", "accountId": g.account_id(saver), "nickname": "Holiday fund"},
            "isAmountCalculated": False,
            "amount": "500.00",
            "currency": "AUD",
        }],
        "recurrence": {
            "nextPaymentDate": payment.next_payment_date.isoformat(),
            "recurrenceUType": "intervalSchedule",
            "intervalSchedule": {
                "finalPaymentDate": payment.final_payment_date.isoformat(),
                "nonBusinessDayTreatment": "AFTER",
                "intervals": [{"interval": "P1M", "dayInInterval": "P1D"}],
            },
        },
    }


def test_scheduled_payment_to_an_unshared_account_shows_it_as_a_domestic_payee(bank, grant, cdr):
    everyday = bank.account("priya.sharma", "Everyday Account")
    card = bank.account("priya.sharma", "Platinum Rewards Visa")
    g = grant("priya.sharma", accounts=[everyday])
    response = cdr("get", SCHEDULED, g, x_v="3")
    body = assert_cdr_response(response, "listScheduledPaymentsBulk", version=3)
    clear_card = _by_nickname(body)["Clear card"]
    assert clear_card["paymentSet"] == [{
        "to": {
            "toUType": "domestic",
            "nickname": "Platinum Rewards Visa",
            "domestic": {"payeeAccountUType": "account",
                         "account": {"bsb": card.bsb, "accountNumber": card.account_number}},
        },
        "isAmountCalculated": True,
        "currency": "AUD",
    }]
    assert clear_card["recurrence"] == {"recurrenceUType": "eventBased",
                                        "eventBased": {"description": "When the credit card statement is issued"}}
    # The unshared account's ID (as this recipient would know it) appears nowhere.
    assert g.account_id(card) not in response.content.decode()
    # Once shared, the same destination is named by its accountId.
    both = grant("priya.sharma", accounts=[everyday, card])
    to = _by_nickname(cdr("get", SCHEDULED, both, x_v="3").json())["Clear card"]["paymentSet"][0]["to"]
    assert to == {"toUType": "accountId", "accountId": both.account_id(card), "nickname": "Platinum Rewards Visa"}


def test_scheduled_payment_to_an_account_without_bsb_shows_a_masked_card(bank, grant, cdr):
    everyday = bank.account("priya.sharma", "Everyday Account")
    card = bank.account("priya.sharma", "Platinum Rewards Visa")
    set_fields(card, bsb="", account_number="4564 9876 5432 1098")
    g = grant("priya.sharma", accounts=[everyday])
    response = cdr("get", SCHEDULED, g, x_v="3")
    body = assert_cdr_response(response, "listScheduledPaymentsBulk", version=3)
    to = _by_nickname(body)["Clear card"]["paymentSet"][0]["to"]
    assert to["domestic"] == {"payeeAccountUType": "card", "card": {"cardNumber": "xxxx xxxx xxxx 1098"}}
    assert "9876" not in response.content.decode()


def test_scheduled_payment_to_a_payee_by_id_only_with_the_payees_scope(bank, grant, cdr):
    wallet = get_decrypted(Payee.objects.filter(customer=bank.customer("jane.citizen")),
                          nickname="PayPal")
    everyday = bank.account("jane.citizen", "Everyday Account")
    with_payees = grant("jane.citizen", accounts=[everyday])
    body = assert_cdr_response(cdr("get", SCHEDULED, with_payees, x_v="3"), "listScheduledPaymentsBulk")
    old_gym = _by_nickname(body)["Old gym"]
    payee_id = with_payees.id_for(ResourceKind.PAYEE, wallet.pk)
    assert old_gym["paymentSet"][0]["to"] == {"toUType": "payeeId", "payeeId": payee_id}
    assert old_gym["status"] == "INACTIVE"
    assert old_gym["payeeReference"] == ""  # "Empty string if no data provided"
    assert old_gym["recurrence"] == {"recurrenceUType": "intervalSchedule",
                                     "intervalSchedule": {"intervals": [{"interval": "P1W", "dayInInterval": "P2D"}]}}
    # The payeeId leads to the payee through Get Payee Detail with the same token.
    detail = cdr("get", f"banking/payees/{payee_id}", with_payees, x_v="2").json()["data"]
    assert detail["nickname"] == "PayPal"

    without = grant("jane.citizen", accounts=[everyday],
                    scopes=[s.BANK_REGULAR_PAYMENTS_READ, s.BANK_ACCOUNTS_BASIC_READ])
    response = cdr("get", SCHEDULED, without, x_v="3")
    body = assert_cdr_response(response, "listScheduledPaymentsBulk", version=3)
    assert _by_nickname(body)["Old gym"]["paymentSet"][0]["to"] == {
        "toUType": "digitalWallet",
        "nickname": "PayPal",
        "digitalWallet": {"name": "Jane Citizen", "identifier": "jane@example.com", "type": "EMAIL",
                          "provider": "PAYPAL_AU"},
    }
    assert without.id_for(ResourceKind.PAYEE, wallet.pk) not in response.content.decode()


def test_inline_payee_card_number_is_masked(bank, grant, cdr):
    everyday = bank.account("john.citizen", "Everyday Account")
    card_payee = get_decrypted(Payee.objects.filter(customer=bank.customer("john.citizen")),
                          nickname="Sam card")
    payment = ScheduledPayment.objects.create(
        from_account=everyday, nickname="Sam", payer_reference="Sam", recurrence_utype="onceOff",
        payment_date=date(2027, 1, 15))
    ScheduledPaymentSet.objects.create(scheduled_payment=payment, to_utype="payeeId", to_payee=card_payee,
                                       nickname="Sam's card", payee_reference="Rent", amount=Decimal("10"))
    g = grant("john.citizen", accounts=[everyday], scopes=[s.BANK_REGULAR_PAYMENTS_READ])
    response = cdr("get", SCHEDULED, g, x_v="3")
    body = assert_cdr_response(response, "listScheduledPaymentsBulk")
    sam = _by_nickname(body)["Sam"]
    assert sam["paymentSet"] == [{
        "to": {"toUType": "domestic", "nickname": "Sam's card", "payeeReference": "Rent",
               "domestic": {"payeeAccountUType": "card", "card": {"cardNumber": "xxxx xxxx xxxx 1234"}}},
        "isAmountCalculated": False, "amount": "10.00", "currency": "AUD",
    }]
    assert sam["recurrence"] == {"recurrenceUType": "onceOff", "onceOff": {"paymentDate": "2027-01-15"}}
    assert "payeeReference" in sam and sam["payeeReference"] == ""
    assert card_payee.domestic_card_number not in response.content.decode()


def test_joint_account_payment_to_the_other_holders_payee_and_account(bank, grant, cdr):
    """John set up payments from the joint account to his own payee and his own account.
    Jane sees the payment (its source is shared) but neither his payee's ID nor his
    account's ID; John, with both shared, sees both IDs."""
    household = bank.account("jane.citizen", "Citizen Household")
    john_everyday = bank.account("john.citizen", "Everyday Account")
    mum = get_decrypted(Payee.objects.filter(customer=bank.customer("john.citizen")),
                          nickname="Mum")
    payment = ScheduledPayment.objects.create(
        from_account=household, nickname="Household split", payer_reference="Split",
        payee_reference="Household", recurrence_utype="intervalSchedule",
        intervals=[{"interval": "P1M"}], next_payment_date=date(2027, 1, 1))
    ScheduledPaymentSet.objects.create(scheduled_payment=payment, to_utype="payeeId", to_payee=mum,
                                       amount=Decimal("100.00"))
    ScheduledPaymentSet.objects.create(scheduled_payment=payment, position=1, to_utype="accountId",
                                       to_account=john_everyday, amount=Decimal("50.00"))

    jane = grant("jane.citizen", accounts=[household])
    response = cdr("get", _account_scheduled(jane.account_id(household)), jane, x_v="2")
    body = assert_cdr_response(response, "listScheduledPayments", version=2)
    (row,) = _payments(body)
    assert [entry["to"] for entry in row["paymentSet"]] == [
        {"toUType": "domestic", "nickname": "Mum",
         "domestic": {"payeeAccountUType": "account",
                      "account": {"accountName": "M CITIZEN", "bsb": "062000", "accountNumber": "12345678"}}},
        # Not Jane's account: the bank's neutral label, never John's name for it.
        {"toUType": "domestic", "nickname": "Bank account",
         "domestic": {"payeeAccountUType": "account",
                      "account": {"bsb": john_everyday.bsb, "accountNumber": john_everyday.account_number}}},
    ]
    content = response.content.decode()
    assert jane.id_for(ResourceKind.PAYEE, mum.pk) not in content
    assert jane.account_id(john_everyday) not in content

    john = grant("john.citizen", accounts=[household, john_everyday])
    (row,) = _payments(cdr("get", _account_scheduled(john.account_id(household)), john, x_v="2").json())
    assert [entry["to"] for entry in row["paymentSet"]] == [
        {"toUType": "payeeId", "payeeId": john.id_for(ResourceKind.PAYEE, mum.pk)},
        {"toUType": "accountId", "accountId": john.account_id(john_everyday), "nickname": "Everyday Account"},
    ]


def test_multi_part_payment_keeps_set_order_and_last_week_day_recurrence(bank, grant, cdr):
    operating = bank.account("acme.agent", "Acme Operating Account")
    partners = bank.account("acme.agent", "Acme Directors' Account")
    supplier = get_decrypted(Payee.objects.filter(customer=bank.customer("acme.agent")),
                          nickname="Widget Parts")
    g = grant("acme.agent", accounts=[operating, partners])
    body = assert_cdr_response(cdr("get", SCHEDULED, g, x_v="2"), "listScheduledPaymentsBulk", version=2)
    (payment,) = _payments(body)
    assert [(e["to"]["toUType"], e["amount"]) for e in payment["paymentSet"]] == [
        ("payeeId", "1200.00"), ("accountId", "800.00")]
    assert payment["paymentSet"][0]["to"]["payeeId"] == g.id_for(ResourceKind.PAYEE, supplier.pk)
    assert payment["paymentSet"][1]["to"]["accountId"] == g.account_id(partners)
    assert payment["recurrence"]["lastWeekDay"] == {"paymentsRemaining": 10, "interval": "P1M",
                                                    "lastWeekDay": "FRI", "nonBusinessDayTreatment": "BEFORE"}
    # Without the partners account, the second destination is inline and the first still by ID.
    only = grant("acme.agent", accounts=[operating])
    (payment,) = _payments(cdr("get", SCHEDULED, only, x_v="3").json())
    assert [e["to"]["toUType"] for e in payment["paymentSet"]] == ["payeeId", "domestic"]


def test_scheduled_payments_only_from_shared_accounts(bank, grant, cdr):
    # Jane's saver receives a payment but is the source of none.
    saver = bank.account("jane.citizen", "Bonus Saver")
    g = grant("jane.citizen", accounts=[saver])
    body = assert_cdr_response(cdr("get", SCHEDULED, g, x_v="3"), "listScheduledPaymentsBulk")
    assert body["data"] == {"scheduledPayments": []}
    assert body["meta"] == {"totalRecords": 0, "totalPages": 0}


@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Save monthly", "Old gym", "Household"]),
        ({"open-status": "CLOSED"}, ["Save monthly", "Old gym"]),
        ({"open-status": "OPEN"}, ["Household"]),
        ({"is-owned": "false"}, ["Household"]),
        ({"is-owned": "true"}, ["Save monthly", "Old gym"]),
        ({"product-category": "TERM_DEPOSITS"}, []),
        ({"product-category": "TRANS_AND_SAVINGS_ACCOUNTS", "open-status": "ALL"},
         ["Save monthly", "Old gym", "Household"]),
    ],
)
def test_bulk_scheduled_payments_account_filters(bank, grant, cdr, version, query, expected):
    _shape_filters(bank)
    household = bank.account("jane.citizen", "Citizen Household")
    payment = ScheduledPayment.objects.create(from_account=household, nickname="Household",
                                              recurrence_utype="eventBased", event_description="Bills due")
    ScheduledPaymentSet.objects.create(scheduled_payment=payment, to_utype="accountId",
                                       to_account=bank.account("jane.citizen", "Bonus Saver"), amount=Decimal("1"))
    g = grant("jane.citizen")
    body = assert_cdr_response(cdr("get", SCHEDULED, g, x_v=str(version), query=query),
                               "listScheduledPaymentsBulk", version=version)
    assert [p["nickname"] for p in _payments(body)] == expected


def test_bulk_scheduled_payments_bnpl_category_by_version(bank, grant, cdr):
    g = grant("john.citizen")
    assert_cdr_error(cdr("get", SCHEDULED, g, x_v="2", query={"product-category": "BUY_NOW_PAY_LATER"}),
                     400, "Field/Invalid", "product-category")
    body = assert_cdr_response(cdr("get", SCHEDULED, g, x_v="3", query={"product-category": "BUY_NOW_PAY_LATER"}),
                               "listScheduledPaymentsBulk", version=3)
    assert body["data"] == {"scheduledPayments": []}
    # Negotiated down to v2, the value is refused too.
    assert_cdr_error(cdr("get", SCHEDULED, g, x_v="2", x_min_v="1", query={"product-category": "BUY_NOW_PAY_LATER"}),
                     400, "Field/Invalid", "product-category")


@pytest.mark.parametrize("version", ["2", "3"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"product-category": "LOANS"}, "product-category"),
        ({"open-status": "Open"}, "open-status"),
        ({"is-owned": "1"}, "is-owned"),
        ({"status": "ACTIVE"}, "status"),
        ({"page-size": "0"}, "page-size"),
    ],
)
def test_bulk_scheduled_payments_reject_bad_or_unknown_parameters(grant, cdr, version, query, field):
    response = cdr("get", SCHEDULED, grant("jane.citizen"), x_v=version, query=query)
    assert_cdr_error(response, 400, "Field/Invalid", field)


def test_bulk_scheduled_payments_pagination_edges(bank, grant, cdr):
    g = grant("priya.sharma")
    everything = _payments(cdr("get", SCHEDULED, g, x_v="3").json())
    assert len(everything) == 2
    first = assert_cdr_response(cdr("get", SCHEDULED, g, x_v="3", query={"page-size": "1"}),
                                "listScheduledPaymentsBulk")
    assert _payments(first) == everything[:1]
    assert first["links"] == {"self": BASE + SCHEDULED + "?page-size=1",
                              "first": BASE + SCHEDULED + "?page-size=1&page=1",
                              "next": BASE + SCHEDULED + "?page-size=1&page=2",
                              "last": BASE + SCHEDULED + "?page-size=1&page=2"}
    second = cdr("get", SCHEDULED, g, x_v="2", query={"page": "2", "page-size": "1"}).json()
    assert _payments(second) == everything[1:]
    assert set(second["links"]) == {"self", "first", "prev", "last"}
    assert_cdr_error(cdr("get", SCHEDULED, g, x_v="3", query={"page": "3", "page-size": "1"}),
                     422, "Field/InvalidPage", "2")
    assert_cdr_error(cdr("get", SCHEDULED, g, x_v="3", query={"page-size": "1001"}), 400, "Field/InvalidPageSize")


def test_scheduled_payments_for_specific_accounts(bank, grant, cdr):
    everyday = bank.account("jane.citizen", "Everyday Account")
    saver = bank.account("jane.citizen", "Bonus Saver")
    g = grant("jane.citizen")
    response = cdr("post", SCHEDULED, g, x_v="2", data=_body(g.account_id(saver), g.account_id(everyday)))
    body = assert_cdr_response(response, "listScheduledPaymentsSpecificAccounts", version=2)
    assert [p["nickname"] for p in _payments(body)] == ["Save monthly", "Old gym"]
    only_saver = cdr("post", SCHEDULED, g, x_v="2", data=_body(g.account_id(saver))).json()
    assert only_saver["data"] == {"scheduledPayments": []}


def test_scheduled_payments_for_one_account(bank, grant, cdr):
    john_everyday = bank.account("john.citizen", "Everyday Account")
    mum = get_decrypted(Payee.objects.filter(customer=bank.customer("john.citizen")),
                          nickname="Mum")
    g = grant("john.citizen")
    response = cdr("get", _account_scheduled(g.account_id(john_everyday)), g, x_v="2")
    body = assert_cdr_response(response, "listScheduledPayments", version=2)
    (row,) = _payments(body)
    assert row["nickname"] == "Pay Mum back"
    assert row["paymentSet"][0]["to"] == {"toUType": "payeeId", "payeeId": g.id_for(ResourceKind.PAYEE, mum.pk)}
    assert row["recurrence"]["recurrenceUType"] == "onceOff"
    assert row["recurrence"]["onceOff"]["paymentDate"] == row["recurrence"]["nextPaymentDate"]
    loan = bank.account("john.citizen", "Car Loan")
    empty = assert_cdr_response(cdr("get", _account_scheduled(g.account_id(loan)), g, x_v="2"),
                                "listScheduledPayments")
    assert empty["data"] == {"scheduledPayments": []}


# Instalment plans ------------------------------------------------------------------------
def _plan_status_of(plan: InstalmentPlan) -> str:
    return "ACTIVE" if plan.schedule.filter(is_paid=False).exists() else "INACTIVE"


def _expected_plans(account: Account, status: str) -> list[InstalmentPlan]:
    plans = InstalmentPlan.objects.filter(account=account).order_by("-creation_date", "-id")
    return [p for p in plans if status == "ALL" or _plan_status_of(p) == status]


@pytest.mark.parametrize("status", [None, "ACTIVE", "INACTIVE", "ALL"])
def test_bulk_instalment_plans_by_plan_status(bank, grant, cdr, status):
    bnpl = bank.account("john.citizen", "Pay Later")
    statuses = {_plan_status_of(p) for p in InstalmentPlan.objects.filter(account=bnpl)}
    assert statuses == {"ACTIVE", "INACTIVE"}, "the seed has plans of both kinds"
    g = grant("john.citizen")
    query = {} if status is None else {"plan-status": status}
    body = assert_cdr_response(cdr("get", PLANS, g, x_v="1", query=query), "listInstalmentPlansBulk", version=1)
    expected = _expected_plans(bnpl, status or "ACTIVE")
    assert expected
    ids = [p["planId"] for p in body["data"]["plans"]]
    assert _decode_all(g, ResourceKind.INSTALMENT_PLAN, ids) == [p.pk for p in expected]
    assert {p["accountId"] for p in body["data"]["plans"]} == {g.account_id(bnpl)}
    dates = [p["creationDate"] for p in body["data"]["plans"]]
    assert dates == sorted(dates, reverse=True)
    assert body["meta"]["totalRecords"] == len(expected)


def test_plan_status_follows_the_schedule_not_the_status_column(bank, grant, cdr):
    bnpl = bank.account("john.citizen", "Pay Later")
    paid_off = _expected_plans(bnpl, "INACTIVE")[0]
    # An instalment added and unpaid makes the plan ACTIVE whatever the column says.
    InstalmentPlanSchedule.objects.create(plan=paid_off, amount_due=Decimal("5.00"),
                                          due_date=date(2030, 1, 1), is_paid=False)
    g = grant("john.citizen")
    active = cdr("get", PLANS, g, x_v="1", query={"plan-status": "ACTIVE"}).json()["data"]["plans"]
    assert g.id_for(ResourceKind.INSTALMENT_PLAN, paid_off.pk) in [p["planId"] for p in active]


def test_instalment_plan_body_is_exact(bank, grant, cdr):
    bnpl = bank.account("john.citizen", "Pay Later")
    plan = _expected_plans(bnpl, "ALL")[0]
    g = grant("john.citizen", accounts=[bnpl])
    body = assert_cdr_response(cdr("get", PLANS, g, x_v="1", query={"plan-status": "ALL"}),
                               "listInstalmentPlansBulk")
    assert body["data"]["plans"][0] == {
        "accountId": g.account_id(bnpl),
        "planId": g.id_for(ResourceKind.INSTALMENT_PLAN, plan.pk),
        "planReference": plan.plan_reference,
        "merchantName": plan.merchant_name,
        "merchantCategoryCode": plan.merchant_category_code,
        "planNickname": plan.plan_nickname,
        "creationDate": plan.creation_date.isoformat(),
        "amount": f"{plan.amount:.2f}",
        "planCurrency": "AUD",
        "planCharge": "0.00",
        "planRate": "0",
        "duration": "P6W",
        "instalmentInterval": "P14D",
        "schedule": [
            {"amountDue": f"{s.amount_due:.2f}", "dueDate": s.due_date.isoformat(), "isPaid": s.is_paid}
            for s in plan.schedule.order_by("due_date", "id")
        ],
    }
    assert sum(Decimal(s["amountDue"]) for s in body["data"]["plans"][0]["schedule"]) == plan.amount


def test_instalment_plans_only_for_shared_accounts(bank, grant, cdr):
    g = grant("john.citizen", accounts=[bank.account("john.citizen", "Everyday Account")])
    body = assert_cdr_response(cdr("get", PLANS, g, x_v="1", query={"plan-status": "ALL"}),
                               "listInstalmentPlansBulk")
    assert body["data"] == {"plans": []}
    # Jane shares joint accounts with John but holds no pay-later account.
    assert cdr("get", PLANS, grant("jane.citizen"), x_v="1",
               query={"plan-status": "ALL"}).json()["data"] == {"plans": []}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"plan-status": "active"}, "plan-status"),
        ({"plan-status": "PAID"}, "plan-status"),
        ({"plan-status": ""}, "plan-status"),
        # Get Instalment Plans Bulk has no account filters (cds_banking.json).
        ({"product-category": "BUY_NOW_PAY_LATER"}, "product-category"),
        ({"open-status": "OPEN"}, "open-status"),
        ({"is-owned": "true"}, "is-owned"),
    ],
)
@pytest.mark.parametrize("where", ["bulk", "account"])
def test_instalment_plans_reject_bad_or_unknown_parameters(bank, grant, cdr, query, field, where):
    g = grant("john.citizen")
    path = PLANS if where == "bulk" else _account_plans(g.account_id(bank.account("john.citizen", "Pay Later")))
    response = cdr("get", path, g, x_v="1", query=query)
    assert_cdr_error(response, 400, "Field/Invalid", field)
    assert_cdr_response(response, "listInstalmentPlansBulk" if where == "bulk" else "listInstalmentPlans")


def test_bulk_instalment_plans_pagination_edges(bank, grant, cdr):
    g = grant("john.citizen")
    everything = cdr("get", PLANS, g, x_v="1", query={"plan-status": "ALL"}).json()["data"]["plans"]
    assert len(everything) == 3
    page2 = assert_cdr_response(cdr("get", PLANS, g, x_v="1", query={"plan-status": "ALL", "page": "2", "page-size": "1"}),
                                "listInstalmentPlansBulk")
    assert page2["data"]["plans"] == everything[1:2]
    assert page2["meta"] == {"totalRecords": 3, "totalPages": 3}
    assert page2["links"] == {
        "self": BASE + PLANS + "?plan-status=ALL&page=2&page-size=1",
        "first": BASE + PLANS + "?plan-status=ALL&page=1&page-size=1",
        "prev": BASE + PLANS + "?plan-status=ALL&page=1&page-size=1",
        "next": BASE + PLANS + "?plan-status=ALL&page=3&page-size=1",
        "last": BASE + PLANS + "?plan-status=ALL&page=3&page-size=1",
    }
    assert_cdr_error(cdr("get", PLANS, g, x_v="1", query={"plan-status": "ALL", "page": "4", "page-size": "1"}),
                     422, "Field/InvalidPage", "3")
    assert_cdr_error(cdr("get", PLANS, g, x_v="1", query={"page-size": "1001"}), 400, "Field/InvalidPageSize")


@pytest.mark.parametrize("status", [None, "INACTIVE", "ALL"])
def test_instalment_plans_for_one_account(bank, grant, cdr, status):
    bnpl = bank.account("john.citizen", "Pay Later")
    g = grant("john.citizen")
    query = {} if status is None else {"plan-status": status}
    response = cdr("get", _account_plans(g.account_id(bnpl)), g, x_v="1", query=query)
    body = assert_cdr_response(response, "listInstalmentPlans", version=1)
    ids = [p["planId"] for p in body["data"]["plans"]]
    assert _decode_all(g, ResourceKind.INSTALMENT_PLAN, ids) == [p.pk for p in _expected_plans(bnpl, status or "ACTIVE")]
    everyday = bank.account("john.citizen", "Everyday Account")
    empty = assert_cdr_response(cdr("get", _account_plans(g.account_id(everyday)), g, x_v="1", query=query),
                                "listInstalmentPlans")
    assert empty["data"] == {"plans": []}


# Every endpoint: authentication, scope, consent, versions ---------------------------------
@dataclass(frozen=True)
class Endpoint:
    method: str
    operation: str
    versions: tuple[int, ...]
    path: Any  # str, or a function of the account ID
    body: bool = False


ENDPOINTS = [
    Endpoint("get", "listDirectDebitsBulk", (1, 2), DEBITS),
    Endpoint("post", "listDirectDebitsSpecificAccounts", (1,), DEBITS, body=True),
    Endpoint("get", "listDirectDebits", (1,), _account_debits),
    Endpoint("get", "listScheduledPaymentsBulk", (2, 3), SCHEDULED),
    Endpoint("post", "listScheduledPaymentsSpecificAccounts", (2,), SCHEDULED, body=True),
    Endpoint("get", "listScheduledPayments", (2,), _account_scheduled),
    Endpoint("get", "listInstalmentPlansBulk", (1,), PLANS),
    Endpoint("get", "listInstalmentPlans", (1,), _account_plans),
]


def _call(cdr, endpoint: Endpoint, g, account_id: str, *, x_v: str | None, x_min_v: str | None = None,
          token: bool = True) -> Any:
    path = endpoint.path if isinstance(endpoint.path, str) else endpoint.path(account_id)
    data = _body(account_id) if endpoint.body else None
    return cdr(endpoint.method, path, g if token else None, x_v=x_v, x_min_v=x_min_v, data=data)


@pytest.fixture
def john_bnpl(bank):
    return bank.account("john.citizen", "Pay Later")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.operation}")
def test_endpoint_serves_each_version_and_negotiates(grant, cdr, john_bnpl, endpoint):
    g = grant("john.citizen")
    account_id = g.account_id(john_bnpl)
    for version in endpoint.versions:
        response = _call(cdr, endpoint, g, account_id, x_v=str(version))
        assert response.status_code == 200, response.content
        assert_cdr_response(response, endpoint.operation, version=version)
    newest, oldest = max(endpoint.versions), min(endpoint.versions)
    # x-v above what we serve with x-min-v in range: the newest in range.
    response = _call(cdr, endpoint, g, account_id, x_v=str(newest + 5), x_min_v=str(oldest))
    assert response["x-v"] == str(newest)
    assert_cdr_response(response, endpoint.operation, version=newest)
    # x-min-v equal to x-v is treated as absent.
    assert _call(cdr, endpoint, g, account_id, x_v=str(oldest), x_min_v=str(oldest))["x-v"] == str(oldest)
    for x_v, x_min_v in [(str(oldest - 1), None), (str(newest + 1), None), (str(newest + 1), str(newest + 1))]:
        if x_v == "0":
            continue
        assert_cdr_error(_call(cdr, endpoint, g, account_id, x_v=x_v, x_min_v=x_min_v),
                         406, "Header/UnsupportedVersion")
    assert_cdr_error(_call(cdr, endpoint, g, account_id, x_v=None), 400, "Header/Missing")
    assert_cdr_error(_call(cdr, endpoint, g, account_id, x_v="latest"), 400, "Header/InvalidVersion")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.operation}")
def test_endpoint_needs_a_token(grant, cdr, john_bnpl, endpoint):
    g = grant("john.citizen")
    response = _call(cdr, endpoint, g, g.account_id(john_bnpl), x_v=str(max(endpoint.versions)), token=False)
    assert_cdr_error(response, 401, "GeneralError/Expected")
    assert response.has_header("WWW-Authenticate")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.operation}")
@pytest.mark.parametrize(
    ("scopes", "token_scopes"),
    [
        ([s.BANK_ACCOUNTS_BASIC_READ, s.BANK_PAYEES_READ, s.BANK_TRANSACTIONS_READ], None),
        ([s.BANK_REGULAR_PAYMENTS_READ, s.BANK_ACCOUNTS_BASIC_READ], [s.BANK_ACCOUNTS_BASIC_READ]),
    ],
)
def test_endpoint_needs_the_regular_payments_scope(grant, cdr, john_bnpl, endpoint, scopes, token_scopes):
    g = grant("john.citizen", scopes=scopes, token_scopes=token_scopes)
    response = _call(cdr, endpoint, g, g.account_id(john_bnpl), x_v=str(max(endpoint.versions)))
    assert_cdr_error(response, 403, "Authorisation/InvalidConsent")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.operation}")
def test_endpoint_regular_payments_scope_alone_is_enough(grant, cdr, john_bnpl, endpoint):
    g = grant("john.citizen", scopes=[s.BANK_REGULAR_PAYMENTS_READ])
    response = _call(cdr, endpoint, g, g.account_id(john_bnpl), x_v=str(max(endpoint.versions)))
    assert response.status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.operation}")
@pytest.mark.parametrize("status", [ArrangementStatus.REVOKED, "EXPIRED"])
def test_endpoint_refused_on_a_revoked_or_expired_arrangement(grant, cdr, john_bnpl, endpoint, status):
    if status == "EXPIRED":
        g = grant("john.citizen", sharing_days=-1)
    else:
        g = grant("john.citizen", status=status)
    response = _call(cdr, endpoint, g, g.account_id(john_bnpl), x_v=str(max(endpoint.versions)))
    assert_cdr_error(response, 403, "Authorisation/RevokedConsent")


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not isinstance(e.path, str)],
                         ids=lambda e: f"{e.operation}")
def test_account_endpoint_refuses_priyas_account_on_janes_token(bank, grant, cdr, endpoint):
    priya = bank.account("priya.sharma", "Everyday Account")
    g = grant("jane.citizen")
    account_id = g.account_id(priya)
    response = _call(cdr, endpoint, g, account_id, x_v=str(max(endpoint.versions)))
    assert_cdr_error(response, 404, INVALID_ACCOUNT, account_id)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.body], ids=lambda e: f"{e.operation}")
def test_specific_accounts_refuse_priyas_account_on_janes_token(bank, grant, cdr, endpoint):
    priya = bank.account("priya.sharma", "Everyday Account")
    g = grant("jane.citizen")
    account_id = g.account_id(priya)
    response = _call(cdr, endpoint, g, account_id, x_v=str(max(endpoint.versions)))
    assert_cdr_error(response, 422, INVALID_ACCOUNT, account_id)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.method == "get" and isinstance(e.path, str)],
                         ids=lambda e: f"{e.operation}")
def test_bulk_endpoints_never_return_another_customers_rows(bank, grant, cdr, endpoint):
    """Priya's token, all her accounts shared: no row names an account that is not hers."""
    g = grant("priya.sharma")
    response = _call(cdr, endpoint, g, "", x_v=str(max(endpoint.versions)))
    body = response.json()
    (key,) = body["data"]
    mine = {a.pk for a in bank.accounts("priya.sharma")}
    for row in body["data"][key]:
        account_id = row.get("accountId") or row["from"]["accountId"]
        assert g.ids.decode(ResourceKind.ACCOUNT, account_id) in mine


def test_scheduled_payment_to_an_account_the_customer_no_longer_holds_is_inline(bank, grant, cdr):
    """In the arrangement is not enough: the customer must still hold the target account."""
    everyday = bank.account("jane.citizen", "Everyday Account")
    saver = bank.account("jane.citizen", "Bonus Saver")
    g = grant("jane.citizen", accounts=[everyday, saver])
    saver.account_holders.filter(customer=g.customer).delete()
    body = assert_cdr_response(cdr("get", SCHEDULED, g, x_v="3"), "listScheduledPaymentsBulk")
    to = _by_nickname(body)["Save monthly"]["paymentSet"][0]["to"]
    assert to["toUType"] == "domestic"
    assert to["domestic"]["account"] == {"bsb": saver.bsb, "accountNumber": saver.account_number}


def test_selectors_ignore_internal_keys_outside_the_arrangement(bank, grant):
    """The *_for_accounts selectors intersect what the caller passes with the accessible
    accounts again, so a caller that skipped account_pks_from_body still leaks nothing."""
    everyday = bank.account("jane.citizen", "Everyday Account")
    g = grant("jane.citizen", accounts=[everyday])
    context = AccessContext(customer_id=g.customer.pk, software_product_id=g.product.software_product_id,
                            arrangement_pk=g.arrangement.pk, scopes=frozenset(s.CDR_DATA_SCOPES),
                            account_ids=frozenset({everyday.pk}), customer_present=False,
                            certificate_thumbprint="", ids=g.ids)
    household = bank.account("jane.citizen", "Citizen Household")
    priya = bank.account("priya.sharma", "Everyday Account")
    bnpl = bank.account("john.citizen", "Pay Later")
    outside = [household.pk, priya.pk, bnpl.pk]
    assert list(ps.direct_debit_list_for_accounts(context=context, account_pks=outside)) == []
    assert list(ps.scheduled_payment_list_for_accounts(context=context, account_pks=outside)) == []
    assert list(ps.instalment_plan_list_for_account(context=context, account_pk=bnpl.pk,
                                                    plan_status="ALL")) == []
    assert ps.direct_debit_list_for_accounts(context=context, account_pks=[everyday.pk, *outside]).count() == 2


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.operation}")
@pytest.mark.parametrize("name", ["foo", "accountIds", "type"])
def test_endpoint_names_an_unknown_query_parameter(grant, cdr, john_bnpl, endpoint, name):
    g = grant("john.citizen")
    path = endpoint.path if isinstance(endpoint.path, str) else endpoint.path(g.account_id(john_bnpl))
    data = _body(g.account_id(john_bnpl)) if endpoint.body else None
    response = cdr(endpoint.method, path, g, x_v=str(max(endpoint.versions)), data=data, query={name: "1"})
    assert_cdr_error(response, 400, "Field/Invalid", name)


@pytest.mark.parametrize("path", [_account_debits, _account_scheduled])
def test_account_endpoints_take_no_account_filters(bank, grant, cdr, john_bnpl, path):
    g = grant("john.citizen")
    version = "1" if path is _account_debits else "2"
    response = cdr("get", path(g.account_id(john_bnpl)), g, x_v=version, query={"open-status": "OPEN"})
    assert_cdr_error(response, 400, "Field/Invalid", "open-status")


def test_another_customers_account_name_never_leaks_through_a_destination(bank, grant, cdr):
    """A payment from Jane's account to Priya's: Priya's private nickname stays Priya's."""
    everyday = bank.account("jane.citizen", "Everyday Account")
    priya = bank.account("priya.sharma", "Everyday Account")
    set_fields(priya, nickname="Priya secret fund")
    payment = ScheduledPayment.objects.create(from_account=everyday, recurrence_utype="eventBased",
                                              event_description="When asked")
    ScheduledPaymentSet.objects.create(scheduled_payment=payment, to_utype="accountId",
                                       to_account=priya, amount=Decimal("10.00"))
    g = grant("jane.citizen", accounts=[everyday])
    response = cdr("get", SCHEDULED, g, x_v="3")
    content = response.content.decode()
    assert "Priya secret fund" not in content and "Everyday Account" not in content
    (row,) = [p for p in _payments(response.json()) if p["scheduledPaymentId"] ==
              g.id_for(ResourceKind.SCHEDULED_PAYMENT, payment.pk)]
    assert row["paymentSet"][0]["to"]["nickname"] == "Bank account"
