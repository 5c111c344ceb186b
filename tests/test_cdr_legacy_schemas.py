"""Older endpoint versions still served under 1.36.0 validate against their own official schema.

For every legacy (operationId, version): a minimal valid body passes, and each documented
difference from the 1.36.0 version is shown by a mutation the two versions judge differently.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.cdr_legacy_schemas import (
    OBSOLETE_PAGES,
    ROOT_COMPONENTS,
    legacy_query_parameters,
    legacy_spec,
)
from tests.cdr_schema import SPEC_DIR, assert_cdr_response, operation, validate_body

LINKS_PAGINATED = {"self": "https://bank.example/cds-au/v1/banking/accounts?page=1"}
META_PAGINATED = {"totalRecords": 1, "totalPages": 1}
NOW = "2026-03-01T09:30:00+11:00"

ACCOUNT_V2 = {
    "accountId": "acc-1",
    "creationDate": "2020-01-31",
    "displayName": "Everyday account",
    "nickname": "Bills",
    "openStatus": "OPEN",
    "isOwned": True,
    "accountOwnership": "ONE_PARTY",
    "maskedNumber": "xxxx xxxx 1234",
    "productCategory": "TRANS_AND_SAVINGS_ACCOUNTS",
    "productName": "Everyday",
}

TRANSACTION_V1 = {
    "accountId": "acc-1",
    "transactionId": "txn-1",
    "isDetailAvailable": True,
    "type": "PAYMENT",
    "status": "POSTED",
    "description": "Coffee",
    "postingDateTime": NOW,
    "executionDateTime": NOW,
    "amount": "-4.50",
    "currency": "AUD",
    "reference": "",
    "merchantName": "Cafe",
}

SCHEDULED_PAYMENT = {
    "scheduledPaymentId": "sp-1",
    "nickname": "Rent",
    "payerReference": "Rent",
    "payeeReference": "Unit 4",
    "status": "ACTIVE",
    "from": {"accountId": "acc-1"},
    "paymentSet": [{
        "to": {"toUType": "domestic", "nickname": "Landlord",
               "domestic": {"payeeAccountUType": "account",
                            "account": {"accountName": "L Lord", "bsb": "062000", "accountNumber": "12345678"}}},
        "amount": "450.00",
        "currency": "AUD",
    }],
    "recurrence": {"nextPaymentDate": "2026-03-07", "recurrenceUType": "intervalSchedule",
                   "intervalSchedule": {"intervals": [{"interval": "P1W"}], "nonBusinessDayTreatment": "AFTER"}},
}

VALID_BODIES: dict[tuple[str, int], dict[str, Any]] = {
    ("listBankingAccounts", 2): {
        "data": {"accounts": [ACCOUNT_V2]}, "links": LINKS_PAGINATED, "meta": META_PAGINATED,
    },
    ("getBankingAccountDetail", 4): {
        "data": {
            **ACCOUNT_V2,
            "productCategory": "RESIDENTIAL_MORTGAGES",
            "bsb": "062000",
            "accountNumber": "12341234",
            "specificAccountUType": "loan",
            "loan": {"loanEndDate": "2050-01-31", "minInstalmentAmount": "1250.00",
                     "repaymentType": "PRINCIPAL_AND_INTEREST", "offsetAccountEnabled": True,
                     "offsetAccountIds": ["acc-2"]},
            "lendingRate": "0.0599",
            "lendingRates": [{"lendingRateType": "VARIABLE", "rate": "0.0599", "applicationType": "PERIODIC",
                              "applicationFrequency": "P1M", "repaymentType": "PRINCIPAL_AND_INTEREST",
                              "loanPurpose": "OWNER_OCCUPIED"}],
            "features": [{"featureType": "OFFSET", "isActivated": "ACTIVATED"}],
            "fees": [{"name": "Monthly fee", "feeType": "PERIODIC", "feeMethodUType": "fixedAmount",
                      "fixedAmount": {"amount": "10.00"}, "additionalValue": "P1M"}],
            "addresses": [{"addressUType": "simple",
                           "simple": {"addressLine1": "1 George St", "postcode": "2000", "city": "Sydney",
                                      "state": "NSW"}}],
        },
        "links": {"self": "https://bank.example/cds-au/v1/banking/accounts/acc-1"},
        "meta": {},
    },
    ("listBankingBalancesBulk", 1): {
        "data": {"balances": [{"accountId": "acc-1", "currentBalance": "-12.34", "availableBalance": "100.00",
                               "creditLimit": "1000.00", "currency": "AUD",
                               "purses": [{"amount": "12.00", "currency": "USD"}]}]},
        "links": LINKS_PAGINATED, "meta": META_PAGINATED,
    },
    ("listBankingTransactions", 1): {
        "data": {"transactions": [TRANSACTION_V1]}, "links": LINKS_PAGINATED,
        "meta": {**META_PAGINATED, "isQueryParamUnsupported": True},
    },
    ("getBankingTransactionDetail", 2): {
        "data": {**TRANSACTION_V1,
                 "extendedData": {"payee": "Cafe", "extensionUType": "nppPayload",
                                  "nppPayload": {"extendedDescription": "Flat white", "endToEndId": "E2E-1",
                                                 "service": "X2P1", "serviceVersion": "03"}}},
        "links": {"self": "https://bank.example/cds-au/v1/banking/accounts/acc-1/transactions/txn-1"},
        "meta": {},
    },
    ("listDirectDebitsBulk", 1): {
        "data": {"directDebitAuthorisations": [{
            "accountId": "acc-1",
            "authorisedEntity": {"description": "Gym", "financialInstitution": "Bank of Gyms", "abn": "12345678901"},
            "lastDebitDateTime": NOW, "lastDebitAmount": "25.00"}]},
        "links": LINKS_PAGINATED, "meta": META_PAGINATED,
    },
    ("listScheduledPaymentsBulk", 2): {
        "data": {"scheduledPayments": [SCHEDULED_PAYMENT]}, "links": LINKS_PAGINATED, "meta": META_PAGINATED,
    },
}


def body(key: tuple[str, int]) -> dict[str, Any]:
    return copy.deepcopy(VALID_BODIES[key])


def current_version(operation_id: str) -> int:
    return int(operation(operation_id)["x-version"])


# --------------------------------------------------------------------------- coverage and wiring


def test_every_legacy_version_in_the_brief_is_covered():
    assert set(VALID_BODIES) == set(OBSOLETE_PAGES) == set(ROOT_COMPONENTS) == {
        ("listBankingAccounts", 2), ("getBankingAccountDetail", 4), ("listBankingBalancesBulk", 1),
        ("listBankingTransactions", 1), ("getBankingTransactionDetail", 2), ("listDirectDebitsBulk", 1),
        ("listScheduledPaymentsBulk", 2),
    }
    for operation_id, version in OBSOLETE_PAGES:
        assert version == current_version(operation_id) - 1, operation_id


@pytest.mark.parametrize("key", sorted(VALID_BODIES))
def test_minimal_valid_body_passes_the_legacy_schema(key):
    operation_id, version = key
    assert validate_body(body(key), operation_id, 200, version=version) == []


@pytest.mark.parametrize("key", sorted(VALID_BODIES))
def test_the_three_checks_still_run_on_legacy_schemas(key):
    operation_id, version = key
    broken = body(key)
    broken["links"]["self"] = "not a uri"  # x-cds-type URIString
    broken["meta"]["surprise"] = 1  # undeclared property
    broken.pop("data")  # JSON Schema: data is required
    problems = "\n".join(validate_body(broken, operation_id, 200, version=version))
    assert "URIString" in problems
    assert "surprise: not declared" in problems
    assert "'data' is a required property" in problems


@pytest.mark.parametrize("key", sorted(VALID_BODIES))
def test_legacy_error_bodies_use_the_common_error_schema(key):
    operation_id, version = key
    error = {"code": "urn:au-cds:error:cds-all:Header/UnsupportedVersion", "title": "Unsupported Version",
             "detail": "x-v 9"}
    assert validate_body({"errors": [error]}, operation_id, 406, version=version) == []
    assert validate_body({"errors": [{**error, "title": "Nope"}]}, operation_id, 406, version=version)


@pytest.mark.parametrize(("operation_id", "version"), [
    ("listBankingAccounts", 1),  # retired 2024-03-11
    ("listBankingAccounts", 4),
    ("getBankingAccountDetail", 3),
    ("listBankingTransactions", 0),
    ("getStatus", 2),
    ("listBankingBalancesSpecificAccounts", 0),
])
def test_unknown_versions_raise(operation_id, version):
    with pytest.raises(AssertionError, match="version"):
        validate_body({}, operation_id, 200, version=version)


def test_current_version_number_keeps_the_1_36_0_schema():
    v3_account = {**ACCOUNT_V2, "isInstalmentDetailAvailable": True, "productCategory": "BUY_NOW_PAY_LATER"}
    v3_body = {"data": {"accounts": [v3_account]}, "links": LINKS_PAGINATED, "meta": META_PAGINATED}
    assert validate_body(v3_body, "listBankingAccounts", 200, version=3) == []
    assert validate_body(v3_body, "listBankingAccounts", 200) == []


def test_building_legacy_schemas_leaves_the_1_36_0_components_alone():
    for key in OBSOLETE_PAGES:
        legacy_spec(*key)
    from tests.cdr_schema import _operations  # the cached 1.36.0 spec the helper validates with

    schemas = _operations()["listBankingAccounts"][1]["components"]["schemas"]
    pristine = json.loads((SPEC_DIR / "cds_banking.json").read_text())["components"]["schemas"]
    assert schemas == pristine
    assert "BankingAccountV2" not in schemas


class FakeResponse:
    def __init__(self, payload: dict[str, Any], x_v: str, status: int = 200):
        self.status_code = status
        self._payload = payload
        self.headers = {"Content-Type": "application/json", "x-v": x_v}

    def __getitem__(self, name: str) -> str:
        return self.headers[name]

    def json(self) -> dict[str, Any]:
        return self._payload


def test_assert_cdr_response_accepts_a_legacy_version_with_matching_x_v():
    key = ("listBankingAccounts", 2)
    assert assert_cdr_response(FakeResponse(body(key), "2"), "listBankingAccounts", version=2) == body(key)


def test_assert_cdr_response_rejects_wrong_x_v_and_v3_only_fields():
    key = ("listBankingAccounts", 2)
    with pytest.raises(AssertionError):
        assert_cdr_response(FakeResponse(body(key), "3"), "listBankingAccounts", version=2)
    v3_only = body(key)
    v3_only["data"]["accounts"][0]["isInstalmentDetailAvailable"] = False
    with pytest.raises(AssertionError, match="listBankingAccounts v2 200 body is not CDS-valid"):
        assert_cdr_response(FakeResponse(v3_only, "2"), "listBankingAccounts", version=2)


# --------------------------------------------------------------------------- documented deltas


def _judged(key: tuple[str, int], mutated: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Problems the legacy version and the 1.36.0 version find in the same mutated body."""
    operation_id, version = key
    return (validate_body(mutated, operation_id, 200, version=version),
            validate_body(mutated, operation_id, 200))


