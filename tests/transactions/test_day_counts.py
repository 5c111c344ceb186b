"""Per-day transaction counts (TransactionDayCount, migration 0006) and the count Get
Transactions builds from them (transactions.selectors.transaction_count_for_account).

The counts are kept by database triggers, so every write path is checked against a count
of the transactions themselves: create, bulk_create, queryset update (moving rows across
days and accounts), queryset delete, on SQLite (`make test`) and PostgreSQL (`make
test-services`). A migration that rebuilds the transactions table on SQLite drops its
triggers: these tests then fail.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.utils import timezone

from accounts import choices as c
from accounts.models import Account, Product
from security.context import AccessContext
from security.resource_ids import ResourceIds
from transactions import selectors
from transactions.models import Transaction, TransactionDayCount

pytestmark = pytest.mark.django_db

# Midnight UTC, a few weeks back: windows and rows are placed around day boundaries.
MIDNIGHT = datetime(2026, 10, 1, tzinfo=UTC)


def _account(name: str) -> Account:
    product = Product.objects.get_or_create(
        brand="demo", name="Everyday", description="d",
        category=c.ProductCategory.TRANS_AND_SAVINGS_ACCOUNTS,
        defaults={"last_updated": timezone.now()})[0]
    return Account.objects.create(product=product, display_name=name, bsb="923100",
                                  account_number=f"{random.randrange(10**7, 10**8)}")


@pytest.fixture
def accounts() -> tuple[Account, Account]:
    return _account("Everyday"), _account("Other")


def _txn(account: Account, when: datetime, *, posted: datetime | None = None,
         amount: str = "-10.00") -> Transaction:
    return Transaction(
        account=account, status=c.TransactionStatus.POSTED, type=c.TransactionType.PAYMENT,
        amount=Decimal(amount), description="TEST", execution_date_time=when,
        posting_date_time=posted or when)


def _counted() -> dict[tuple[int, Any], int]:
    """The triggers' counts, without days that went back to zero."""
    return {(row.account_id, row.day): row.count
            for row in TransactionDayCount.objects.all() if row.count}


def _actual() -> dict[tuple[int, Any], int]:
    """The same counts from the transactions themselves (UTC day of the effective time)."""
    rows = Transaction.objects.values_list("account_id", "effective_date_time")
    return dict(Counter((account, when.astimezone(UTC).date()) for account, when in rows))


def test_every_write_path_keeps_the_day_counts_exact(accounts):
    everyday, other = accounts
    first = _txn(everyday, MIDNIGHT - timedelta(microseconds=1))  # the day before
    first.save()
    Transaction.objects.create(
        account=everyday, status=c.TransactionStatus.PENDING, type=c.TransactionType.PAYMENT,
        amount=Decimal("-1.00"), description="PENDING", execution_date_time=MIDNIGHT)
    Transaction.objects.bulk_create(
        [_txn(everyday, MIDNIGHT + timedelta(hours=h)) for h in range(0, 72, 5)]
        + [_txn(other, MIDNIGHT + timedelta(hours=h)) for h in range(0, 48, 7)])
    assert _counted() == _actual()
    assert _counted()[(everyday.pk, MIDNIGHT.date())] == 1 + 5  # PENDING + 0,5,10,15,20 h
    assert _counted()[(everyday.pk, (MIDNIGHT - timedelta(days=1)).date())] == 1

    # Posting moves the effective time (posting time, else execution time) to another day.
    Transaction.objects.filter(pk=first.pk).update(posting_date_time=MIDNIGHT + timedelta(days=5))
    # A whole day's rows move to the other account.
    Transaction.objects.filter(
        account=everyday, effective_date_time__gte=MIDNIGHT + timedelta(days=1),
        effective_date_time__lt=MIDNIGHT + timedelta(days=2)).update(account=other)
    # An update that touches no date or account changes no count.
    Transaction.objects.filter(account=other).update(amount=F("amount") - 1)
    assert _counted() == _actual()
    assert (everyday.pk, (MIDNIGHT - timedelta(days=1)).date()) not in _counted()

    Transaction.objects.filter(account=other, effective_date_time__lt=MIDNIGHT + timedelta(
        days=1)).delete()
    first.refresh_from_db()
    first.delete()
    assert _counted() == _actual()
    Transaction.objects.all().delete()
    assert _counted() == {}


def _context(*accounts: Account) -> AccessContext:
    return AccessContext(
        customer_id=1, software_product_id="sp", arrangement_pk=1, scopes=frozenset(),
        account_ids=frozenset(a.pk for a in accounts), customer_present=False,
        certificate_thumbprint="", ids=ResourceIds(customer_key="1", software_product_id="sp"))


def _count(context, account, **filters):
    filters = selectors.TransactionFilters(**filters)
    listed = selectors.transaction_list_for_account(
        context=context, account=account, filters=filters)
    return (selectors.transaction_count_for_account(
        context=context, account=account, filters=filters, listed=listed), listed.count())


