"""Get Transactions For Account v1/v2 and Get Transaction Detail v2/v3."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from security import scopes as s
from security.resource_ids import ResourceKind
from tests.cdr_schema import assert_cdr_response
from tests.conftest import assert_cdr_error
from transactions.models import Transaction

INVALID_ACCOUNT = "urn:au-cds:error:cds-banking:Authorisation/InvalidBankingAccount"


def _url(g, account, suffix=""):
    return f"banking/accounts/{g.account_id(account)}/transactions{suffix}"


def _everyday(bank):
    return bank.account("jane.citizen", "Everyday Account")


def _txn(account, days_ago, amount, **kw):
    when = timezone.now() - timedelta(days=days_ago)
    fields = {"status": "POSTED", "type": "PAYMENT" if Decimal(amount) < 0 else "TRANSFER_INCOMING",
              "description": "TEST", "execution_date_time": when, "posting_date_time": when, **kw}
    return Transaction.objects.create(account=account, amount=Decimal(amount), **fields)


@pytest.mark.parametrize("version", [1, 2])
def test_transaction_list_is_schema_valid_and_newest_first(bank, grant, cdr, version):
    account = _everyday(bank)
    g = grant("jane.citizen", accounts=[account])
    body = assert_cdr_response(cdr("get", _url(g, account), g, x_v=str(version), query={"page-size": "1000"}),
                               "listBankingTransactions", version=version)
    rows = body["data"]["transactions"]
    window = timezone.now() - timedelta(days=90)
    expected = list(Transaction.objects.filter(account=account, effective_date_time__gte=window)
                    .order_by("-effective_date_time", "-id"))
    assert [r["transactionId"] for r in rows] == [g.id_for(ResourceKind.TRANSACTION, t.pk) for t in expected]
    assert {r["accountId"] for r in rows} == {g.account_id(account)}
    assert body["meta"] == {"totalRecords": len(expected), "totalPages": 1}
    assert all("instalmentPlanId" not in r for r in rows) or version == 2


def test_transaction_list_v2_links_bnpl_purchases_to_their_plan_and_v1_does_not(bank, grant, cdr):
    bnpl = bank.account("john.citizen", "Pay Later")
    g = grant("john.citizen", accounts=[bnpl])
    v2 = cdr("get", _url(g, bnpl), g, x_v="2", query={"oldest-time": "2000-01-01T00:00:00Z"}).json()
    planned = [r for r in v2["data"]["transactions"] if "instalmentPlanId" in r]
    assert planned, "the seed has BNPL purchases on plans"
    plan_pks = set(Transaction.objects.filter(account=bnpl, instalment_plan__isnull=False)
                   .values_list("instalment_plan_id", flat=True))
    assert {r["instalmentPlanId"] for r in planned} == {g.id_for(ResourceKind.INSTALMENT_PLAN, pk) for pk in plan_pks}
    v1 = assert_cdr_response(cdr("get", _url(g, bnpl), g, x_v="1", query={"oldest-time": "2000-01-01T00:00:00Z"}),
                             "listBankingTransactions", version=1)
    assert all("instalmentPlanId" not in r for r in v1["data"]["transactions"])


def test_default_window_is_90_days_before_newest_time(bank, grant, cdr):
    account = _everyday(bank)
    old = _txn(account, 120, "-5.00")
    g = grant("jane.citizen", accounts=[account])
    old_id = g.id_for(ResourceKind.TRANSACTION, old.pk)
    ids = [r["transactionId"] for r in cdr("get", _url(g, account), g, x_v="2", query={"page-size": "1000"}).json()["data"]["transactions"]]
    assert old_id not in ids
    newest = (timezone.now() - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = [r["transactionId"] for r in cdr("get", _url(g, account), g, x_v="2",
                                           query={"newest-time": newest}).json()["data"]["transactions"]]
    assert ids == [old_id]


def test_time_amount_and_text_filters(bank, grant, cdr):
    account = _everyday(bank)
    a = _txn(account, 200, "-12.34", description="Corner Cafe Newtown", reference="")
    b = _txn(account, 201, "250.00", description="Salary", reference="ACME PAYROLL 42")
    c = _txn(account, 202, "-999.99", description="Rent", reference="")
    g = grant("jane.citizen", accounts=[account])
    span = {"oldest-time": (timezone.now() - timedelta(days=203)).isoformat(),
            "newest-time": (timezone.now() - timedelta(days=199)).isoformat()}

    def ids(**query):
        body = assert_cdr_response(cdr("get", _url(g, account), g, x_v="2", query={**span, **query}),
                                   "listBankingTransactions")
        return [r["transactionId"] for r in body["data"]["transactions"]]

    tid = {t: g.id_for(ResourceKind.TRANSACTION, t.pk) for t in (a, b, c)}
    assert ids() == [tid[a], tid[b], tid[c]]
    assert ids(**{"min-amount": "-100.00"}) == [tid[a], tid[b]]
    assert ids(**{"max-amount": "0.00"}) == [tid[a], tid[c]]
    assert ids(**{"min-amount": "-20", "max-amount": "-10.00"}) == [tid[a]]
    assert ids(text="cafe") == [tid[a]]
    assert ids(text="payroll") == [tid[b]]
    assert ids(text="100%") == []
    assert ids(text="_") == []


@pytest.mark.parametrize(
    ("query", "code", "detail"),
    [
        ({"oldest-time": "yesterday"}, "Field/InvalidDateTime", "oldest-time"),
        ({"newest-time": "2026-02-30T00:00:00Z"}, "Field/InvalidDateTime", "newest-time"),
        ({"newest-time": "2026-01-01T00:00:00"}, "Field/InvalidDateTime", "newest-time"),
        ({"oldest-time": "2026-02-01T00:00:00Z", "newest-time": "2026-01-01T00:00:00Z"}, "Field/InvalidDateTime", "oldest-time"),
        ({"newest-time": "0001-01-01T00:00:00Z"}, "Field/InvalidDateTime", "newest-time"),
        ({"newest-time": "9999-12-31T23:59:59-14:00"}, "Field/InvalidDateTime", "newest-time"),
        ({"oldest-time": "0001-01-01T00:00:00+14:00"}, "Field/InvalidDateTime", "oldest-time"),
        ({"min-amount": "ten"}, "Field/Invalid", "min-amount"),
        ({"max-amount": "1e3"}, "Field/Invalid", "max-amount"),
        ({"text": "x" * 1000}, "Field/Invalid", "text"),
        ({"from": "2026-01-01"}, "Field/Invalid", "from"),
        ({"page-size": "1001"}, "Field/InvalidPageSize", None),
    ],
)
def test_transaction_list_rejects_bad_parameters(bank, grant, cdr, query, code, detail):
    account = _everyday(bank)
    g = grant("jane.citizen", accounts=[account])
    assert_cdr_error(cdr("get", _url(g, account), g, x_v="2", query=query), 400, code, detail)


def test_transaction_list_paging_walks_every_row_once(bank, grant, cdr):
    account = _everyday(bank)
    g = grant("jane.citizen", accounts=[account])
    everything = cdr("get", _url(g, account), g, x_v="2", query={"page-size": "1000"}).json()
    total = everything["meta"]["totalRecords"]
    assert total > 7
    seen = []
    pages = -(-total // 7)
    for page in range(1, pages + 1):
        body = cdr("get", _url(g, account), g, x_v="2", query={"page": str(page), "page-size": "7"}).json()
        seen += [r["transactionId"] for r in body["data"]["transactions"]]
        assert ("next" in body["links"]) == (page < pages)
        assert ("prev" in body["links"]) == (page > 1)
    assert seen == [r["transactionId"] for r in everything["data"]["transactions"]]
    assert_cdr_error(cdr("get", _url(g, account), g, x_v="2", query={"page": str(pages + 1), "page-size": "7"}),
                     422, "Field/InvalidPage", str(pages))


def test_transactions_need_the_transactions_scope(bank, grant, cdr):
    account = _everyday(bank)
    g = grant("jane.citizen", scopes=[s.BANK_ACCOUNTS_BASIC_READ, s.BANK_ACCOUNTS_DETAIL_READ])
    assert_cdr_error(cdr("get", _url(g, account), g, x_v="2"), 403, "Authorisation/InvalidConsent")


def test_transactions_of_an_unshared_or_foreign_account_are_invalid_banking_account(bank, grant, cdr):
    everyday = _everyday(bank)
    saver = bank.account("jane.citizen", "Bonus Saver")
    g = grant("jane.citizen", accounts=[everyday])
    assert_cdr_error(cdr("get", _url(g, saver), g, x_v="2"), 404, INVALID_ACCOUNT, g.account_id(saver))
    priya = bank.account("priya.sharma", "Everyday Account")
    assert_cdr_error(cdr("get", _url(g, priya), g, x_v="2"), 404, INVALID_ACCOUNT, g.account_id(priya))


# Detail ----------------------------------------------------------------------------------
@pytest.mark.parametrize("version", [2, 3])
def test_transaction_detail_with_npp_payload(bank, grant, cdr, version):
    account = _everyday(bank)
    txn = _txn(account, 3, "-42.00", description="Osko payment", reference="Rent share", payer="",
               payee="J SMITH", extension_utype="nppPayload", npp_extended_description="November rent",
               npp_end_to_end_id="E2E-1", npp_service="X2P1", npp_service_version="03")
    g = grant("jane.citizen", accounts=[account])
    tid = g.id_for(ResourceKind.TRANSACTION, txn.pk)
    body = assert_cdr_response(cdr("get", _url(g, account, f"/{tid}"), g, x_v=str(version)),
                               "getBankingTransactionDetail", version=version)
    data = body["data"]
    assert data["transactionId"] == tid and data["accountId"] == g.account_id(account)
    assert data["isDetailAvailable"] is True
    assert data["amount"] == "-42.00" and data["reference"] == "Rent share"
    assert data["extendedData"] == {
        "payee": "J SMITH", "extensionUType": "nppPayload",
        "nppPayload": {"extendedDescription": "November rent", "endToEndId": "E2E-1",
                       "service": "X2P1", "serviceVersion": "03"},
    }


def test_transaction_detail_of_another_account_or_forged_id_is_resource_invalid(bank, grant, cdr):
    everyday = _everyday(bank)
    card = bank.account("jane.citizen", "Platinum Rewards Visa")
    on_card = Transaction.objects.filter(account=card).first()
    g = grant("jane.citizen", accounts=[everyday, card])
    wrong_account = g.id_for(ResourceKind.TRANSACTION, on_card.pk)
    for tid in (wrong_account, g.id_for(ResourceKind.ACCOUNT, on_card.pk), "Z" * 32):
        assert_cdr_error(cdr("get", _url(g, everyday, f"/{tid}"), g, x_v="3"),
                         404, "Resource/Invalid", tid)
    assert_cdr_error(cdr("get", _url(g, everyday, "/<script>"), g, x_v="3"), 404, "Resource/Invalid",
                     "transactionId")
    assert cdr("get", _url(g, card, f"/{wrong_account}"), g, x_v="3").status_code == 200


def test_transaction_detail_versions(bank, grant, cdr):
    account = _everyday(bank)
    txn = Transaction.objects.filter(account=account).first()
    g = grant("jane.citizen", accounts=[account])
    url = _url(g, account, f"/{g.id_for(ResourceKind.TRANSACTION, txn.pk)}")
    assert cdr("get", url, g, x_v="3")["x-v"] == "3"
    assert cdr("get", url, g, x_v="2")["x-v"] == "2"
    assert cdr("get", url, g, x_v="4", x_min_v="2")["x-v"] == "3"
    assert_cdr_error(cdr("get", url, g, x_v="1"), 406, "Header/UnsupportedVersion")
    assert_cdr_error(cdr("get", url, g, x_v="3", query={"page": "1"}), 400, "Field/Invalid", "page")


def test_plan_id_only_for_plans_on_accessible_accounts(bank, grant, cdr):
    from transactions.models import InstalmentPlan

    bnpl = bank.account("john.citizen", "Pay Later")
    everyday = bank.account("john.citizen", "Everyday Account")
    plan = InstalmentPlan.objects.filter(account=bnpl).first()
    # A (malformed) link from an everyday transaction to the pay-later account's plan.
    txn = _txn(everyday, 1, "-10.00", instalment_plan=plan)
    only_everyday = grant("john.citizen", accounts=[everyday])
    tid = only_everyday.id_for(ResourceKind.TRANSACTION, txn.pk)
    row = cdr("get", _url(only_everyday, everyday, f"/{tid}"), only_everyday, x_v="3").json()["data"]
    assert "instalmentPlanId" not in row
    both = grant("john.citizen", accounts=[everyday, bnpl])
    tid = both.id_for(ResourceKind.TRANSACTION, txn.pk)
    row = cdr("get", _url(both, everyday, f"/{tid}"), both, x_v="3").json()["data"]
    assert row["instalmentPlanId"] == both.id_for(ResourceKind.INSTALMENT_PLAN, plan.pk)