def _set(path: str, value: Any):
    def mutate(b: dict[str, Any]) -> None:
        node: Any = b
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        node[parts[-1]] = value
    return mutate


INSTALMENTS = {"maximumConcurrentPlans": 2, "instalmentsLimit": "500.00", "minimumSplit": 4, "maximumSplit": 4}

# (key, mutation, text expected in the legacy problems) -- the 1.36.0 version must accept the body.
NEWER_ONLY = [
    # get-accounts-v2: no isInstalmentDetailAvailable; productCategory has no BUY_NOW_PAY_LATER.
    (("listBankingAccounts", 2), _set("data.accounts.0.isInstalmentDetailAvailable", True),
     "isInstalmentDetailAvailable: not declared"),
    (("listBankingAccounts", 2), _set("data.accounts.0.productCategory", "BUY_NOW_PAY_LATER"),
     "'BUY_NOW_PAY_LATER' is not one of"),
    # get-account-detail-v4: no instalments, no isInstalmentDetailAvailable, no BNPL, no EXTRA_DOWN_PAYMENT.
    (("getBankingAccountDetail", 4), _set("data.instalments", INSTALMENTS), "instalments: not declared"),
    (("getBankingAccountDetail", 4), _set("data.isInstalmentDetailAvailable", True),
     "isInstalmentDetailAvailable: not declared"),
    (("getBankingAccountDetail", 4), _set("data.productCategory", "BUY_NOW_PAY_LATER"),
     "'BUY_NOW_PAY_LATER' is not one of"),
    (("getBankingAccountDetail", 4), _set("data.features.0.featureType", "EXTRA_DOWN_PAYMENT"),
     "'EXTRA_DOWN_PAYMENT' is not one of"),
    # get-transactions-for-account-v1 / get-transaction-detail-v2: no instalmentPlanId.
    (("listBankingTransactions", 1), _set("data.transactions.0.instalmentPlanId", "plan-1"),
     "instalmentPlanId: not declared"),
    (("getBankingTransactionDetail", 2), _set("data.instalmentPlanId", "plan-1"),
     "instalmentPlanId: not declared"),
]