def test_window_counts_equal_counting_the_rows(accounts):
    """Windows starting and ending on, just before and just after midnight, within one day,
    over two, over many: the day-count answer equals COUNT(*) of the same query."""
    everyday, other = accounts
    rng = random.Random(20261206)
    rows = [_txn(everyday, MIDNIGHT + timedelta(days=d, microseconds=delta))
            for d in range(-1, 12) for delta in (-1, 0, 1)]
    rows += [_txn(everyday, MIDNIGHT + timedelta(seconds=rng.randrange(0, 12 * 86400)))
             for _ in range(300)]
    # Posted on a later day than executed: the posting day counts.
    rows += [_txn(everyday, MIDNIGHT + timedelta(days=3, hours=23),
                  posted=MIDNIGHT + timedelta(days=4, hours=1)) for _ in range(4)]
    rows += [_txn(other, MIDNIGHT + timedelta(days=d)) for d in range(12)]  # not counted
    Transaction.objects.bulk_create(rows)
    context = _context(everyday, other)
    edges = [MIDNIGHT + timedelta(days=d, microseconds=delta)
             for d in (-1, 0, 1, 2, 4, 11, 12) for delta in (-1, 0, 1)]
    windows = [(a, b) for a in edges for b in edges if a <= b]
    windows += [tuple(sorted(MIDNIGHT + timedelta(seconds=rng.uniform(-2, 13) * 86400)
                             for _ in range(2))) for _ in range(60)]
    for oldest, newest in windows:
        assert _count(context, everyday, oldest=oldest, newest=newest)[0] == _count(
            context, everyday, oldest=oldest, newest=newest)[1], (oldest, newest)
    whole = _count(context, everyday, oldest=MIDNIGHT - timedelta(days=2),
                   newest=MIDNIGHT + timedelta(days=13))
    assert whole == (len(rows) - 12, len(rows) - 12)
    # In another time zone the window means the same instants: the same count.
    sydney = timezone.get_fixed_timezone(600)
    assert _count(context, everyday, oldest=(MIDNIGHT + timedelta(hours=5)).astimezone(sydney),
                  newest=(MIDNIGHT + timedelta(days=6, hours=3)).astimezone(sydney)) == _count(
        context, everyday, oldest=MIDNIGHT + timedelta(hours=5),
        newest=MIDNIGHT + timedelta(days=6, hours=3))


def test_amount_filters_and_scope_are_honoured(accounts):
    everyday, other = accounts
    Transaction.objects.bulk_create(
        [_txn(everyday, MIDNIGHT + timedelta(days=d), amount=f"-{d + 1}.00") for d in range(10)])
    window = {"oldest": MIDNIGHT - timedelta(days=1), "newest": MIDNIGHT + timedelta(days=11)}
    assert _count(_context(everyday), everyday, **window, min_amount=Decimal("-3.00")) == (3, 3)
    assert _count(_context(everyday), everyday, **window, max_amount=Decimal("-9.00")) == (2, 2)
    # An account outside the token's accounts counts nothing, whole days included.
    assert _count(_context(other), everyday, **window) == (0, 0)


def test_check_and_rebuild_repair_counts_written_around_the_triggers(accounts, capsys):
    """What a restore with triggers disabled leaves behind: counts that disagree with the
    transactions. --check finds it (exit status 1), --rebuild repairs it."""
    everyday, other = accounts
    Transaction.objects.bulk_create(
        [_txn(everyday, MIDNIGHT + timedelta(hours=h)) for h in range(0, 60, 6)])
    call_command("transaction_day_counts", "--check")
    assert "all match" in capsys.readouterr().out
    TransactionDayCount.objects.filter(account=everyday).update(count=F("count") + 3)
    TransactionDayCount.objects.create(account=other, day=MIDNIGHT.date(), count=2)
    with pytest.raises(CommandError, match="4 day count"):
        call_command("transaction_day_counts", "--check")
    call_command("transaction_day_counts", "--rebuild")
    assert "rebuilt 3 day counts" in capsys.readouterr().out
    assert _counted() == _actual()
    call_command("transaction_day_counts", "--check")


@pytest.mark.postgres
def test_postgresql_truncate_empties_and_same_day_updates_write_no_counts(accounts):
    everyday, _ = accounts
    Transaction.objects.bulk_create(
        [_txn(everyday, MIDNIGHT + timedelta(hours=h)) for h in range(0, 48, 4)])
    versions = "SELECT xmin::text FROM transactions_transactiondaycount ORDER BY id"
    with connection.cursor() as cursor:
        cursor.execute(versions)
        before = cursor.fetchall()
        # A re-seal or status change moves no transaction to another day: no count is
        # written (and none is locked against concurrent writers).
        Transaction.objects.filter(account=everyday).update(amount=F("amount") - 1)
        cursor.execute(versions)
        assert cursor.fetchall() == before
        # The test's transaction still holds deferred foreign-key checks: run them first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE transactions_transaction")
    assert not TransactionDayCount.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_flush_that_empties_the_counts_first_succeeds_and_leaves_no_count(accounts):
    # `manage.py flush` (and pytest-django between transactional tests) empties every table;
    # on SQLite one DELETE at a time, in an order that varies between processes. With the
    # counts emptied before the transactions, a trigger that upserted the decrement left
    # rows of -1 pointing at deleted accounts, and the flush failed (migration 0008).
    from django.core.management.color import no_style

    first, second = accounts
    Transaction.objects.bulk_create([_txn(first, MIDNIGHT), _txn(first, MIDNIGHT + timedelta(days=1)),
                                     _txn(second, MIDNIGHT)])
    assert TransactionDayCount.objects.count() == 3
    counts = TransactionDayCount._meta.db_table
    tables = sorted(connection.introspection.django_table_names(only_existing=True,
                                                                include_views=False),
                    key=lambda table: (table != counts, table))
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))
    assert not Transaction.objects.exists() and not Account.objects.exists()
    assert not TransactionDayCount.objects.exists()

