"""PostgreSQL day-count triggers (0006), revised after review:

- an UPDATE nets its old and new rows per (account, day) first and writes only the days
  whose count changes: an update that moves no transaction to another day (a key rotation
  re-sealing a batch, a status change) no longer writes and locks count rows;
- every trigger writes its count rows in (account, day) order, so two writers lock them in
  the same order and cannot deadlock each other;
- TRUNCATE of the transactions empties the counts too (it fires no DELETE trigger).

The function reads `effective_date_time` and `account_id` of the transactions table by
name, which PostgreSQL does not track as a dependency: a migration that renames or
re-creates either column must re-create this function.

SQLite's row-level triggers (0006) already write one row at a time and have no TRUNCATE.
Reversible: the reverse restores 0006's function and drops the TRUNCATE trigger.
"""

from django.db import migrations

TXN = "transactions_transaction"
COUNTS = "transactions_transactiondaycount"
DAY = "(effective_date_time AT TIME ZONE 'UTC')::date"

UPSERT = f"""
        INSERT INTO {COUNTS} (account_id, day, count)
        SELECT account_id, day, sum(delta) FROM changes
        GROUP BY account_id, day HAVING sum(delta) <> 0
        ORDER BY account_id, day
        ON CONFLICT (account_id, day)
        DO UPDATE SET count = {COUNTS}.count + EXCLUDED.count;"""

FORWARD = f"""
CREATE OR REPLACE FUNCTION txn_day_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH changes AS (SELECT account_id, {DAY} AS day, 1 AS delta FROM new_rows)
        {UPSERT}
    ELSIF TG_OP = 'DELETE' THEN
        WITH changes AS (SELECT account_id, {DAY} AS day, -1 AS delta FROM old_rows)
        {UPSERT}
    ELSE
        WITH changes AS (
            SELECT account_id, {DAY} AS day, -1 AS delta FROM old_rows
            UNION ALL
            SELECT account_id, {DAY} AS day, 1 AS delta FROM new_rows)
        {UPSERT}
    END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION txn_day_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {COUNTS};
    RETURN NULL;
END
$$;
CREATE TRIGGER txn_day_counts_truncate AFTER TRUNCATE ON {TXN}
    FOR EACH STATEMENT EXECUTE FUNCTION txn_day_counts_truncated();
"""

# 0006's function, as it was.
BACKWARD = f"""
DROP TRIGGER IF EXISTS txn_day_counts_truncate ON {TXN};
DROP FUNCTION IF EXISTS txn_day_counts_truncated();
CREATE OR REPLACE FUNCTION txn_day_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO {COUNTS} (account_id, day, count)
        SELECT account_id, {DAY}, -count(*)
        FROM old_rows GROUP BY 1, 2
        ON CONFLICT (account_id, day)
        DO UPDATE SET count = {COUNTS}.count + EXCLUDED.count;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO {COUNTS} (account_id, day, count)
        SELECT account_id, {DAY}, count(*)
        FROM new_rows GROUP BY 1, 2
        ON CONFLICT (account_id, day)
        DO UPDATE SET count = {COUNTS}.count + EXCLUDED.count;
    END IF;
    RETURN NULL;
END
$$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('transactions', '0006_transaction_day_counts'),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
