"""SQLite: a decrement of the transaction day counts updates an existing row, never inserts one.

0006's row triggers upserted `-1` for a deleted (or moved) transaction. When the count row was
already gone, that inserted a row of -1 for the account, day and all. `manage.py flush` is how
that happened: it empties the tables one at a time, in an order that varies between
processes, and a DELETE of the transactions after the counts had been emptied left rows of -1
that still pointed at the accounts it had deleted, so the flush failed its foreign-key check
and left everything in place. A decrement now only changes a row that exists; increments
still upsert. PostgreSQL is unchanged: its flush is one TRUNCATE, which empties the counts
(0007).
"""

from django.db import migrations

TXN = "transactions_transaction"
COUNTS = "transactions_transactiondaycount"
DAY = "substr({row}.effective_date_time, 1, 10)"


def _increment(row: str) -> str:
    return (f"INSERT INTO {COUNTS} (account_id, day, count) "
            f"VALUES ({row}.account_id, {DAY.format(row=row)}, 1) "
            f"ON CONFLICT (account_id, day) DO UPDATE SET count = count + 1;")


def _decrement(row: str) -> str:
    return (f"UPDATE {COUNTS} SET count = count - 1 "
            f"WHERE account_id = {row}.account_id AND day = {DAY.format(row=row)};")


def _upsert(row: str, delta: int) -> str:
    """0006's statement, for the reverse."""
    return (f"INSERT INTO {COUNTS} (account_id, day, count) "
            f"VALUES ({row}.account_id, {DAY.format(row=row)}, {delta}) "
            f"ON CONFLICT (account_id, day) DO UPDATE SET count = count + ({delta});")


UPDATE_OF = f"AFTER UPDATE OF account_id, posting_date_time, execution_date_time ON {TXN}"
DROP = ["DROP TRIGGER IF EXISTS txn_day_counts_update;",
        "DROP TRIGGER IF EXISTS txn_day_counts_delete;"]
FORWARD = [
    *DROP,
    f"CREATE TRIGGER txn_day_counts_update {UPDATE_OF} BEGIN "
    f"{_decrement('OLD')} {_increment('NEW')} END;",
    f"CREATE TRIGGER txn_day_counts_delete AFTER DELETE ON {TXN} BEGIN {_decrement('OLD')} END;",
]
BACKWARD = [
    *DROP,
    f"CREATE TRIGGER txn_day_counts_update {UPDATE_OF} BEGIN "
    f"{_upsert('OLD', -1)} {_upsert('NEW', 1)} END;",
    f"CREATE TRIGGER txn_day_counts_delete AFTER DELETE ON {TXN} BEGIN {_upsert('OLD', -1)} END;",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('transactions', '0007_day_counts_ordered_upserts'),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
