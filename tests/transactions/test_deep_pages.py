"""Deep pages (bank/api/pagination.py `_deep_page`): from `deferred_from` on, a page is read
as keys first, then rows by key. It must return exactly the rows, in exactly the order,
that OFFSET would: checked on every page of a history with equal timestamps (the `-id`
tie-break decides), on SQLite and PostgreSQL (it is used on PostgreSQL only, where it pays:
KEY_SKIP_VENDORS; the tests switch it on for SQLite too)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.request import Request

from accounts import choices as c
from accounts.models import Account, Product
from bank.api import pagination
from bank.api.pagination import CdrPagination
from security.context import AccessContext
from security.resource_ids import ResourceIds
from transactions import selectors
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _key_skip_everywhere(monkeypatch):
    monkeypatch.setattr(pagination, "KEY_SKIP_VENDORS", frozenset({connection.vendor}))


@pytest.fixture
def history() -> list[int]:
    product = Product.objects.create(
        brand="demo", name="Everyday", description="d",
        category=c.ProductCategory.TRANS_AND_SAVINGS_ACCOUNTS, last_updated=timezone.now())
    account = Account.objects.create(product=product, display_name="Everyday", bsb="923100",
                                     account_number="12345678")
    now = timezone.now()
    # Three rows share each timestamp: the order within them is by id, descending.
    Transaction.objects.bulk_create(
        Transaction(account=account, status=c.TransactionStatus.POSTED,
                    type=c.TransactionType.PAYMENT, amount=Decimal("-1.00"),
                    description=f"ROW {i}", execution_date_time=now - timedelta(hours=i // 3),
                    posting_date_time=now - timedelta(hours=i // 3))
        for i in range(61))
    return list(Transaction.objects.filter(account=account).order_by(
        "-effective_date_time", "-id").values_list("pk", flat=True))


def _page(page: int, size: int, deferred_from: int, queryset=None) -> list[int]:
    paginator = CdrPagination()
    paginator.deferred_from = deferred_from
    request = Request(RequestFactory().get("/", {"page": page, "page-size": size}))
    if queryset is None:
        queryset = Transaction.objects.order_by("-effective_date_time", "-id")
    return [row.pk for row in paginator.paginate_queryset(queryset, request)]


@pytest.mark.parametrize("size", [1, 7, 25, 61])
def test_every_deep_page_is_the_offset_page(history, size):
    pages = -(-len(history) // size)
    for page in range(1, pages + 1):
        expected = history[(page - 1) * size : page * size]
        assert _page(page, size, deferred_from=0) == expected
        assert _page(page, size, deferred_from=10**9) == expected


def test_a_deep_page_skips_by_key_in_one_statement(history):
    with CaptureQueriesContext(connection) as queries:
        _page(5, 7, deferred_from=1)
    count, rows = (q["sql"] for q in queries.captured_queries)
    assert "COUNT(" in count
    # One statement (one snapshot): the rows whose keys a sliced, ordered key-only
    # subquery picks, in the queryset's order.
    assert rows.count("OFFSET 28") == 1
    assert '"transactions_transaction"."id" IN (SELECT' in rows
    assert rows.rstrip().endswith('ORDER BY "transactions_transaction"."effective_date_time" '
                                  'DESC, "transactions_transaction"."id" DESC')


def test_the_key_skip_is_used_where_it_pays_only(history, monkeypatch):
    monkeypatch.setattr(pagination, "KEY_SKIP_VENDORS", frozenset({"postgresql"}))
    with CaptureQueriesContext(connection) as queries:
        assert _page(5, 7, deferred_from=1) == history[28:35]
    rows = queries.captured_queries[-1]["sql"]
    assert ("IN (SELECT" in rows) is (connection.vendor == "postgresql")


def test_the_get_transactions_queryset_pages_alike(history):
    """The selector's own queryset (scoped to the token's accounts, filtered by the window,
    the plan prefetched) pages the same either way."""
    account = Transaction.objects.get(pk=history[0]).account
    context = AccessContext(
        customer_id=1, software_product_id="sp", arrangement_pk=1, scopes=frozenset(),
        account_ids=frozenset({account.pk}), customer_present=False,
        certificate_thumbprint="", ids=ResourceIds(customer_key="1", software_product_id="sp"))
    now = timezone.now()
    filters = selectors.TransactionFilters(oldest=now - timedelta(hours=15), newest=now)
    listed = selectors.transaction_list_for_account(
        context=context, account=account, filters=filters)
    inside = [pk for pk in history if listed.filter(pk=pk).exists()]
    assert 10 < len(inside) < len(history)
    for page in range(1, 5):
        expected = inside[(page - 1) * 4 : page * 4]
        assert _page(page, 4, deferred_from=0, queryset=listed) == expected
        assert _page(page, 4, deferred_from=10**9, queryset=listed) == expected
