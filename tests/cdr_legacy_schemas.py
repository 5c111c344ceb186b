"""200-response schemas of the older endpoint versions a data holder still serves under 1.36.0.

The vendored 1.36.0 OpenAPI files (tests/cdr_spec/) only describe the newest version of each
endpoint. The versions below stay binding until 2026-12-07 (endpoint version schedule,
`_banking-dh.md`), so their official schemas are rebuilt here from the 1.36.0 components plus
explicit deltas. Each delta was read off the version's obsolete page in
ConsumerDataStandardsAustralia/standards, `slate/source/includes/obsolete/<page>` (pages named
in OBSOLETE_PAGES; they were generated from the pre-1.35.0 swagger), and carries a one-line
comment naming that page.

Every legacy (operationId, version) pair gets its own deep copy of the 1.36.0 banking
components, so version-specific components (BankingAccountV2, ...) and components that 1.36.0
changed in place without a version bump can both be expressed, and every `$ref` resolves inside
one components dict.

Public API (used by tests/cdr_schema.py):
    is_legacy(op, version)             -> bool
    legacy_response_schema(op, version) -> (schema, spec) for the 200 response
    legacy_spec(op, version)           -> {"components": {"schemas": {...}}} (read-only)
    legacy_query_parameters(op, version) -> {name: schema} of the query parameters accepted
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).parent / "cdr_spec"
BANKING_SPEC = SPEC_DIR / "cds_banking.json"

OBSOLETE_DIR = "slate/source/includes/obsolete/"

# (operationId, older version) -> obsolete page the deltas come from (under OBSOLETE_DIR).
OBSOLETE_PAGES: dict[tuple[str, int], str] = {
    ("listBankingAccounts", 2): "get-accounts-v2.html.md",
    ("getBankingAccountDetail", 4): "get-account-detail-v4.html.md",
    ("listBankingBalancesBulk", 1): "get-bulk-balances-v1.html.md",
    ("listBankingTransactions", 1): "get-transactions-for-account-v1.html.md",
    ("getBankingTransactionDetail", 2): "get-transaction-detail-v2.html.md",
    ("listDirectDebitsBulk", 1): "get-bulk-direct-debits-v1.html.md",
    ("listScheduledPaymentsBulk", 2): "get-scheduled-payments-bulk-v2.html.md",
}

# (operationId, older version) -> the 200 response component named on the obsolete page.
ROOT_COMPONENTS: dict[tuple[str, int], str] = {
    ("listBankingAccounts", 2): "ResponseBankingAccountListV2",
    ("getBankingAccountDetail", 4): "ResponseBankingAccountByIdV4",
    ("listBankingBalancesBulk", 1): "ResponseBankingAccountsBalanceList",
    ("listBankingTransactions", 1): "ResponseBankingTransactionList",
    ("getBankingTransactionDetail", 2): "ResponseBankingTransactionByIdV2",
    ("listDirectDebitsBulk", 1): "ResponseBankingDirectDebitAuthorisationList",
    ("listScheduledPaymentsBulk", 2): "ResponseBankingScheduledPaymentsListV2",
}

Schemas = dict[str, Any]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# --------------------------------------------------------------------------- delta primitives


def _clone(schemas: Schemas, source: str, target: str) -> dict[str, Any]:
    """Add `target` as a deep copy of the 1.36.0 component `source`; return the copy."""
    assert target not in schemas or target == source, f"{target} already exists"
    schemas[target] = copy.deepcopy(schemas[source])
    return schemas[target]


def _drop_property(schema: dict[str, Any], name: str) -> None:
    assert name in schema["properties"], name
    del schema["properties"][name]
    if name in schema.get("required", []):
        schema["required"].remove(name)
    if name in schema.get("x-conditional", []):
        schema["x-conditional"].remove(name)


def _drop_enum_value(schema: dict[str, Any], value: str) -> None:
    assert value in schema["enum"], value
    schema["enum"].remove(value)


def _drop_default(schema: dict[str, Any], prop: str) -> None:
    assert "default" in schema["properties"][prop], prop
    del schema["properties"][prop]["default"]


def _retarget(node: Any, old: str, new: str) -> int:
    """Point every `$ref` to component `old` inside `node` at component `new`; return the count."""
    count = 0
    if isinstance(node, dict):
        if node.get("$ref") == f"#/components/schemas/{old}":
            node["$ref"] = f"#/components/schemas/{new}"
            count += 1
        for key, value in node.items():
            if key != "$ref":
                count += _retarget(value, old, new)
    elif isinstance(node, list):
        for item in node:
            count += _retarget(item, old, new)
    return count


def _must_retarget(node: Any, old: str, new: str) -> None:
    assert _retarget(node, old, new), f"no $ref to {old} to replace"


# --------------------------------------------------------------------------- shared legacy components


def _banking_product_category_v1(s: Schemas) -> None:
    # get-accounts-v2.html.md (also bulk-balances-v1, bulk-direct-debits-v1, scheduled-payments-bulk-v2):
    # BankingProductCategory has every BankingProductCategoryV2 value except BUY_NOW_PAY_LATER.
    _drop_enum_value(_clone(s, "BankingProductCategoryV2", "BankingProductCategory"), "BUY_NOW_PAY_LATER")


def _banking_account_v2(s: Schemas) -> None:
    _banking_product_category_v1(s)
    account = _clone(s, "BankingAccountV3", "BankingAccountV2")
    # get-accounts-v2.html.md: BankingAccountV2 has no isInstalmentDetailAvailable (new in V3).
    _drop_property(account, "isInstalmentDetailAvailable")
    # get-accounts-v2.html.md: BankingAccountV2.productCategory is BankingProductCategory (no BNPL).
    _must_retarget(account["properties"]["productCategory"], "BankingProductCategoryV2", "BankingProductCategory")


def _banking_transaction_v1(s: Schemas) -> None:
    transaction = _clone(s, "BankingTransactionV2", "BankingTransaction")
    # get-transactions-for-account-v1.html.md: BankingTransaction has no instalmentPlanId (new in V2).
    _drop_property(transaction, "instalmentPlanId")


# --------------------------------------------------------------------------- per-version builders


def _list_banking_accounts_v2(s: Schemas) -> None:
    _banking_account_v2(s)
    data = _clone(s, "ResponseBankingAccountListV3_data", "ResponseBankingAccountListV2_data")
    # get-accounts-v2.html.md: data.accounts is an array of BankingAccountV2 (not BankingAccountV3).
    _must_retarget(data, "BankingAccountV3", "BankingAccountV2")
    response = _clone(s, "ResponseBankingAccountListV3", "ResponseBankingAccountListV2")
    # get-accounts-v2.html.md: ResponseBankingAccountListV2 keeps LinksPaginated and MetaPaginated.
    _must_retarget(response, "ResponseBankingAccountListV3_data", "ResponseBankingAccountListV2_data")


def _get_banking_account_detail_v4(s: Schemas) -> None:
    _banking_account_v2(s)
    feature = _clone(s, "BankingProductFeatureV4", "BankingProductFeatureV3")
    # get-account-detail-v4.html.md: BankingProductFeatureV3.featureType lacks EXTRA_DOWN_PAYMENT.
    _drop_enum_value(feature["properties"]["featureType"], "EXTRA_DOWN_PAYMENT")
    extra = _clone(s, "BankingAccountDetailV5_allOf", "BankingAccountDetailV4_allOf")
    # get-account-detail-v4.html.md: BankingAccountDetailV4 has no instalments (BankingProductInstalments).
    _drop_property(extra, "instalments")
    # get-account-detail-v4.html.md: features[] is allOf BankingProductFeatureV3 + isActivated.
    _must_retarget(extra["properties"]["features"], "BankingProductFeatureV4", "BankingProductFeatureV3")
    detail = _clone(s, "BankingAccountDetailV5", "BankingAccountDetailV4")
    # get-account-detail-v4.html.md: BankingAccountDetailV4 is allOf BankingAccountV2 and the object above.
    _must_retarget(detail, "BankingAccountV3", "BankingAccountV2")
    _must_retarget(detail, "BankingAccountDetailV5_allOf", "BankingAccountDetailV4_allOf")
    response = _clone(s, "ResponseBankingAccountByIdV5", "ResponseBankingAccountByIdV4")
    # get-account-detail-v4.html.md: ResponseBankingAccountByIdV4.data is BankingAccountDetailV4.
    _must_retarget(response, "BankingAccountDetailV5", "BankingAccountDetailV4")


def _list_banking_balances_bulk_v1(s: Schemas) -> None:
    # get-bulk-balances-v1.html.md: the product-category query parameter is BankingProductCategory.
    _banking_product_category_v1(s)
    # ResponseBankingAccountsBalanceList, BankingBalance and BankingBalancePurse are structurally
    # the same in v1; 1.36.0 only added declared defaults in place (no version bump):
    # get-bulk-balances-v1.html.md: BankingBalance.creditLimit declares no default (1.36.0: "0.00").
    _drop_default(s["BankingBalance"], "creditLimit")
    # get-bulk-balances-v1.html.md: BankingBalance.amortisedLimit declares no default (1.36.0: "0.00").
    _drop_default(s["BankingBalance"], "amortisedLimit")


def _list_banking_transactions_v1(s: Schemas) -> None:
    _banking_transaction_v1(s)
    data = _clone(s, "ResponseBankingTransactionListV2_data", "ResponseBankingTransactionList_data")
    # get-transactions-for-account-v1.html.md: data.transactions is an array of BankingTransaction.
    _must_retarget(data, "BankingTransactionV2", "BankingTransaction")
    response = _clone(s, "ResponseBankingTransactionListV2", "ResponseBankingTransactionList")
    # get-transactions-for-account-v1.html.md: meta is MetaPaginatedTransaction here too (unchanged).
    _must_retarget(response, "ResponseBankingTransactionListV2_data", "ResponseBankingTransactionList_data")


def _get_banking_transaction_detail_v2(s: Schemas) -> None:
    _banking_transaction_v1(s)
    # get-transaction-detail-v2.html.md: the extendedData object (payer, payee, extensionUType,
    # nppPayload{extendedDescription, endToEndId, purposeCode, service, serviceVersion}) is unchanged.
    _clone(s, "BankingTransactionDetailV3_allOf", "BankingTransactionDetailV2_allOf")
    detail = _clone(s, "BankingTransactionDetailV3", "BankingTransactionDetailV2")
    # get-transaction-detail-v2.html.md: BankingTransactionDetailV2 is allOf BankingTransaction (no instalmentPlanId).
    _must_retarget(detail, "BankingTransactionV2", "BankingTransaction")
    _must_retarget(detail, "BankingTransactionDetailV3_allOf", "BankingTransactionDetailV2_allOf")
    response = _clone(s, "ResponseBankingTransactionByIdV3", "ResponseBankingTransactionByIdV2")
    # get-transaction-detail-v2.html.md: ResponseBankingTransactionByIdV2.data is BankingTransactionDetailV2.
    _must_retarget(response, "BankingTransactionDetailV3", "BankingTransactionDetailV2")


def _list_direct_debits_bulk_v1(s: Schemas) -> None:
    # get-bulk-direct-debits-v1.html.md: ResponseBankingDirectDebitAuthorisationList, BankingDirectDebit
    # and BankingAuthorisedEntity are identical to 1.36.0; v1 differs only in its query parameters:
    # get-bulk-direct-debits-v1.html.md: the product-category query parameter is BankingProductCategory.
    _banking_product_category_v1(s)


def _list_scheduled_payments_bulk_v2(s: Schemas) -> None:
    # get-scheduled-payments-bulk-v2.html.md: the product-category query parameter is BankingProductCategory.
    _banking_product_category_v1(s)
    # get-scheduled-payments-bulk-v2.html.md: ResponseBankingScheduledPaymentsListV2 and all nested
    # components are the same; 1.36.0 only added a declared default in place (no version bump):
    # get-scheduled-payments-bulk-v2.html.md: BankingScheduledPaymentInterval.dayInInterval has no default (1.36.0: "P1D").
    _drop_default(s["BankingScheduledPaymentInterval"], "dayInInterval")


_BUILDERS: dict[tuple[str, int], Callable[[Schemas], None]] = {
    ("listBankingAccounts", 2): _list_banking_accounts_v2,
    ("getBankingAccountDetail", 4): _get_banking_account_detail_v4,
    ("listBankingBalancesBulk", 1): _list_banking_balances_bulk_v1,
    ("listBankingTransactions", 1): _list_banking_transactions_v1,
    ("getBankingTransactionDetail", 2): _get_banking_transaction_detail_v2,
    ("listDirectDebitsBulk", 1): _list_direct_debits_bulk_v1,
    ("listScheduledPaymentsBulk", 2): _list_scheduled_payments_bulk_v2,
}

# Query parameters whose schema differs from 1.36.0 in the older version: name -> component.
_QUERY_DELTAS: dict[tuple[str, int], dict[str, str]] = {
    # get-accounts-v2.html.md: product-category is BankingProductCategory (no BUY_NOW_PAY_LATER).
    ("listBankingAccounts", 2): {"product-category": "BankingProductCategory"},
    # get-bulk-balances-v1.html.md: product-category is BankingProductCategory (no BUY_NOW_PAY_LATER).
    ("listBankingBalancesBulk", 1): {"product-category": "BankingProductCategory"},
    # get-transactions-for-account-v1.html.md: oldest-time, newest-time, min-amount, max-amount, text, page, page-size as v2.
    ("listBankingTransactions", 1): {},
    # get-bulk-direct-debits-v1.html.md: product-category is BankingProductCategory (no BUY_NOW_PAY_LATER).
    ("listDirectDebitsBulk", 1): {"product-category": "BankingProductCategory"},
    # get-scheduled-payments-bulk-v2.html.md: product-category is BankingProductCategory (no BUY_NOW_PAY_LATER).
    ("listScheduledPaymentsBulk", 2): {"product-category": "BankingProductCategory"},
    # get-account-detail-v4.html.md / get-transaction-detail-v2.html.md: path parameters only.
    ("getBankingAccountDetail", 4): {},
    ("getBankingTransactionDetail", 2): {},
}


# --------------------------------------------------------------------------- public API


@cache
def _banking_spec() -> dict[str, Any]:
    return json.loads(BANKING_SPEC.read_text())


def _operation(operation_id: str) -> dict[str, Any]:
    for item in _banking_spec()["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise AssertionError(f"{operation_id} is not a 1.36.0 banking operation")


def is_legacy(operation_id: str, version: int) -> bool:
    return (operation_id, version) in _BUILDERS


def _check(operation_id: str, version: int) -> None:
    if not is_legacy(operation_id, version):
        known = sorted(v for (op, v) in _BUILDERS if op == operation_id)
        raise AssertionError(f"no schema for {operation_id} version {version} "
                             f"(older versions still served: {known or 'none'})")


@cache
def legacy_spec(operation_id: str, version: int) -> dict[str, Any]:
    """A spec-like dict whose components hold the older version's schemas. Do not mutate it."""
    _check(operation_id, version)
    schemas = copy.deepcopy(_banking_spec()["components"]["schemas"])
    _BUILDERS[(operation_id, version)](schemas)
    root = ROOT_COMPONENTS[(operation_id, version)]
    assert root in schemas, root
    return {"info": {"title": f"{operation_id} v{version} (obsolete page "
                              f"{OBSOLETE_DIR}{OBSOLETE_PAGES[(operation_id, version)]})"},
            "components": {"schemas": schemas}}


def legacy_response_schema(operation_id: str, version: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(schema, spec) of the older version's 200 response."""
    spec = legacy_spec(operation_id, version)
    return _ref(ROOT_COMPONENTS[(operation_id, version)]), spec


def legacy_query_parameters(operation_id: str, version: int) -> dict[str, dict[str, Any]]:
    """Query parameters the older version accepts: name -> schema (component refs resolved)."""
    _check(operation_id, version)
    schemas = legacy_spec(operation_id, version)["components"]["schemas"]
    result: dict[str, dict[str, Any]] = {}
    for param in _operation(operation_id).get("parameters", []):
        if param.get("in") != "query":
            continue
        schema = param["schema"]
        override = _QUERY_DELTAS[(operation_id, version)].get(param["name"])
        if override is not None:
            schema = _ref(override)
        if "$ref" in schema:
            schema = schemas[schema["$ref"].split("/")[-1]]
        result[param["name"]] = copy.deepcopy(schema)
    return result