@pytest.mark.parametrize(("key", "mutate", "problem"), NEWER_ONLY)
def test_newer_version_only_content_is_rejected_by_the_legacy_schema(key, mutate, problem):
    mutated = body(key)
    mutate(mutated)
    legacy, current = _judged(key, mutated)
    assert current == [], current
    assert any(problem in p for p in legacy), legacy


# Mutations both versions must reject: the legacy schema kept what did not change.
BOTH_REJECT = [
    (("listBankingAccounts", 2), lambda b: b["data"]["accounts"][0].pop("accountOwnership"), "accountOwnership"),
    (("listBankingAccounts", 2), _set("data.accounts.0.maskedNumber", "062000 12345678"), "MaskedAccountString"),
    (("listBankingAccounts", 2), _set("data.accounts.0.productCategory", "SAVINGS"), "'SAVINGS' is not one of"),
    (("getBankingAccountDetail", 4), _set("data.loan.minInstalmentAmount", "1250"), "AmountString"),
    (("getBankingAccountDetail", 4), _set("data.features.0.isActivated", "YES"), "'YES' is not one of"),
    (("getBankingAccountDetail", 4), lambda b: b["data"]["loan"].pop("repaymentType"), "repaymentType"),
    (("getBankingAccountDetail", 4), _set("data.fees.0.feeType", "MYSTERY"), "'MYSTERY' is not one of"),
    (("listBankingBalancesBulk", 1), _set("data.balances.0.purses.0.amount", "12"), "AmountString"),
    (("listBankingBalancesBulk", 1), lambda b: b["data"]["balances"][0].pop("availableBalance"), "availableBalance"),
    (("listBankingTransactions", 1), _set("data.transactions.0.postingDateTime", "2026-03-01T09:30:00"),
     "DateTimeString"),
    (("listBankingTransactions", 1), _set("meta.isQueryParamUnsupported", "yes"), "is not of type 'boolean'"),
    (("getBankingTransactionDetail", 2), lambda b: b["data"].pop("extendedData"), "extendedData"),
    (("getBankingTransactionDetail", 2), _set("data.extendedData.nppPayload.service", "OSKO"), "'OSKO' is not one of"),
    (("listDirectDebitsBulk", 1), _set("data.directDebitAuthorisations.0.lastDebitAmount", "25"), "AmountString"),
    (("listDirectDebitsBulk", 1), _set("data.directDebitAuthorisations.0.authorisedEntity.name", "Gym"),
     "name: not declared"),
    (("listScheduledPaymentsBulk", 2), _set("data.scheduledPayments.0.status", "PAUSED"), "'PAUSED' is not one of"),
    (("listScheduledPaymentsBulk", 2), _set("data.scheduledPayments.0.recurrence.intervalSchedule.paymentsRemaining", 0),
     "PositiveInteger"),
]


