"""Get Transactions For Account v1/v2 and Get Transaction Detail v2/v3 (cds_banking.json).

Query (v1 and v2 alike): oldest-time (default newest-time minus 90 days), newest-time
(default now), min-amount, max-amount, text (substring of description or reference; we
implement it, so meta never says isQueryParamUnsupported).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cache

from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.account_access import account_or_404
from accounts.selectors import accessible_account_pks
from bank.api import errors
from bank.api.filters import parse_amount, parse_datetime_string, parse_text
from bank.api.views import AuthenticatedCdrApi
from security import scopes
from security.context import AccessContext
from security.resource_ids import ResourceKind, echoable_id
from security.throttling.policy import Operation
from transactions import selectors
from transactions.api.transaction_serializers import (
    TransactionDetailOutputSerializer,
    TransactionOutputSerializer,
)

DEFAULT_HISTORY = timedelta(days=90)


def _visible_account_ids(context: AccessContext) -> Callable[[], frozenset[int]]:
    """The accounts this token may see now, read on first use: only a transaction of an
    instalment plan needs them (its planId is shown only for a plan on such an account), so
    most pages never run the query."""
    return cache(lambda: accessible_account_pks(context=context))


def parse_transaction_filters(params: dict[str, str]) -> selectors.TransactionFilters:
    newest = parse_datetime_string(params.get("newest-time"), name="newest-time") or timezone.now()
    oldest = parse_datetime_string(params.get("oldest-time"), name="oldest-time")
    if oldest is None:
        oldest = newest - DEFAULT_HISTORY
    if oldest > newest:
        raise errors.InvalidDateTimeError("oldest-time")
    return selectors.TransactionFilters(
        oldest=oldest,
        newest=newest,
        min_amount=parse_amount(params.get("min-amount"), name="min-amount"),
        max_amount=parse_amount(params.get("max-amount"), name="max-amount"),
        text=parse_text(params.get("text"), name="text"),
    )


class TransactionListApi(AuthenticatedCdrApi):
    versions = (1, 2)
    required_scopes = (scopes.BANK_TRANSACTIONS_READ,)
    query_params = frozenset({"oldest-time", "newest-time", "min-amount", "max-amount", "text"})
    paginated = True

    def rate_limit_operation(self, request: Request) -> Operation:
        # The text filter decrypts up to TEXT_SEARCH_MAX_ROWS descriptions: its own, tighter
        # limits (security/throttling/policy.py).
        return Operation.RESOURCE_SEARCH if "text" in request.query_params else self.operation

    def get(self, request: Request, account_id: str) -> Response:
        account = account_or_404(self.cdr, account_id)
        filters = parse_transaction_filters(request.query_params)
        transactions = selectors.transaction_list_for_account(
            context=self.cdr, account=account, filters=filters
        )
        return self.paginate(
            transactions,
            TransactionOutputSerializer,
            key="transactions",
            count=lambda: selectors.transaction_count_for_account(
                context=self.cdr, account=account, filters=filters, listed=transactions),
            context={
                "account_public_id": self.cdr.ids.encode(ResourceKind.ACCOUNT, account.pk),
                "current_shape": self.version >= 2,
                "visible_account_ids": _visible_account_ids(self.cdr),
            },
        )


class TransactionDetailApi(AuthenticatedCdrApi):
    versions = (2, 3)
    required_scopes = (scopes.BANK_TRANSACTIONS_READ,)

    def get(self, request: Request, account_id: str, transaction_id: str) -> Response:
        account = account_or_404(self.cdr, account_id)
        transaction = selectors.transaction_get_for_account(
            context=self.cdr, account=account, transaction_id=transaction_id
        )
        if transaction is None:
            raise errors.InvalidResourceError(echoable_id(transaction_id, name="transactionId"))
        return self.single(
            transaction,
            TransactionDetailOutputSerializer,
            {
                "account_public_id": self.cdr.ids.encode(ResourceKind.ACCOUNT, account.pk),
                "current_shape": self.version >= 3,
                "visible_account_ids": _visible_account_ids(self.cdr),
            },
        )
