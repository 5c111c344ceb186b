"""Base for CDR output serializers: explicit fields, optional ones left out when empty."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class CdrSerializer(serializers.BaseSerializer):
    """Output-only serializer whose subclasses build the CDR object by hand.

    Writing every field by hand (rather than ModelSerializer) is deliberate: a new column
    never reaches a recipient by accident (STYLE.md §4).
    """

    def to_internal_value(self, data: Any) -> Any:  # pragma: no cover - output only
        raise NotImplementedError("output serializer")

    @staticmethod
    def without_empty(obj: dict[str, Any]) -> dict[str, Any]:
        """Drop optional members that are None or '' (CDS: absent means null).

        Required members must be set by the caller to a non-empty value; lists are always
        kept, empty or not (CDS: arrays are always emitted).
        """
        return {k: v for k, v in obj.items() if v is not None and v != ""}
