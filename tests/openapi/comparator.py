"""Structural comparison of two OpenAPI schemas, each resolved in its own document.

`schema_diff(ours, our_doc, theirs, their_doc)` follows every `$ref` on both sides and compares
what a client relies on: type, format, x-cds-type, enum, required, properties, items,
additionalProperties, allOf/oneOf/anyOf, nullable. Descriptions and examples are ignored. The
result is a list of readable lines, one per difference, each naming where it is
(`data.accounts[].productCategory: enum ...`); empty when the shapes are equal.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

COMPARED = ("type", "format", "x-cds-type", "enum", "required", "properties", "items",
            "additionalProperties", "allOf", "oneOf", "anyOf", "nullable")
_MAX_DEPTH = 40


def resolve(node: Any, document: Json) -> Any:
    """`node` with a top-level `$ref` followed (repeatedly) inside `document`."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise AssertionError(f"external $ref {ref}")
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
        seen += 1
        if seen > _MAX_DEPTH:
            raise AssertionError(f"$ref loop at {ref}")
    return node


def shape(node: Any, document: Json, depth: int = 0) -> Any:
    """The comparable shape of a schema: refs resolved, only COMPARED keys kept."""
    if depth > _MAX_DEPTH:
        return "<too deep>"
    node = resolve(node, document)
    if not isinstance(node, dict):
        return node
    out: Json = {}
    for key in COMPARED:
        if key not in node:
            continue
        value = node[key]
        if key == "properties":
            out[key] = {name: shape(sub, document, depth + 1) for name, sub in value.items()}
        elif key in {"items", "additionalProperties"} and isinstance(value, dict):
            out[key] = shape(value, document, depth + 1)
        elif key in {"allOf", "oneOf", "anyOf"}:
            out[key] = [shape(sub, document, depth + 1) for sub in value]
        elif key in {"enum", "required"}:
            out[key] = sorted(value, key=repr)
        else:
            out[key] = value
    return out


def _diff(ours: Any, theirs: Any, where: str, out: list[str]) -> None:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs)):
            here = where
            if key == "properties":
                mine, official = ours.get(key, {}), theirs.get(key, {})
                for name in sorted(set(mine) | set(official)):
                    path = f"{where}.{name}" if where else name
                    if name not in mine:
                        out.append(f"{path}: missing (the standard has it)")
                    elif name not in official:
                        out.append(f"{path}: not in the standard")
                    else:
                        _diff(mine[name], official[name], path, out)
                continue
            if key == "items":
                here = f"{where}[]"
            elif key in {"allOf", "oneOf", "anyOf", "additionalProperties"}:
                here = f"{where}<{key}>"
            if key not in ours:
                out.append(f"{here or '<root>'}: no {key} (the standard: {theirs[key]!r})")
            elif key not in theirs:
                out.append(f"{here or '<root>'}: {key} {ours[key]!r} (not in the standard)")
            elif key in {"items", "additionalProperties"}:
                _diff(ours[key], theirs[key], here, out)
            elif key in {"allOf", "oneOf", "anyOf"}:
                if len(ours[key]) != len(theirs[key]):
                    out.append(f"{here}: {len(ours[key])} schemas, the standard "
                               f"{len(theirs[key])}")
                for index, (mine, official) in enumerate(zip(ours[key], theirs[key],
                                                             strict=False)):
                    _diff(mine, official, f"{here}[{index}]", out)
            elif ours[key] != theirs[key]:
                out.append(f"{where or '<root>'}: {key} {ours[key]!r}, the standard "
                           f"{theirs[key]!r}")
    elif ours != theirs:
        out.append(f"{where or '<root>'}: {ours!r}, the standard {theirs!r}")


def schema_diff(ours: Any, our_document: Json, theirs: Any, their_document: Json) -> list[str]:
    """Readable differences between two schemas (empty list: structurally equal)."""
    out: list[str] = []
    _diff(shape(ours, our_document), shape(theirs, their_document), "", out)
    return out