@pytest.mark.parametrize(("key", "mutate", "problem"), BOTH_REJECT)
def test_unchanged_rules_still_apply_in_the_legacy_schema(key, mutate, problem):
    mutated = body(key)
    mutate(mutated)
    legacy, current = _judged(key, mutated)
    assert any(problem in p for p in legacy), legacy
    assert any(problem in p for p in current), current


def _component(key: tuple[str, int], name: str) -> dict[str, Any]:
    return legacy_spec(*key)["components"]["schemas"][name]


def _current_component(name: str) -> dict[str, Any]:
    from tests.cdr_schema import _operations

    return _operations()["listBankingAccounts"][1]["components"]["schemas"][name]


def test_legacy_components_carry_the_obsolete_page_names():
    accounts = legacy_spec("listBankingAccounts", 2)["components"]["schemas"]
    assert accounts["ResponseBankingAccountListV2"]["properties"]["meta"]["$ref"].endswith("/MetaPaginated")
    assert "isInstalmentDetailAvailable" not in accounts["BankingAccountV2"]["properties"]
    assert "BUY_NOW_PAY_LATER" not in accounts["BankingProductCategory"]["enum"]
    detail = legacy_spec("getBankingAccountDetail", 4)["components"]["schemas"]
    assert [p["$ref"].split("/")[-1] for p in detail["BankingAccountDetailV4"]["allOf"]] == [
        "BankingAccountV2", "BankingAccountDetailV4_allOf"]
    assert "EXTRA_DOWN_PAYMENT" not in detail["BankingProductFeatureV3"]["properties"]["featureType"]["enum"]
    transactions = legacy_spec("listBankingTransactions", 1)["components"]["schemas"]
    assert transactions["ResponseBankingTransactionList"]["properties"]["meta"]["$ref"].endswith(
        "/MetaPaginatedTransaction")
    detail_v2 = legacy_spec("getBankingTransactionDetail", 2)["components"]["schemas"]
    assert detail_v2["BankingTransactionDetailV2"]["allOf"][0]["$ref"].endswith("/BankingTransaction")


