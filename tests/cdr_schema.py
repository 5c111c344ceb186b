"""Conformance helper: validate a response against the official CDS 1.36.0 schema.

`assert_cdr_response(response, "getBankingProductDetail")` looks the operation up in the
vendored OpenAPI files (tests/cdr_spec/), picks the schema declared for the response's status
code, and checks the body three ways:

1. JSON Schema validation (OpenAPI 3.0 dialect, openapi-schema-validator);
2. no undeclared properties anywhere (the CDS schemas allow extra members; we do not, so a
   misspelt field cannot pass);
3. every value with an `x-cds-type` has that type's format (AmountString, RateString,
   DateTimeString, DateString, MaskedAccountString...).

It also checks the `x-v` response header against the operation's `x-version` when the
response is a success for that version.

`version=N` selects an endpoint version: the 1.36.0 (newest) version as before, or an older
version still served under 1.36.0, whose 200 schema tests/cdr_legacy_schemas.py rebuilds from
the 1.36.0 components plus the deltas of its obsolete page. Any other version is an
AssertionError.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator

from tests.cdr_error_table import TITLES
from tests.cdr_legacy_schemas import is_legacy, legacy_response_schema

SPEC_DIR = Path(__file__).parent / "cdr_spec"
SPEC_FILES = ("cds_banking.json", "cds_common.json", "cds_admin.json", "cds_dcr.json")

_CDS_TYPE_PATTERNS = {
    "AmountString": re.compile(r"^-?\d{1,16}\.\d{2,}$"),
    "RateString": re.compile(r"^-?\d{1,16}(\.\d{1,16})?$"),
    "DateTimeString": re.compile(
        r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
    ),
    "DateString": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "CurrencyString": re.compile(r"^[A-Z]{3}$"),
    # Every digit but the last four is an 'x': no digit may come before the final four.
    "MaskedAccountString": re.compile(r"^[x \-]*\d{0,4}$"),
    "MaskedPANString": re.compile(r"^(x{4} ){3}\d{4}$"),
    "URIString": re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$"),
    "NaturalNumber": None,
    "PositiveInteger": None,
}


@cache
def _operations() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """operationId -> (operation, whole spec)."""
    found: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for name in SPEC_FILES:
        spec = json.loads((SPEC_DIR / name).read_text())
        for item in spec["paths"].values():
            for op in item.values():
                if isinstance(op, dict) and "operationId" in op:
                    found[op["operationId"]] = (op, spec)
    return found


def operation(operation_id: str) -> dict[str, Any]:
    return _operations()[operation_id][0]


def response_schema(operation_id: str, status: int,
                    version: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    op, spec = _operations()[operation_id]
    if version is not None and version != int(op["x-version"]):
        if not is_legacy(operation_id, version):
            raise AssertionError(f"{operation_id} has no version {version} "
                                 f"(1.36.0 version is {op['x-version']}, no older schema known)")
        if 200 <= status < 300:
            return legacy_response_schema(operation_id, version)
        # Error bodies (ResponseErrorListV2) do not change with the endpoint version.
    responses = op["responses"]
    declared = responses.get(str(status)) or responses.get("default")
    if declared is None:
        # Undeclared error statuses (401, 405, 415, 429, 500...) still carry the CDS body.
        schema = {"$ref": "#/components/schemas/ResponseErrorListV2"}
        if "ResponseErrorListV2" not in spec["components"]["schemas"]:
            raise AssertionError(f"{operation_id} declares no response for {status}")
    else:
        schema = declared["content"]["application/json"]["schema"]
    return schema, spec


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        path = schema["$ref"].removeprefix("#/").split("/")
        node: Any = spec
        for part in path:
            node = node[part]
        schema = node
    return schema


def _declared_properties(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    schema = _resolve(schema, spec)
    props: dict[str, Any] = {}
    for part in schema.get("allOf", []):
        props.update(_declared_properties(part, spec))
    props.update(schema.get("properties", {}))
    return props


def _walk(instance: Any, schema: dict[str, Any], spec: dict[str, Any], path: str, problems: list[str]) -> None:
    schema = _resolve(schema, spec)
    cds_type = schema.get("x-cds-type")
    if cds_type and isinstance(instance, str):
        pattern = _CDS_TYPE_PATTERNS.get(cds_type)
        if pattern is not None and not pattern.match(instance):
            problems.append(f"{path}: {instance!r} is not a {cds_type}")
        if cds_type == "ASCIIString" and not instance.isascii():
            problems.append(f"{path}: {instance!r} is not an ASCIIString")
    if isinstance(instance, int) and not isinstance(instance, bool):
        if cds_type == "PositiveInteger" and instance < 1:
            problems.append(f"{path}: {instance} is not a PositiveInteger")
        if cds_type == "NaturalNumber" and instance < 0:
            problems.append(f"{path}: {instance} is not a NaturalNumber")
    for part in schema.get("allOf", []):
        part_resolved = _resolve(part, spec)
        if part_resolved.get("x-cds-type") and isinstance(instance, str):
            _walk(instance, part_resolved, spec, path, problems)
    if isinstance(instance, dict):
        declared = _declared_properties(schema, spec)
        if declared or schema.get("type") == "object":
            for key, value in instance.items():
                if key not in declared:
                    if not schema.get("additionalProperties"):
                        problems.append(f"{path}.{key}: not declared in the schema")
                    continue
                _walk(value, declared[key], spec, f"{path}.{key}", problems)
    elif isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            _walk(item, schema["items"], spec, f"{path}[{i}]", problems)


def validate_body(body: Any, operation_id: str, status: int, version: int | None = None) -> list[str]:
    """All problems found in `body` for this operation, status and endpoint version (empty = valid).

    `version=None` means the 1.36.0 (newest) version of the endpoint.
    """
    schema, spec = response_schema(operation_id, status, version)
    validator = OAS30Validator({**schema, "components": spec["components"]})
    problems = [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in validator.iter_errors(body)
    ]
    _walk(body, schema, spec, "$", problems)
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        for i, error in enumerate(body["errors"]):
            code = error.get("code") if isinstance(error, dict) else None
            if code in TITLES and error.get("title") != TITLES[code]:
                problems.append(f"$.errors[{i}].title: {error.get('title')!r} is not the "
                                f"standard's title {TITLES[code]!r} for {code}")
            elif code not in TITLES and (error.get("meta") or {}).get("urn") not in TITLES:
                problems.append(f"$.errors[{i}].code: {code!r} is neither a standard code nor "
                                "carries one in meta.urn")
    return problems


def assert_cdr_response(response: Any, operation_id: str, *, version: int | None = None) -> dict[str, Any]:
    """Assert the response body is valid for the operation; return the parsed body."""
    assert response["Content-Type"].split(";")[0] == "application/json", response["Content-Type"]
    body = response.json()
    problems = validate_body(body, operation_id, response.status_code, version)
    label = operation_id if version is None else f"{operation_id} v{version}"
    assert not problems, f"{label} {response.status_code} body is not CDS-valid:\n" + "\n".join(problems)
    if 200 <= response.status_code < 300:
        expected = version if version is not None else int(operation(operation_id)["x-version"])
        assert response["x-v"] == str(expected)
    return body
