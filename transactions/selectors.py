"""Read side of account transactions, scoped by the access context.

The account comes from `accounts.selectors` (so it is one this token may see); these
functions only narrow within it. Filters and order run on the stored, indexed effective
time (`txn_account_effective`), so a page of a 100,000-transaction account is one index
range scan plus a count, never rows loaded into Python; only the `text` filter decrypts the
candidate rows (the searched columns are encrypted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from accounts.models import Account
from security.context import AccessContext
from security.resource_ids import ResourceKind
from transactions.models import InstalmentPlan, Transaction


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
        transactions = transactions.filter(pk__in=_text_matches(transactions, filters.text))
    # The plan's account decides whether its planId may be shown (plans are per account);
    # prefetched for the page only, so the count and the range scan stay join-free.
    return transactions.prefetch_related(
        Prefetch("instalment_plan", queryset=InstalmentPlan.objects.only("id", "account_id"))
    ).order_by("-effective_date_time", "-id")


def _text_matches(transactions: QuerySet[Transaction], text: str) -> list[int]:
    """Keys of the transactions whose description or reference contains `text` (any case).

    Those columns are encrypted (security/encryption), so the database cannot search them:
    the rows already narrowed by account, time and amount are decrypted here and matched in
    Python. A text search costs a decryption per candidate row; every other filter stays an
    index scan. (A searchable encrypted index would leak word frequencies; not worth it for a
    rarely used filter.)
    """
    needle = text.casefold()
    return [
        row.pk
        for row in transactions.only("id", "row_key", "description", "reference").iterator(
            chunk_size=2000)
        if needle in row.description.casefold() or needle in row.reference.casefold()
    ]


def transaction_get_for_account(
    *, context: AccessContext, account: Account, transaction_id: str
) -> Transaction | None:
    """The transaction behind a public transactionId, if it is on this (accessible) account."""
    pk = context.ids.decode_or_no_row(ResourceKind.TRANSACTION, transaction_id)
    return (
        Transaction.objects.filter(pk=pk, account_id=account.pk, account_id__in=context.account_ids)
        .select_related("instalment_plan")
        .first()
    )
