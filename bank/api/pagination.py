"""CDS pagination (standards/_pagination.md), written once.

`page` defaults to 1 and `page-size` to 25; page-size over 1000 is 400 Field/InvalidPageSize;
a page past the last is 422 Field/InvalidPage with the last page number as `detail`;
first/prev appear unless on the first page, next/last unless on the last page;
totalRecords = 0 means totalPages = 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

from django.db import connections
from django.db.models import QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from bank.api import errors
from bank.api.links import absolute_url

ENVELOPED = "_cdr_enveloped"


class EnvelopedResponse(Response):
    """A response whose body already is `{data, links, meta}`: the renderer leaves it alone."""

    enveloped: ClassVar[bool] = True


def parse_positive_int(raw: str | None, *, name: str, default: int) -> int:
    """A PositiveInteger query parameter, or 400 Field/Invalid naming it."""
    if raw is None:
        return default
    # Any length of digits is a positive integer: a huge page-size is InvalidPageSize and a
    # huge page InvalidPage, as the standard says, not a type error. 30 digits bound the work.
    if not raw.isascii() or not raw.isdigit() or len(raw) > 30:
        raise errors.InvalidFieldError(name)
    value = int(raw)
    if value < 1:
        raise errors.InvalidFieldError(name)
    return value


class CdrPagination(BasePagination):
    page_param = "page"
    page_size_param = "page-size"
    params: ClassVar[frozenset[str]] = frozenset({page_param, page_size_param})
    default_page_size = 25
    max_page_size = 1000

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any] | list[Any], request: Request, view: Any = None,
        *, count: Callable[[], int] | None = None,
    ) -> list[Any]:
        """The requested page of `queryset`; `count`, when given, says how many rows it
        holds (a selector that knows a cheaper way than COUNT(*), e.g. Get Transactions)."""
        self.request = request
        self.page = parse_positive_int(
            request.query_params.get(self.page_param), name=self.page_param, default=1
        )
        self.page_size = parse_positive_int(
            request.query_params.get(self.page_size_param),
            name=self.page_size_param,
            default=self.default_page_size,
        )
        if self.page_size > self.max_page_size:
            raise errors.InvalidPageSizeError(
                f"page-size must be at most {self.max_page_size}"
            )
        # Page 1 is read first: when it is short it is the only page and says how many rows
        # there are, so no count is run (most customers hold less than a page of accounts,
        # payees or payments). Later pages are counted first, so a page past the last is
        # refused before any offset is read.
        rows = self._page_rows(queryset, 0) if self.page == 1 else None
        if rows is not None and len(rows) < self.page_size:
            self.total_records = len(rows)
        elif count is not None:
            self.total_records = count()
        else:
            self.total_records = (
                queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
            )
        self.total_pages = math.ceil(self.total_records / self.page_size)
        if self.page > max(self.total_pages, 1):
            raise errors.InvalidPageError(str(self.total_pages))
        if rows is None:
            rows = self._page_rows(queryset, (self.page - 1) * self.page_size)
        return rows

    def _page_rows(self, queryset: QuerySet[Any] | list[Any], start: int) -> list[Any]:
        if (isinstance(queryset, QuerySet) and queryset.ordered and start >= self.deferred_from
                and connections[queryset.db].vendor in KEY_SKIP_VENDORS):
            return _deep_page(queryset, start, self.page_size)
        return list(queryset[start : start + self.page_size])

    #: From this offset on, a page is read as keys first (see `_deep_page`).
    deferred_from = 1000

    def get_paginated_response(self, data: Any) -> Response:
        return EnvelopedResponse(
            {
                "data": data,
                "links": self.get_links(),
                "meta": {"totalRecords": self.total_records, "totalPages": self.total_pages},
            }
        )

    def get_links(self) -> dict[str, str]:
        def page_url(number: int) -> str:
            return absolute_url(
                self.request, **{self.page_param: number, self.page_size_param: self.page_size}
            )

        links = {"self": absolute_url(self.request)}
        if self.total_pages == 0:
            return links
        links["first"] = page_url(1)
        if self.page > 1:
            links["prev"] = page_url(self.page - 1)
        if self.page < self.total_pages:
            links["next"] = page_url(self.page + 1)
        links["last"] = page_url(self.total_pages)
        return links


#: Where `_deep_page` pays (bench/transactions_benchmark.py, page 2,000 of 4,000 and page 50
#: of 100 at page-size 1000, same machine and day): PostgreSQL 78 -> 30 ms and 215 -> 174 ms.
#: SQLite reads a skipped row about as cheaply as its index entry: 44 -> 48 ms and
#: 125 -> 187 ms (keys read first, then the rows), so it keeps plain OFFSET.
KEY_SKIP_VENDORS = frozenset({"postgresql"})


def _deep_page(queryset: QuerySet[Any], start: int, size: int) -> list[Any]:
    """Rows `start` to `start + size` of `queryset`, skipping the first `start` by key only.

    OFFSET reads every skipped row: page 2,000 of an account's history fetched 50,000 whole
    rows from the table to return 25. Selecting the page's keys in a subquery lets the
    database skip through the index alone (an index-only scan, when the index covers the
    filter and the order, as `txn_account_effective` does), then read the 25 rows by key:
    one statement, so one snapshot, in the queryset's order.
    """
    # A sliced subquery keeps its ORDER BY (Django drops it only from unsliced ones).
    keys = queryset.values("pk")[start : start + size]
    return list(queryset.filter(pk__in=keys))
