"""Get Accounts v2/v3, Get Account Detail v4/v5 and the balance endpoints."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Balance
from security import scopes as s
from security.resource_ids import ResourceIds, ResourceKind
from tests.cdr_schema import assert_cdr_response
from tests.conftest import assert_cdr_error

BANKING = "urn:au-cds:error:cds-banking:"
INVALID_ACCOUNT = BANKING + "Authorisation/InvalidBankingAccount"


def _ids(body: dict, key: str) -> list[str]:
    return [row["accountId"] for row in body["data"][key]]


# Get Accounts -----------------------------------------------------------------------------
@pytest.mark.parametrize("version", [2, 3])
def test_account_list_returns_exactly_the_shared_accounts(bank, grant, cdr, version):
    accounts = bank.accounts("jane.citizen")
    shared = accounts[:3]
    g = grant("jane.citizen", accounts=shared)
    body = assert_cdr_response(cdr("get", "banking/accounts", g, x_v=str(version)),
                               "listBankingAccounts", version=version)
    assert _ids(body, "accounts") == [g.account_id(a) for a in shared]
    assert body["meta"] == {"totalRecords": 3, "totalPages": 1}
    assert body["links"] == {
        "self": "https://bank.example.test/cds-au/v1/banking/accounts",
        "first": "https://bank.example.test/cds-au/v1/banking/accounts?page=1&page-size=25",
        "last": "https://bank.example.test/cds-au/v1/banking/accounts?page=1&page-size=25",
    }


def test_account_list_reads_the_token_with_its_arrangement_in_one_query_and_counts_nothing(
        bank, grant, cdr):
    # The query budget of the most called endpoint: the token with its binding, arrangement,
    # software product and recipient; the arrangement's accounts; the page. A page shorter
    # than page-size is the whole list, so no COUNT.
    g = grant("jane.citizen", accounts=bank.accounts("jane.citizen")[:3])
    cdr("get", "banking/accounts", g, x_v="3")  # the first call also loads the data keys
    with CaptureQueriesContext(connection) as queries:
        response = cdr("get", "banking/accounts", g, x_v="3")
    assert response.status_code == 200 and len(response.json()["data"]["accounts"]) == 3
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 3, selects
    token, links, page = selects
    for table in ("oauth2_provider_accesstoken", "consent_accesstokenbinding",
                  "consent_arrangement", "recipients_softwareproduct", "recipients_datarecipient"):
        assert f'"{table}"' in token
    assert "ORDER BY" not in token  # the checksum is unique: nothing to order
    assert 'FROM "consent_arrangement_accounts"' in links and "JOIN" not in links
    assert 'FROM "accounts_account"' in page and "COUNT(" not in " ".join(selects)


def test_account_list_v3_body_for_one_account_is_exact(bank, grant, cdr):
    account = bank.account("jane.citizen", "Everyday Account")
    g = grant("jane.citizen", accounts=[account])
    body = assert_cdr_response(cdr("get", "banking/accounts", g, x_v="3"), "listBankingAccounts")
    digits = "".join(c for c in account.account_number if c.isdigit())
    assert body["data"]["accounts"] == [{
        "accountId": g.account_id(account),
        "creationDate": account.creation_date.isoformat(),
        "displayName": "Everyday Account",
        "openStatus": "OPEN",
        "isOwned": True,
        "accountOwnership": "ONE_PARTY",
        "maskedNumber": f"xxx-xxx {'x' * (len(digits) - 4)}{digits[-4:]}",
        "productCategory": "TRANS_AND_SAVINGS_ACCOUNTS",
        "productName": account.product.name,
        "isInstalmentDetailAvailable": False,
    }]
    assert account.account_number not in str(body) and account.bsb not in str(body)


def test_account_list_v2_has_no_instalment_flag_and_no_bnpl_category(bank, grant, cdr):
    bnpl = bank.account("john.citizen", "Pay Later")
    assert bnpl.product.category == "BUY_NOW_PAY_LATER"
    g = grant("john.citizen", accounts=[bnpl])
    v2 = assert_cdr_response(cdr("get", "banking/accounts", g, x_v="2"), "listBankingAccounts", version=2)
    v3 = assert_cdr_response(cdr("get", "banking/accounts", g, x_v="3"), "listBankingAccounts", version=3)
    assert v2["data"]["accounts"][0]["productCategory"] == "CRED_AND_CHRG_CARDS"
    assert "isInstalmentDetailAvailable" not in v2["data"]["accounts"][0]
    assert v3["data"]["accounts"][0]["productCategory"] == "BUY_NOW_PAY_LATER"
    assert v3["data"]["accounts"][0]["isInstalmentDetailAvailable"] is True


def test_account_list_v2_cards_filter_finds_pay_later_and_refuses_bnpl_value(bank, grant, cdr):
    g = grant("john.citizen")
    body = cdr("get", "banking/accounts", g, x_v="2", query={"product-category": "CRED_AND_CHRG_CARDS"}).json()
    assert [a["displayName"] for a in body["data"]["accounts"]] == ["Pay Later"]
    assert_cdr_error(cdr("get", "banking/accounts", g, x_v="2", query={"product-category": "BUY_NOW_PAY_LATER"}),
                     400, "Field/Invalid", "product-category")
    v3 = cdr("get", "banking/accounts", g, x_v="3", query={"product-category": "BUY_NOW_PAY_LATER"}).json()
    assert [a["displayName"] for a in v3["data"]["accounts"]] == ["Pay Later"]


def test_joint_and_many_party_accounts_show_ownership(bank, grant, cdr):
    g = grant("jane.citizen")
    body = cdr("get", "banking/accounts", g, x_v="3").json()
    by_name = {a["displayName"]: a for a in body["data"]["accounts"]}
    assert by_name["Citizen Household"]["accountOwnership"] == "TWO_PARTY"
    assert by_name["Acme Directors' Account"]["accountOwnership"] == "MANY_PARTY"
    assert all(a["isOwned"] for a in by_name.values())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"product-category": "TERM_DEPOSITS"}, ["Term Deposit 12 months"]),
        ({"product-category": "RESIDENTIAL_MORTGAGES"}, ["Citizen Home Loan"]),
        ({"open-status": "CLOSED"}, ["Bonus Saver"]),
        ({"open-status": "OPEN", "product-category": "CRED_AND_CHRG_CARDS"}, ["Platinum Rewards Visa"]),
        ({"is-owned": "false"}, ["Citizen Offset"]),
        ({"is-owned": "true", "product-category": "TERM_DEPOSITS"}, ["Term Deposit 12 months"]),
    ],
)
def test_account_list_filters(bank, grant, cdr, query, expected):
    # Shape the data the filters look at: one closed account, one not owned by Jane.
    saver = bank.account("jane.citizen", "Bonus Saver")
    Account.objects.filter(pk=saver.pk).update(open_status="CLOSED")
    offset = bank.account("jane.citizen", "Citizen Offset")
    offset.account_holders.filter(customer=bank.customer("jane.citizen")).update(is_owner=False)
    g = grant("jane.citizen")
    body = assert_cdr_response(cdr("get", "banking/accounts", g, x_v="3", query=query), "listBankingAccounts")
    assert [a["displayName"] for a in body["data"]["accounts"]] == expected
    if "is-owned" in query:
        assert {a["isOwned"] for a in body["data"]["accounts"]} == {query["is-owned"] == "true"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"product-category": "SAVINGS"}, "product-category"),
        ({"product-category": "term_deposits"}, "product-category"),
        ({"open-status": "open"}, "open-status"),
        ({"is-owned": "yes"}, "is-owned"),
        ({"is-owned": "True"}, "is-owned"),
        ({"page": "0"}, "page"),
        ({"page-size": "-5"}, "page-size"),
        ({"accountId": "x"}, "accountId"),
        ({"open_status": "OPEN"}, "open_status"),
    ],
)
def test_account_list_rejects_bad_or_unknown_parameters(grant, cdr, query, field):
    g = grant("jane.citizen")
    assert_cdr_error(cdr("get", "banking/accounts", g, x_v="3", query=query), 400, "Field/Invalid", field)


def test_account_list_pagination_edges(bank, grant, cdr):
    g = grant("jane.citizen")
    total = len(bank.accounts("jane.citizen"))
    assert total >= 5
    page2 = assert_cdr_response(cdr("get", "banking/accounts", g, x_v="3", query={"page": "2", "page-size": "2"}),
                                "listBankingAccounts")
    assert page2["meta"] == {"totalRecords": total, "totalPages": -(-total // 2)}
    assert set(page2["links"]) == {"self", "first", "prev", "next", "last"}
    assert page2["links"]["prev"].endswith("page=1&page-size=2")
    assert page2["links"]["next"].endswith("page=3&page-size=2")
    all_ids = _ids(cdr("get", "banking/accounts", g, x_v="3").json(), "accounts")
    assert _ids(page2, "accounts") == all_ids[2:4]
    last = -(-total // 2)
    last_page = cdr("get", "banking/accounts", g, x_v="3", query={"page": str(last), "page-size": "2"}).json()
    assert set(last_page["links"]) == {"self", "first", "prev", "last"}
    assert_cdr_error(cdr("get", "banking/accounts", g, x_v="3", query={"page": str(last + 1), "page-size": "2"}),
                     422, "Field/InvalidPage", str(last))
    assert_cdr_error(cdr("get", "banking/accounts", g, x_v="3", query={"page-size": "1001"}),
                     400, "Field/InvalidPageSize")
    assert cdr("get", "banking/accounts", g, x_v="3", query={"page-size": "1000"}).status_code == 200


def test_account_list_with_nothing_shared_is_an_empty_page(grant, cdr):
    g = grant("jane.citizen", accounts=[])
    body = assert_cdr_response(cdr("get", "banking/accounts", g, x_v="3"), "listBankingAccounts")
    assert body["data"] == {"accounts": []}
    assert body["meta"] == {"totalRecords": 0, "totalPages": 0}


@pytest.mark.parametrize(
    ("x_v", "x_min_v", "served"),
    [("3", None, "3"), ("2", None, "2"), ("9", "2", "3"), ("9", "3", "3"), ("2", "1", "2"), ("3", "3", "3")],
)
def test_account_list_version_negotiation(grant, cdr, x_v, x_min_v, served):
    g = grant("jane.citizen")
    response = cdr("get", "banking/accounts", g, x_v=x_v, x_min_v=x_min_v)
    assert response.status_code == 200
    assert response["x-v"] == served
    assert_cdr_response(response, "listBankingAccounts", version=int(served))


@pytest.mark.parametrize(("x_v", "x_min_v", "status", "code"), [
    ("1", None, 406, "Header/UnsupportedVersion"),
    ("9", None, 406, "Header/UnsupportedVersion"),
    ("4", "4", 406, "Header/UnsupportedVersion"),
    (None, None, 400, "Header/Missing"),
    ("two", None, 400, "Header/InvalidVersion"),
    ("3", "0", 400, "Header/InvalidVersion"),
])
def test_account_list_version_errors(grant, cdr, x_v, x_min_v, status, code):
    g = grant("jane.citizen")
    assert_cdr_error(cdr("get", "banking/accounts", g, x_v=x_v, x_min_v=x_min_v), status, code)


# Get Account Detail -----------------------------------------------------------------------
@pytest.mark.parametrize("version", [4, 5])
@pytest.mark.parametrize(
    ("owner", "name", "utype"),
    [
        ("jane.citizen", "Term Deposit 12 months", "termDeposit"),
        ("jane.citizen", "Platinum Rewards Visa", "creditCard"),
        ("jane.citizen", "Citizen Home Loan", "loan"),
        ("jane.citizen", "Everyday Account", None),
        ("john.citizen", "Pay Later", None),
        ("acme.agent", "Business Term Loan", "loan"),
    ],
)
def test_account_detail_is_schema_valid_for_every_account_type(bank, grant, cdr, version, owner, name, utype):
    account = bank.account(owner, name)
    g = grant(owner, accounts=[account])
    response = cdr("get", f"banking/accounts/{g.account_id(account)}", g, x_v=str(version))
    body = assert_cdr_response(response, "getBankingAccountDetail", version=version)
    data = body["data"]
    assert data["accountId"] == g.account_id(account)
    assert data.get("specificAccountUType") == utype
    assert data["accountNumber"] == account.account_number
    assert isinstance(data["features"], list) and isinstance(data["fees"], list)
    assert isinstance(data["depositRates"], list) and isinstance(data["lendingRates"], list)
    assert data["addresses"], "the customer's correspondence address"
    assert body["links"]["self"] == f"https://bank.example.test/cds-au/v1/banking/accounts/{g.account_id(account)}"
    if version == 4:
        assert "isInstalmentDetailAvailable" not in data and "instalments" not in data


def test_account_detail_v5_has_instalment_terms_for_pay_later(bank, grant, cdr):
    bnpl = bank.account("john.citizen", "Pay Later")
    g = grant("john.citizen", accounts=[bnpl])
    data = cdr("get", f"banking/accounts/{g.account_id(bnpl)}", g, x_v="5").json()["data"]
    assert data["isInstalmentDetailAvailable"] is True
    assert set(data["instalments"]) >= {"minimumSplit", "maximumSplit"}
    assert data["productCategory"] == "BUY_NOW_PAY_LATER"


def test_loan_offset_accounts_are_listed_only_when_shared(bank, grant, cdr):
    loan = bank.account("jane.citizen", "Citizen Home Loan")
    offset = bank.account("jane.citizen", "Citizen Offset")
    only_loan = grant("jane.citizen", accounts=[loan])
    data = cdr("get", f"banking/accounts/{only_loan.account_id(loan)}", only_loan, x_v="5").json()["data"]
    assert data["loan"]["offsetAccountIds"] == []
    both = grant("jane.citizen", accounts=[loan, offset])
    data = cdr("get", f"banking/accounts/{both.account_id(loan)}", both, x_v="5").json()["data"]
    assert data["loan"]["offsetAccountIds"] == [both.account_id(offset)]


def test_account_detail_needs_the_detail_scope(bank, grant, cdr):
    account = bank.account("jane.citizen", "Everyday Account")
    g = grant("jane.citizen", scopes=[s.BANK_ACCOUNTS_BASIC_READ])
    assert_cdr_error(cdr("get", f"banking/accounts/{g.account_id(account)}", g, x_v="5"),
                     403, "Authorisation/InvalidConsent")


@pytest.mark.parametrize("case", ["not_shared", "other_customer", "nonexistent", "forged", "garbage", "other_kind"])
def test_account_detail_unreachable_ids_answer_like_nonexistent(bank, grant, cdr, case):
    jane_everyday = bank.account("jane.citizen", "Everyday Account")
    jane_saver = bank.account("jane.citizen", "Bonus Saver")
    priya = bank.account("priya.sharma", "Everyday Account")
    g = grant("jane.citizen", accounts=[jane_everyday])
    account_id = {
        "not_shared": g.account_id(jane_saver),
        "other_customer": ResourceIds(customer_key=str(bank.customer("priya.sharma").pk),
                                      software_product_id=g.product.software_product_id
                                      ).encode(ResourceKind.ACCOUNT, priya.pk),
        "nonexistent": g.ids.encode(ResourceKind.ACCOUNT, 10_000_000),
        "forged": g.account_id(jane_everyday)[:-2] + ("AA" if not g.account_id(jane_everyday).endswith("AA") else "BB"),
        "garbage": "not-an-id",
        "other_kind": g.ids.encode(ResourceKind.PAYEE, jane_everyday.pk),
    }[case]
    response = cdr("get", f"banking/accounts/{account_id}", g, x_v="5")
    expected_detail = account_id if len(account_id) == 32 else "accountId"
    assert_cdr_error(response, 404, INVALID_ACCOUNT, expected_detail)
    assert_cdr_response(response, "getBankingAccountDetail")


# Balances --------------------------------------------------------------------------------
@pytest.mark.parametrize("version", [1, 2])
def test_bulk_balances(bank, grant, cdr, version):
    accounts = bank.accounts("priya.sharma")
    g = grant("priya.sharma", accounts=accounts[:2])
    body = assert_cdr_response(cdr("get", "banking/accounts/balances", g, x_v=str(version)),
                               "listBankingBalancesBulk", version=version)
    balances = {b.account_id: b for b in Balance.objects.filter(account__in=accounts[:2])}
    assert [row["accountId"] for row in body["data"]["balances"]] == [g.account_id(a) for a in accounts[:2]]
    for row, account in zip(body["data"]["balances"], accounts[:2], strict=True):
        assert Decimal(row["currentBalance"]) == balances[account.pk].current_balance
        assert Decimal(row["availableBalance"]) == balances[account.pk].available_balance
        assert isinstance(row["purses"], list)


def test_bulk_balances_filter_and_travel_card_purses(bank, grant, cdr):
    g = grant("priya.sharma")
    body = assert_cdr_response(
        cdr("get", "banking/accounts/balances", g, x_v="2", query={"product-category": "TRAVEL_CARDS"}),
        "listBankingBalancesBulk")
    (row,) = body["data"]["balances"]
    assert row["accountId"] == g.account_id(bank.account("priya.sharma", "Travel Money Card"))
    assert row["purses"] and all(set(p) == {"amount", "currency"} for p in row["purses"])


def test_bulk_balances_v1_refuses_the_bnpl_category(grant, cdr):
    g = grant("john.citizen")
    assert_cdr_error(cdr("get", "banking/accounts/balances", g, x_v="1",
                         query={"product-category": "BUY_NOW_PAY_LATER"}), 400, "Field/Invalid")
    assert cdr("get", "banking/accounts/balances", g, x_v="2",
               query={"product-category": "BUY_NOW_PAY_LATER"}).status_code == 200


def test_balances_for_specific_accounts(bank, grant, cdr):
    accounts = bank.accounts("jane.citizen")
    g = grant("jane.citizen")
    wanted = [accounts[3], accounts[1]]
    response = cdr("post", "banking/accounts/balances", g, x_v="1",
                   data={"data": {"accountIds": [g.account_id(a) for a in wanted]}, "meta": {}})
    body = assert_cdr_response(response, "listBankingBalancesSpecificAccounts")
    assert sorted(row["accountId"] for row in body["data"]["balances"]) == sorted(g.account_id(a) for a in wanted)
    assert body["meta"] == {"totalRecords": 2, "totalPages": 1}


@pytest.mark.parametrize("case", ["not_shared", "forged"])
def test_balances_for_specific_accounts_refuses_unreachable_ids(bank, grant, cdr, case):
    accounts = bank.accounts("jane.citizen")
    g = grant("jane.citizen", accounts=accounts[:2])
    bad = g.account_id(accounts[2]) if case == "not_shared" else "A" * 32
    response = cdr("post", "banking/accounts/balances", g, x_v="1",
                   data={"data": {"accountIds": [g.account_id(accounts[0]), bad]}})
    assert_cdr_error(response, 422, INVALID_ACCOUNT, bad)


@pytest.mark.parametrize(
    ("body", "status", "code", "detail"),
    [
        ({}, 400, "Field/Missing", "data"),
        ({"data": {}}, 400, "Field/Missing", "data.accountIds"),
        ({"data": {"accountIds": "abc"}}, 400, "Field/Invalid", "data.accountIds"),
        ({"data": {"accountIds": []}}, 400, "Field/Invalid", "data.accountIds"),
        ({"data": {"accountIds": [1]}}, 400, "Field/Invalid", "data.accountIds"),
        ({"data": {"accountIds": ["x"], "extra": 1}}, 400, "Field/Invalid", "data.extra"),
        ({"data": {"accountIds": ["x"]}, "meta": {"a": 1}}, 400, "Field/Invalid", "meta.a"),
        ({"data": {"accountIds": ["x"]}, "links": {}}, 400, "Field/Invalid", "links"),
        ([], 400, "Field/Missing", "data"),
        ("{not json", 400, "Field/Invalid", None),
    ],
)
def test_balances_for_specific_accounts_validates_the_body(grant, cdr, body, status, code, detail):
    g = grant("jane.citizen")
    assert_cdr_error(cdr("post", "banking/accounts/balances", g, x_v="1", data=body), status, code, detail)


def test_balances_post_is_v1_only_and_takes_no_filters(grant, cdr):
    g = grant("jane.citizen")
    body = {"data": {"accountIds": ["x" * 32]}}
    assert_cdr_error(cdr("post", "banking/accounts/balances", g, x_v="2", data=body), 406, "Header/UnsupportedVersion")
    response = cdr("post", "banking/accounts/balances", g, x_v="2", x_min_v="1", data=body)
    assert response["x-v"] == "1" or response.status_code == 422
    assert_cdr_error(cdr("post", "banking/accounts/balances", g, x_v="1", data=body,
                         query={"open-status": "OPEN"}), 400, "Field/Invalid", "open-status")


def test_balances_post_needs_json(grant, cdr):
    g = grant("jane.citizen")
    response = cdr("post", "banking/accounts/balances", g, x_v="1", data="accountIds=x",
                   CONTENT_TYPE="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_single_account_balance(bank, grant, cdr):
    account = bank.account("jane.citizen", "Platinum Rewards Visa")
    g = grant("jane.citizen", accounts=[account])
    body = assert_cdr_response(cdr("get", f"banking/accounts/{g.account_id(account)}/balance", g, x_v="1"),
                               "getBankingBalance")
    balance = Balance.objects.get(account=account)
    assert body["data"]["accountId"] == g.account_id(account)
    assert Decimal(body["data"]["creditLimit"]) == balance.credit_limit
    other = bank.account("jane.citizen", "Everyday Account")
    assert_cdr_error(cdr("get", f"banking/accounts/{g.account_id(other)}/balance", g, x_v="1"),
                     404, INVALID_ACCOUNT, g.account_id(other))


def test_offset_account_no_longer_held_is_not_listed(bank, grant, cdr):
    loan = bank.account("jane.citizen", "Citizen Home Loan")
    offset = bank.account("jane.citizen", "Citizen Offset")
    g = grant("jane.citizen", accounts=[loan, offset])
    offset.account_holders.filter(customer=bank.customer("jane.citizen")).delete()
    data = cdr("get", f"banking/accounts/{g.account_id(loan)}", g, x_v="5").json()["data"]
    assert data["loan"]["offsetAccountIds"] == []
