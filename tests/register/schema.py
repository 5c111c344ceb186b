"""Validate mock Register bodies against the official cds_register.json (1.36.0).

tests/cdr_schema.py covers the data holder's specs; the Register's is vendored beside them
but is not a holder API, so this small twin looks operations up there, with the same checks
(OpenAPI 3.0 JSON Schema, no undeclared properties, x-cds-type formats).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from openapi_schema_validator import OAS30Validator

from tests.cdr_schema import SPEC_DIR, _walk


@cache
def _spec() -> dict[str, Any]:
    return json.loads((SPEC_DIR / "cds_register.json").read_text())


def register_operation(operation_id: str) -> dict[str, Any]:
    for item in _spec()["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise AssertionError(f"no operation {operation_id} in cds_register.json")


def assert_register_body(body: Any, operation_id: str, status: int) -> None:
    spec = _spec()
    declared = register_operation(operation_id)["responses"][str(status)]
    schema = declared["content"]["application/json"]["schema"]
    validator = OAS30Validator({**schema, "components": spec["components"]})
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                for e in validator.iter_errors(body)]
    _walk(body, schema, spec, "$", problems)
    assert not problems, f"{operation_id} {status} is not valid:\n" + "\n".join(problems)
