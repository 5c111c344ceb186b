"""tests/openapi/comparator.py: equal shapes give no difference, every kind of change one line."""

from __future__ import annotations

import copy

from tests.openapi.comparator import schema_diff

DOC = {"components": {"schemas": {
    "Envelope": {"type": "object", "required": ["data"], "description": "ignored",
                 "properties": {"data": {"$ref": "#/components/schemas/Data"}}},
    "Data": {"type": "object", "required": ["ids", "kind"], "properties": {
        "ids": {"type": "array", "items": {"type": "string", "x-cds-type": "ASCIIString"}},
        "kind": {"type": "string", "enum": ["A", "B"]},
        "extra": {"allOf": [{"$ref": "#/components/schemas/Alias"}]}}},
    "Alias": {"$ref": "#/components/schemas/Leaf"},
    "Leaf": {"type": "integer"},
}}}
ROOT = {"$ref": "#/components/schemas/Envelope"}


def test_an_identical_copy_and_another_description_are_equal():
    other = copy.deepcopy(DOC)
    other["components"]["schemas"]["Data"]["description"] = "something else"
    assert schema_diff(ROOT, DOC, ROOT, other) == []


def test_refs_are_followed_on_each_side_in_its_own_document():
    inline = {"components": {}}
    resolved = copy.deepcopy(DOC["components"]["schemas"]["Envelope"])
    resolved["properties"]["data"] = copy.deepcopy(DOC["components"]["schemas"]["Data"])
    resolved["properties"]["data"]["properties"]["extra"] = {"allOf": [{"type": "integer"}]}
    assert schema_diff(resolved, inline, ROOT, DOC) == []


def test_each_change_is_one_readable_line():
    changed = copy.deepcopy(DOC)
    data = changed["components"]["schemas"]["Data"]
    data["properties"]["ids"]["items"]["type"] = "integer"
    data["properties"]["kind"]["enum"] = ["A"]
    data["required"] = ["ids"]
    del data["properties"]["extra"]
    data["properties"]["added"] = {"type": "string"}
    changed["components"]["schemas"]["Leaf"]["type"] = "number"
    assert schema_diff(ROOT, changed, ROOT, DOC) == [
        "data.added: not in the standard",
        "data.extra: missing (the standard has it)",
        "data.ids[]: type 'integer', the standard 'string'",
        "data.kind: enum ['A'], the standard ['A', 'B']",
        "data: required ['ids'], the standard ['ids', 'kind']",
    ]
    assert schema_diff(ROOT, DOC, ROOT, {"components": {"schemas": {
        **DOC["components"]["schemas"], "Leaf": {"type": "number"}}}}) == [
        "data.extra<allOf>[0]: type 'integer', the standard 'number'"]