@pytest.mark.parametrize(("key", "component", "prop", "current_default"), [
    # get-bulk-balances-v1: no declared default (1.36.0 added "0.00" in place).
    (("listBankingBalancesBulk", 1), "BankingBalance", "creditLimit", "0.00"),
    (("listBankingBalancesBulk", 1), "BankingBalance", "amortisedLimit", "0.00"),
    # get-scheduled-payments-bulk-v2: no declared default (1.36.0 added "P1D" in place).
    (("listScheduledPaymentsBulk", 2), "BankingScheduledPaymentInterval", "dayInInterval", "P1D"),
])
def test_defaults_added_in_place_by_1_36_0_are_absent_from_the_legacy_schema(key, component, prop, current_default):
    assert "default" not in _component(key, component)["properties"][prop]
    assert _current_component(component)["properties"][prop]["default"] == current_default


LEGACY_CATEGORIES = {"BUSINESS_LOANS", "CRED_AND_CHRG_CARDS", "LEASES", "MARGIN_LOANS", "OVERDRAFTS", "PERS_LOANS",
                     "REGULATED_TRUST_ACCOUNTS", "RESIDENTIAL_MORTGAGES", "TERM_DEPOSITS", "TRADE_FINANCE",
                     "TRANS_AND_SAVINGS_ACCOUNTS", "TRAVEL_CARDS"}


@pytest.mark.parametrize("key", [("listBankingAccounts", 2), ("listBankingBalancesBulk", 1),
                                 ("listDirectDebitsBulk", 1), ("listScheduledPaymentsBulk", 2)])
def test_bulk_legacy_versions_do_not_accept_the_bnpl_product_category_filter(key):
    params = legacy_query_parameters(*key)
    assert list(params) == ["product-category", "open-status", "is-owned", "page", "page-size"]
    assert set(params["product-category"]["enum"]) == LEGACY_CATEGORIES
    assert set(_current_component("BankingProductCategoryV2")["enum"]) == LEGACY_CATEGORIES | {"BUY_NOW_PAY_LATER"}
    assert params["open-status"]["enum"] == ["ALL", "CLOSED", "OPEN"]


def test_transactions_v1_accepts_the_same_query_parameters_as_v2():
    params = legacy_query_parameters("listBankingTransactions", 1)
    assert list(params) == ["oldest-time", "newest-time", "min-amount", "max-amount", "text", "page", "page-size"]
    current = {p["name"]: p["schema"] for p in operation("listBankingTransactions")["parameters"] if p["in"] == "query"}
    assert params == current


@pytest.mark.parametrize("key", [("getBankingAccountDetail", 4), ("getBankingTransactionDetail", 2)])
def test_detail_versions_take_no_query_parameters(key):
    assert legacy_query_parameters(*key) == {}
