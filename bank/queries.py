"""Query helpers shared by the hot paths."""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def unique_row(queryset: QuerySet[M]) -> M | None:
    """The one row a lookup by a unique key matches, or None.

    Not `.first()`: that orders by id to choose a row, and on a wide `select_related` Django
    spends more compiling the ORDER BY than the database spends answering (about a quarter of
    a resource call's CPU went to the token lookup, `make bench`). A unique key leaves
    nothing to choose, and `.get()` drops any ordering; two rows would be a broken
    invariant, so they raise MultipleObjectsReturned instead of one being picked.
    """
    try:
        return queryset.get()
    except ObjectDoesNotExist:
        return None
