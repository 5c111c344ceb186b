"""The bank's OpenAPI document against the official CDS 1.36.0 files (tests/cdr_spec).

Both directions: every official operation of cds_banking / cds_common / cds_admin is in the
bank's document (none is left out: NOT_IMPLEMENTED is empty and checked), and every CDR path
of the bank's document is in the standard. For each operation: the operationId, the current
version, the scopes, the parameters (name, in, required, schema), the request body, and every
response the standard lists (the 200 body and the error list), compared structurally after
resolving `$ref`s on both sides (tests/openapi/comparator.py).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bank.openapi import official
from bank.openapi.schema import BANK_ERRORS
from bank.openapi.views import openapi_document
from tests.cdr_schema import SPEC_DIR
from tests.openapi.comparator import resolve, schema_diff

Json = dict[str, Any]
PREFIX = "/cds-au/v1"
OFFICIAL_FILES = ("cds_banking.json", "cds_common.json", "cds_admin.json")
#: Official operations the bank does not serve, with the reason. None today: a CDS 1.36.0
#: banking data holder serves every one of them (README "Authenticated endpoints").
NOT_IMPLEMENTED: dict[tuple[str, str], str] = {}
#: Parameters the bank documents where the standard's operation does not list them.
EXTRA_PARAMETERS = {
    # The bank reads x-fapi-interaction-id on every call (security/middleware.py): echoed
    # when it is a UUID, refused with 400 Header/Invalid otherwise, public and admin
    # endpoints included, whose official parameter lists stop at x-v / x-min-v.
    ("x-fapi-interaction-id", "header"),
}


def _official() -> list[tuple[str, str, Json, Json]]:
    """(path, method, operation, its whole file) for every official operation."""
    found = []
    for name in OFFICIAL_FILES:
        spec = json.loads((SPEC_DIR / name).read_text())
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    found.append((path, method, operation, spec))
    return found


OFFICIAL = _official()
IDS = [f"{method.upper()} {path}" for path, method, _, _ in OFFICIAL]


@pytest.fixture(scope="module")
def ours() -> Json:
    return copy.deepcopy(openapi_document())


def _our_operation(ours: Json, path: str, method: str) -> Json:
    item = ours["paths"].get(PREFIX + path)
    assert item is not None and method in item, f"{method.upper()} {path} is not documented"
    return item[method]


def _parameters(operation: Json, document: Json) -> dict[tuple[str, str], Json]:
    resolved = (resolve(p, document) for p in operation.get("parameters", []))
    return {(p["name"], p["in"]): p for p in resolved}


def parameter_differences(ours_op: Json, ours: Json, their_op: Json, theirs: Json) -> list[str]:
    mine, official_params = _parameters(ours_op, ours), _parameters(their_op, theirs)
    out = []
    for key in sorted(set(official_params) - set(mine)):
        out.append(f"parameter {key}: missing")
    for key in sorted(set(mine) - set(official_params) - EXTRA_PARAMETERS):
        out.append(f"parameter {key}: not in the standard")
    for key in sorted(set(mine) & set(official_params)):
        if mine[key].get("required", False) != official_params[key].get("required", False):
            out.append(f"parameter {key}: required {mine[key].get('required')}, the standard "
                       f"{official_params[key].get('required')}")
        out += [f"parameter {key}: {line}" for line in schema_diff(
            mine[key].get("schema", {}), ours, official_params[key].get("schema", {}), theirs)]
    return out


def _body(holder: Json, document: Json) -> Any:
    holder = resolve(holder, document)
    return holder.get("content", {}).get("application/json", {}).get("schema")


def response_differences(ours_op: Json, ours: Json, their_op: Json, theirs: Json) -> list[str]:
    out = []
    for status, response in their_op["responses"].items():
        mine = ours_op["responses"].get(status)
        if mine is None:
            out.append(f"response {status}: missing")
            continue
        out += [f"response {status}: {line}" for line in schema_diff(
            _body(mine, ours), ours, _body(response, theirs), theirs)]
    return out


# Both directions ---------------------------------------------------------------------------
def test_every_official_operation_is_documented_unless_listed(ours):
    for path, method, _, _ in OFFICIAL:
        documented = method in ours["paths"].get(PREFIX + path, {})
        assert documented != ((path, method) in NOT_IMPLEMENTED), (method, path)


def test_every_cdr_operation_documented_is_in_the_standard(ours):
    official_keys = {(path, method) for path, method, _, _ in OFFICIAL}
    cdr = [(path[len(PREFIX):], method) for path, item in ours["paths"].items()
           if path.startswith(PREFIX) for method in item]
    assert len(cdr) == len(official_keys) - len(NOT_IMPLEMENTED)
    assert set(cdr) <= official_keys, set(cdr) - official_keys


# Per operation -----------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "method", "theirs_op", "theirs"), OFFICIAL, ids=IDS)
def test_operation_matches_the_standard(ours, path, method, theirs_op, theirs):
    if (path, method) in NOT_IMPLEMENTED:
        pytest.skip(NOT_IMPLEMENTED[(path, method)])
    mine = _our_operation(ours, path, method)
    assert mine["operationId"] == theirs_op["operationId"]
    # The current version is served (older ones may be too, never a newer one).
    assert mine["x-version"] == theirs_op["x-version"]
    assert theirs_op["x-version"] in mine["x-supported-versions"]
    scopes = [scope for requirement in mine.get("security", []) for scope in
              next(iter(requirement.values()))]
    assert scopes == theirs_op.get("x-scopes", []) == mine.get("x-scopes", [])
    differences = (parameter_differences(mine, ours, theirs_op, theirs)
                   + response_differences(mine, ours, theirs_op, theirs))
    if "requestBody" in theirs_op:
        differences += [f"request body: {line}" for line in schema_diff(
            _body(mine["requestBody"], ours), ours, _body(theirs_op["requestBody"], theirs),
            theirs)]
    else:
        assert "requestBody" not in mine
    assert differences == [], "\n".join(differences)


@pytest.mark.parametrize(("path", "method", "theirs_op", "theirs"), OFFICIAL, ids=IDS)
def test_extra_error_statuses_are_the_banks_with_the_cdr_error_list(ours, path, method,
                                                                      theirs_op, theirs):
    mine = _our_operation(ours, path, method)
    extra = set(mine["responses"]) - set(theirs_op["responses"])
    assert extra <= set(BANK_ERRORS)
    assert "429" in mine["responses"]
    authenticated = bool(mine.get("security"))
    assert {"401", "403"} <= set(mine["responses"]) if authenticated else True
    for status in extra:
        assert _body(mine["responses"][status], ours) == {
            "$ref": "#/components/schemas/ResponseErrorListV2"}


def test_response_envelope_and_error_list_are_the_standards(ours):
    banking = json.loads((SPEC_DIR / "cds_banking.json").read_text())
    for name in ("ResponseErrorListV2", "ErrorV2", "LinksPaginated", "MetaPaginated", "Links"):
        assert schema_diff({"$ref": f"#/components/schemas/{name}"}, ours,
                           {"$ref": f"#/components/schemas/{name}"}, banking) == [], name


# The comparison can fail ----------------------------------------------------------------
def _accounts_operation() -> tuple[str, str, Json, Json]:
    return next(o for o in OFFICIAL if o[2]["operationId"] == "listBankingAccounts")


def test_comparison_reports_a_changed_response_schema(ours):
    path, method, theirs_op, theirs = _accounts_operation()
    changed = copy.deepcopy(ours)
    account = changed["components"]["schemas"]["BankingAccountV3"]
    account["properties"]["isOwned"]["type"] = "string"
    account["required"].remove("accountId")
    account["properties"]["productCategory"] = {"type": "string", "enum": ["TRANS_AND_SAVINGS"]}
    mine = _our_operation(changed, path, method)
    differences = response_differences(mine, changed, theirs_op, theirs)
    assert "response 200: data.accounts[].isOwned: type 'string', the standard 'boolean'" in (
        differences)
    assert any(line.startswith("response 200: data.accounts[]: required") for line in differences)
    assert any("data.accounts[].productCategory" in line for line in differences)


def test_comparison_reports_changed_parameters(ours):
    path, method, theirs_op, theirs = _accounts_operation()
    changed = copy.deepcopy(_our_operation(ours, path, method))
    params = [resolve(p, ours) for p in changed["parameters"]]
    params = [p for p in params if p["name"] != "is-owned"]
    open_status = next(p for p in params if p["name"] == "open-status")
    open_status["schema"] = {"type": "string", "enum": ["OPEN", "CLOSED"]}
    next(p for p in params if p["name"] == "x-v")["required"] = False
    params.append({"name": "sort", "in": "query", "schema": {"type": "string"}})
    changed["parameters"] = params
    assert parameter_differences(changed, ours, theirs_op, theirs) == [
        "parameter ('is-owned', 'query'): missing",
        "parameter ('sort', 'query'): not in the standard",
        "parameter ('open-status', 'query'): <root>: enum ['CLOSED', 'OPEN'], the standard "
        "['ALL', 'CLOSED', 'OPEN']",
        "parameter ('x-v', 'header'): required False, the standard True",
    ]


def test_comparison_reports_a_missing_error_response(ours):
    path, method, theirs_op, theirs = _accounts_operation()
    changed = copy.deepcopy(_our_operation(ours, path, method))
    del changed["responses"]["422"]
    assert response_differences(changed, ours, theirs_op, theirs) == ["response 422: missing"]


# The vendored copies ------------------------------------------------------------------------
@pytest.mark.parametrize("name", OFFICIAL_FILES)
def test_the_apps_copy_of_the_official_files_is_the_tests_copy(name):
    assert (official.SPEC_DIR / name).read_bytes() == (SPEC_DIR / name).read_bytes()
