"""The official CDS 1.36.0 OpenAPI files (cdr_spec/), read once: operations and components.

The three files define some components twice (Links, CommonPAFAddress...), with different
descriptions only. The merged components keep the first definition (banking, then common, then
admin) and refuse to start if two definitions of one name differ in anything but their
descriptions: the bank's document must never pick one of two different shapes silently.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).resolve().parent / "cdr_spec"
SPEC_FILES = ("cds_banking.json", "cds_common.json", "cds_admin.json")
#: Every CDR path of the bank and of the official files starts with this.
CDR_PREFIX = "/cds-au/v1"

Json = dict[str, Any]


class OfficialSpecError(ValueError):
    """The vendored files cannot be merged (two different definitions of one component)."""


@cache
def spec_files() -> dict[str, Json]:
    return {name: json.loads((SPEC_DIR / name).read_text()) for name in SPEC_FILES}


def without_descriptions(node: Any) -> Any:
    """`node` with every description, summary and example left out (the shape only)."""
    if isinstance(node, dict):
        return {key: without_descriptions(value) for key, value in node.items()
                if key not in {"description", "summary", "example", "examples"}}
    if isinstance(node, list):
        return [without_descriptions(item) for item in node]
    return node


@cache
def components() -> Json:
    """The components of the three files merged: {kind: {name: definition}}."""
    merged: Json = {}
    for name, spec in spec_files().items():
        for kind, definitions in spec.get("components", {}).items():
            target = merged.setdefault(kind, {})
            for key, definition in definitions.items():
                known = target.get(key)
                if known is None:
                    target[key] = definition
                elif without_descriptions(known) != without_descriptions(definition):
                    raise OfficialSpecError(f"{name}: components/{kind}/{key} differs in shape")
    return merged


@cache
def operations() -> dict[tuple[str, str], Json]:
    """(path without /cds-au/v1, lower-case method) -> the official operation."""
    found: dict[tuple[str, str], Json] = {}
    for spec in spec_files().values():
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    found[(path, method)] = operation
    return found


def operation(path: str, method: str) -> Json | None:
    """A deep copy of the official operation at `path` (with or without the /cds-au/v1
    prefix), or None when the standard has no such operation."""
    if path.startswith(CDR_PREFIX):
        path = path[len(CDR_PREFIX):]
    found = operations().get((path, method.lower()))
    return copy.deepcopy(found) if found is not None else None


@cache
def tags() -> list[Json]:
    """The tag definitions of the three files, in order."""
    return [tag for spec in spec_files().values() for tag in spec.get("tags", [])]


def resolve_parameter(parameter: Json) -> Json:
    """A parameter object, its `$ref` (if any) followed into the components."""
    ref = parameter.get("$ref")
    if ref is None:
        return parameter
    return copy.deepcopy(components()["parameters"][ref.rsplit("/", 1)[1]])


def refs_in(node: Any) -> Iterator[str]:
    """Every `$ref` string found anywhere in `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


def referenced_components(node: Any) -> Json:
    """The official components `node` refers to, transitively: {kind: {name: definition}}.

    Refs to components the official files do not define are left alone (the bank's own
    security schemes, for example)."""
    pool = components()
    found: Json = {}
    pending = list(refs_in(node))
    while pending:
        ref = pending.pop()
        if not ref.startswith("#/components/"):
            continue
        kind, name = ref[len("#/components/"):].split("/", 1)
        if name in found.get(kind, {}) or name not in pool.get(kind, {}):
            continue
        definition = copy.deepcopy(pool[kind][name])
        found.setdefault(kind, {})[name] = definition
        pending.extend(refs_in(definition))
    return found
