"""Test helper: find a row by the plaintext of encrypted fields (which SQL cannot search)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def get_decrypted(queryset: QuerySet[M], **plaintext: Any) -> M:
    """The one row of `queryset` whose (decrypted) fields equal `plaintext`."""
    matches = [row for row in queryset
               if all(getattr(row, name) == value for name, value in plaintext.items())]
    assert len(matches) == 1, f"{len(matches)} rows match {sorted(plaintext)}"
    return matches[0]


def set_fields(row: M, **values: Any) -> M:
    """Change fields (encrypted ones too) through save(), the only way they are written."""
    for name, value in values.items():
        setattr(row, name, value)
    row.save(update_fields=list(values))
    return row
