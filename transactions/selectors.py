"""Read side of account transactions, scoped by the access context.

The account comes from `accounts.selectors` (so it is one this token may see); these
functions only narrow within it. Filters and order run on the stored, indexed effective
time (`txn_account_effective`), so a page of a 100,000-transaction account is one index
range scan plus a count, never rows loaded into Python; only the `text` filter decrypts the
candidate rows (the searched columns are encrypted).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NoReturn

from django.db import connections
from django.db.models import BooleanField, F, Func, Prefetch, QuerySet, Value
from django.db.models.expressions import RawSQL

from accounts.models import Account
from bank.api import errors
from bank.queries import unique_row
from security.context import AccessContext
from security.encryption import keyring
from security.encryption.fields import EncryptedMixin
from security.resource_ids import ResourceKind
from transactions.models import InstalmentPlan, Transaction, TransactionDayCount


@dataclass(frozen=True)
class TransactionFilters:
    oldest: datetime
    newest: datetime
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    text: str | None = None


def transaction_list_for_account(
    *, context: AccessContext, account: Account, filters: TransactionFilters
) -> QuerySet[Transaction]:
    transactions = Transaction.objects.filter(
        account_id=account.pk,
        # Belt and braces: the account came from a scoped selector, and stays in scope here.
        account_id__in=context.account_ids,
        effective_date_time__gte=filters.oldest,
        effective_date_time__lte=filters.newest,
    )
    if filters.min_amount is not None:
        transactions = transactions.filter(amount__gte=filters.min_amount)
    if filters.max_amount is not None:
        transactions = transactions.filter(amount__lte=filters.max_amount)
    if filters.text:
        _text_search_bounded(transactions)
        transactions = _keys_in(transactions, _text_matches(transactions, filters.text))
    # The plan's account decides whether its planId may be shown (plans are per account);
    # prefetched for the page only, so the count and the range scan stay join-free.
    return transactions.prefetch_related(
        Prefetch("instalment_plan", queryset=InstalmentPlan.objects.only("id", "account_id"))
    ).order_by("-effective_date_time", "-id")


def transaction_count_for_account(
    *, context: AccessContext, account: Account, filters: TransactionFilters,
    listed: QuerySet[Transaction],
) -> int:
    """How many transactions `listed` (transaction_list_for_account with these arguments)
    holds: meta.totalRecords.

    With only a time window, the count is read from the per-day counts (TransactionDayCount,
    kept exact by triggers): the whole UTC days inside the window, plus range counts over
    its first and last (partial) days, in one statement, so one snapshot. A 90-day window of
    an account with 100,000 transactions then reads about 90 count rows and two days of
    index entries instead of 100,000 index entries (9 ms on PostgreSQL). An amount or text
    filter, or a window without a whole day inside, counts `listed` itself.

    The statement is fixed SQL with parameters (`_window_count_sql`): built with the ORM
    (three subqueries), compiling it cost more than running it (about 3 ms a call).
    """
    if filters.min_amount is not None or filters.max_amount is not None or filters.text:
        return listed.count()
    first_day = filters.oldest.astimezone(UTC).date()
    last_day = filters.newest.astimezone(UTC).date()
    if last_day - first_day < timedelta(days=2):
        return listed.count()
    if account.pk not in context.account_ids:
        return 0  # as `listed` would say: it is scoped to the context's accounts too
    connection = connections[listed.db]
    at = connection.ops.adapt_datetimefield_value
    on = connection.ops.adapt_datefield_value
    after_first_day = datetime.combine(first_day + timedelta(days=1), time.min, tzinfo=UTC)
    start_of_last_day = datetime.combine(last_day, time.min, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute(_window_count_sql(connection), [
            account.pk, at(filters.oldest), at(after_first_day),
            account.pk, on(first_day), on(last_day),
            account.pk, at(start_of_last_day), at(filters.newest),
        ])
        (total,) = cursor.fetchone()
    return int(total)


def _window_count_sql(connection: Any) -> str:
    q = connection.ops.quote_name
    transactions, counts = q(Transaction._meta.db_table), q(TransactionDayCount._meta.db_table)
    account, effective = q("account_id"), q("effective_date_time")
    return (
        # Names from the models' metadata, quoted; every value is a parameter.
        f"SELECT (SELECT COUNT(*) FROM {transactions} WHERE {account} = %s"  # noqa: S608
        f" AND {effective} >= %s AND {effective} < %s)"
        f" + (SELECT COALESCE(SUM({q('count')}), 0) FROM {counts} WHERE {account} = %s"
        f" AND {q('day')} > %s AND {q('day')} < %s)"
        f" + (SELECT COUNT(*) FROM {transactions} WHERE {account} = %s"
        f" AND {effective} >= %s AND {effective} <= %s)"
    )


#: The most transactions one `text` search decrypts: those of the account in the query's time
#: window and amount range. Decrypting costs 15-25 us a row (bench/transactions_benchmark.py),
#: so a search over more could not answer within the CDR low-priority threshold (1500 ms at
#: the 95th percentile); it is refused with 400 Field/Invalid before anything is decrypted,
#: and a narrower oldest-time/newest-time window always brings it under the limit.
TEXT_SEARCH_MAX_ROWS = 30_000


def _text_search_bounded(transactions: QuerySet[Transaction]) -> None:
    """400 Field/Invalid for a search over more than TEXT_SEARCH_MAX_ROWS transactions. The
    count stops one past the limit, on the index range the page reads."""
    limit = TEXT_SEARCH_MAX_ROWS
    if transactions.order_by()[: limit + 1].count() > limit:
        raise errors.InvalidFieldError(
            f"text searches at most {limit} transactions at a time: narrow oldest-time and "
            "newest-time")


def _text_matches(transactions: QuerySet[Transaction], text: str) -> list[int]:
    """Keys of the transactions whose description or reference contains `text` (any case).

    Those columns are encrypted (security/encryption), so the database cannot search them:
    the rows already narrowed by account, time and amount are decrypted here and matched in
    Python. A text search costs a decryption per candidate row (two when the description
    does not match); every other filter stays an index scan. (A searchable encrypted index
    would leak word frequencies; not worth it for a rarely used filter.)

    Only the key, the row key and the two ciphertexts are read (`values_list`: no model
    instances), and they are opened with the associated data of their field
    (`EncryptedMixin.context_for`) by a `keyring.sealed_opener`, which sets each key up once
    for the whole scan. A value that does not decrypt stops the request: it is never
    skipped (see `_failed`).
    """
    needle = text.casefold()
    open_value = keyring.sealed_opener()
    description, reference = _DESCRIPTION, _REFERENCE
    matches = []
    rows = transactions.values_list("id", "row_key", "description", "reference")
    for pk, row_key, sealed_description, sealed_reference in rows.iterator(
            chunk_size=_SCAN_CHUNK):
        try:
            if sealed_description and needle in open_value(
                    sealed_description, description.context_for(row_key)).casefold():
                matches.append(pk)
            elif sealed_reference and needle in open_value(
                    sealed_reference, reference.context_for(row_key)).casefold():
                matches.append(pk)
        except keyring.DecryptionFailed as exc:
            _failed(pk, exc)
    return matches


_SCAN_CHUNK = 5000


def _field_keyed(name: str) -> EncryptedMixin:
    """An encrypted column of Transaction under the bank's field key, whose associated data
    is therefore the row's own (`context_for(row_key)`, no customer key)."""
    found = Transaction._meta.get_field(name)
    if not isinstance(found, EncryptedMixin) or found.encryption_key != "field":
        raise TypeError(f"Transaction.{name}: the text filter expects a field-key column.")
    return found


