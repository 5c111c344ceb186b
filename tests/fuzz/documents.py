"""The OpenAPI documents the fuzz run reads, and where each operation is called.

Two documents: the bank's own (GET /api/schema on the public listener) and the official CDS
1.36.0 banking and common files (tests/cdr_spec/). Each is fuzzed twice:

- `raw`: as published. Headers are whatever the schema allows (for `x-v`, any string), so
  nearly every call ends at header validation: this is the fuzzing of that validation.
- `deep`: the request headers narrowed to values the bank accepts (a served `x-v`, a UUID
  interaction ID, a real HTTP date, a real IP address with its client headers) and the path
  IDs narrowed to IDs the token can see, so query parameters and bodies reach the views and
  the selectors. Random IDs are the `raw` run's job.

Nothing here changes what a response is checked against: only the request side is narrowed.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any

Json = dict[str, Any]

CDR_PREFIX = "/cds-au/v1"
OFFICIAL_DIR = Path(__file__).resolve().parents[1] / "cdr_spec"
OFFICIAL_FILES = ("cds_banking.json", "cds_common.json")
#: Official paths served on the public listener (no client certificate, no token).
PUBLIC_PREFIXES = ("/banking/products", "/discovery/")
METHODS = ("get", "put", "post", "delete", "patch")
INTERACTION_IDS = ("6a3c2f27-2f8d-4a43-8c55-3f5d3cf6a8f1", "00000000-0000-4000-8000-000000000000")
CUSTOMER_IPS = ("203.0.113.7", "2001:db8::1")
CLIENT_HEADERS = base64.b64encode(b"User-Agent: Mozilla/5.0\r\nAccept: text/html").decode()


@dataclass(frozen=True)
class Route:
    """Where and how one operation is called: listener, client certificate, which token."""

    base_url: str
    mtls: bool
    auth: str  # "customer", "registration" or "none"


def _operations(document: Json) -> list[tuple[str, str, Json]]:
    return [(path, method, op) for path, item in document["paths"].items()
            for method, op in item.items() if method in METHODS]


def _resolve(node: Json, document: Json) -> Json:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def routes_for_project(document: Json, *, public_url: str, mtls_url: str) -> dict[tuple[str, str], Route]:
    """Each operation of the bank's document on the listener its `servers` names, with the
    token its `security` names (the Register's admin token is not minted here: the admin
    endpoints are fuzzed without one and must answer 401)."""
    routes = {}
    for path, method, op in _operations(document):
        server = op.get("servers", document.get("servers", [{}]))[0]["url"]
        schemes = {name for requirement in op.get("security") or [] for name in requirement}
        auth = ("customer" if "cdrCustomerToken" in schemes
                else "registration" if "cdrClientRegistrationToken" in schemes else "none")
        mtls = server.rstrip("/") == mtls_url.rstrip("/")
        routes[(method.upper(), path)] = Route(mtls_url if mtls else public_url, mtls, auth)
    return routes


def official_document() -> Json:
    """cds_banking.json and cds_common.json as one document (their components agree where
    they overlap: bank/openapi/official.py refuses to start otherwise)."""
    merged: Json = {}
    for name in OFFICIAL_FILES:
        spec = json.loads((OFFICIAL_DIR / name).read_text())
        if not merged:
            merged = spec
            continue
        merged["paths"].update(spec["paths"])
        for kind, items in spec.get("components", {}).items():
            for key, value in items.items():
                merged["components"].setdefault(kind, {}).setdefault(key, value)
    return merged


def routes_for_official(document: Json, *, public_url: str, mtls_url: str) -> dict[tuple[str, str], Route]:
    routes = {}
    for path, method, _ in _operations(document):
        public = path.startswith(PUBLIC_PREFIXES)
        routes[(method.upper(), path)] = Route(
            (public_url if public else mtls_url) + CDR_PREFIX, not public,
            "none" if public else "customer")
    return routes


def _header_schema(name: str, versions: list[str]) -> Json | None:
    if name == "x-v":
        return {"type": "string", "enum": versions}
    if name == "x-min-v":
        return {"type": "string", "enum": sorted({"1", *versions})}
    if name == "x-fapi-interaction-id":
        return {"type": "string", "enum": list(INTERACTION_IDS)}
    if name == "x-fapi-auth-date":
        return {"type": "string", "enum": [formatdate(usegmt=True)]}
    if name == "x-fapi-customer-ip-address":
        return {"type": "string", "enum": list(CUSTOMER_IPS)}
    if name == "x-cds-client-headers":
        return {"type": "string", "enum": [CLIENT_HEADERS]}
    return None


def _account_id_list(account_ids: list[str]) -> Json:
    """RequestAccountIdListV1 with only the members the bank accepts (bank/api/bodies.py
    refuses any other, as the standard's allow-list rule asks) and real account IDs."""
    return {
        "type": "object", "required": ["data"], "additionalProperties": False,
        "properties": {
            "data": {"type": "object", "required": ["accountIds"], "additionalProperties": False,
                     "properties": {"accountIds": {"type": "array", "minItems": 1, "maxItems": 5,
                                                   "items": {"type": "string",
                                                             "enum": account_ids}}}},
            "meta": {"type": "object", "additionalProperties": False, "properties": {}},
        },
    }


def supported_versions(project: Json) -> dict[tuple[str, str], list[str]]:
    """The versions the bank serves, by method and official path (without /cds-au/v1)."""
    return {(method.upper(), path.removeprefix(CDR_PREFIX)): op["x-supported-versions"]
            for path, method, op in _operations(project) if "x-supported-versions" in op}


def deepen(document: Json, *, ids: dict[str, list[str]],
           versions_by_operation: dict[tuple[str, str], list[str]] | None = None) -> Json:
    """A copy of `document` whose request headers and path IDs are narrowed (module doc).

    `x-v` is narrowed to the versions the bank serves (`x-supported-versions`, else the
    operation's `x-version`); `versions` adds them for a document without the extension
    (the official files), by method and path. The document's success schema is the newest
    version's; test_fuzz checks an older version's body against that version's official
    schema instead."""
    deep = copy.deepcopy(document)
    for path, method, op in _operations(deep):
        versions = [str(v) for v in (versions_by_operation or {}).get(
            (method.upper(), path), op.get("x-supported-versions") or [op.get("x-version", "1")])]
        parameters = []
        for parameter in op.get("parameters", []):
            parameter = copy.deepcopy(_resolve(parameter, deep))
            if parameter["in"] == "header":
                narrowed = _header_schema(parameter["name"].lower(), versions)
                if narrowed is not None:
                    parameter["schema"] = narrowed
            elif parameter["in"] == "path" and ids.get(parameter["name"]):
                values = ids[parameter["name"]]
                if parameter["name"] == "accountId" and "{transactionId}" in path:
                    values = ids["transactionAccountId"]  # the account of those transactions
                parameter["schema"] = {"type": "string", "enum": values}
            parameters.append(parameter)
        if parameters:
            op["parameters"] = parameters
        # The customer-present pair goes together: an IP address without the client headers
        # is a 400 the raw run already covers.
        names = {p["name"].lower(): p for p in parameters}
        if "x-fapi-customer-ip-address" in names and "x-cds-client-headers" in names:
            names["x-fapi-customer-ip-address"]["required"] = False
            names["x-cds-client-headers"]["required"] = True
        if "x-fapi-auth-date" in names:
            names["x-fapi-auth-date"]["required"] = True
        if "requestBody" in op:
            op["requestBody"] = copy.deepcopy(_resolve(op["requestBody"], deep))
            media = op["requestBody"].get("content", {}).get("application/json")
            if media is not None and _resolve(media["schema"], deep) is _resolve(
                    {"$ref": "#/components/schemas/RequestAccountIdListV1"}, deep):
                media["schema"] = _account_id_list(ids["accountId"])
    return deep
