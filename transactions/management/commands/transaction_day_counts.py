"""Check or rebuild the per-day transaction counts (TransactionDayCount).

    manage.py transaction_day_counts --check     exit status 1 if any count is wrong
    manage.py transaction_day_counts --rebuild   recompute them all, writers held off

The triggers of migrations 0006/0007 keep the counts exact on every INSERT, UPDATE, DELETE
and TRUNCATE. Writes that bypass triggers do not: a restore with triggers disabled
(`pg_restore --disable-triggers`), a replica applying changes with
`session_replication_role = replica`, `ALTER TABLE ... DISABLE TRIGGER`. After one of
those, `--check` says whether Get Transactions' totalRecords can be trusted and `--rebuild`
makes it so. Only numbers are printed.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate

from transactions.models import Transaction, TransactionDayCount


def _actual() -> dict[tuple[int, Any], int]:
    rows = (Transaction.objects.order_by()
            .values("account_id", day=TruncDate("effective_date_time", tzinfo=UTC))
            .annotate(n=Count("id")).values_list("account_id", "day", "n"))
    return {(account, day): n for account, day, n in rows}


def _stored() -> dict[tuple[int, Any], int]:
    rows = TransactionDayCount.objects.exclude(count=0).values_list("account_id", "day", "count")
    return {(account, day): n for account, day, n in rows}


def day_counts_wrong() -> int:
    """How many (account, day) counts differ from the transactions themselves."""
    actual, stored = _actual(), _stored()
    return sum(1 for key in actual.keys() | stored.keys() if actual.get(key) != stored.get(key))


def day_counts_rebuild() -> int:
    """Recompute every count in one transaction; returns how many (account, day) rows."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers wait until the rebuild commits; readers go on.
            table = connection.ops.quote_name(Transaction._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
        # On SQLite the DELETE takes the database's write lock until commit.
        TransactionDayCount.objects.all().delete()
        actual = _actual()
        TransactionDayCount.objects.bulk_create(
            [TransactionDayCount(account_id=account, day=day, count=n)
             for (account, day), n in actual.items()], batch_size=5000)
    return len(actual)


class Command(BaseCommand):
    help = "Check (--check) or rebuild (--rebuild) the per-day transaction counts."

    def add_arguments(self, parser: Any) -> None:
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--check", action="store_true")
        mode.add_argument("--rebuild", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            self.stdout.write(f"rebuilt {day_counts_rebuild()} day counts")
            return
        wrong = day_counts_wrong()
        if wrong:
            raise CommandError(f"{wrong} day count(s) differ from the transactions: "
                               "run manage.py transaction_day_counts --rebuild")
        self.stdout.write("day counts: all match the transactions")