_DESCRIPTION = _field_keyed("description")
_REFERENCE = _field_keyed("reference")


def _keys_in(transactions: QuerySet[Transaction], pks: list[int]) -> QuerySet[Transaction]:
    """`transactions.filter(pk__in=pks)` for the keys a search matched, with the keys in one
    parameter when there are many. A broad search matches tens of thousands of rows, and an
    IN list of 40,000 literals costs about 0.6 s to send and parse on PostgreSQL (0.2 s on
    SQLite) in each of the page's two queries (count, rows); one parameter, a fraction of it.

    On PostgreSQL `id = ANY(<array constant>)`, a hashed test per row, not a join: a join
    with the unnested keys was planned as a nested loop on a table without fresh statistics
    (it ran for minutes). On SQLite `id IN (SELECT value FROM json_each(<JSON array>))`,
    which SQLite always builds into a temporary index, once."""
    vendor = connections[transactions.db].vendor
    if len(pks) <= _SHORT_IN_LIST or vendor not in ("postgresql", "sqlite"):
        return transactions.filter(pk__in=pks)
    if vendor == "postgresql":
        array = "{" + ",".join(map(str, pks)) + "}"
        return transactions.filter(_EqualsAny(F("pk"), Value(array)))
    return transactions.filter(pk__in=RawSQL("SELECT value FROM json_each(%s)", [json.dumps(pks)]))


_SHORT_IN_LIST = 1000


class _EqualsAny(Func):
    """`<column> = ANY(<array literal>::bigint[])` (PostgreSQL)."""

    arg_joiner = " = ANY("
    template = "%(expressions)s::bigint[])"
    output_field = BooleanField()


def _failed(pk: int, exc: keyring.DecryptionFailed) -> NoReturn:
    """A candidate row that does not decrypt ends the request with the error (500
    GeneralError/Unexpected), never with the row left out. It is read once more through the
    model, whose field audits the failure (DECRYPTION_FAILED) and raises it, as any read of
    the row would; should that read succeed (the row re-sealed since the scan), the scan's
    error stands all the same."""
    row = Transaction.objects.filter(pk=pk).only("id", "row_key", "description",
                                                 "reference").first()
    if row is not None:
        _ = (row.description, row.reference)
    raise exc


def transaction_get_for_account(
    *, context: AccessContext, account: Account, transaction_id: str
) -> Transaction | None:
    """The transaction behind a public transactionId, if it is on this (accessible) account."""
    pk = context.ids.decode_or_no_row(ResourceKind.TRANSACTION, transaction_id)
    return unique_row(
        Transaction.objects.filter(pk=pk, account_id=account.pk, account_id__in=context.account_ids)
        .select_related("instalment_plan")
    )
