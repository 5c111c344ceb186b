"""Get Accounts, Get Account Detail and the balance endpoints (cds_banking.json 1.36.0).

Versions served (endpoint-version-schedule, banking data holder, on and after 2026-11-09):
Get Accounts v2 (until 2026-12-07) and v3; Get Account Detail v4 (until 2026-12-07) and v5;
Get Bulk Balances v1 (until 2026-12-07) and v2; Balances for Specific Accounts v1; Get
Account Balance v1.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors
from accounts.api.account_access import (
    ACCOUNT_FILTER_PARAMS,
    account_or_404,
    account_pks_from_body,
    parse_account_filters,
)
from accounts.api.account_serializers import (
    AccountDetailOutputSerializer,
    AccountOutputSerializer,
    BalanceOutputSerializer,
)
from bank.api import errors
from bank.api.views import AuthenticatedCdrApi
from security import scopes
from security.resource_ids import echoable_id


class AccountListApi(AuthenticatedCdrApi):
    versions = (2, 3)
    required_scopes = (scopes.BANK_ACCOUNTS_BASIC_READ,)
    query_params = ACCOUNT_FILTER_PARAMS
    paginated = True

    def get(self, request: Request) -> Response:
        filters = parse_account_filters(request.query_params, with_bnpl=self.version >= 3)
        accounts = selectors.account_list(context=self.cdr, filters=filters)
        return self.paginate(
            accounts,
            AccountOutputSerializer,
            key="accounts",
            context={"current_shape": self.version >= 3},
        )


class AccountDetailApi(AuthenticatedCdrApi):
    versions = (4, 5)
    required_scopes = (scopes.BANK_ACCOUNTS_DETAIL_READ,)

    def get(self, request: Request, account_id: str) -> Response:
        account = account_or_404(self.cdr, account_id, detail=True)
        return self.single(
            account,
            AccountDetailOutputSerializer,
            {
                "current_shape": self.version >= 5,
                "addresses": selectors.correspondence_addresses(context=self.cdr),
                # Offset accounts are named only if accessible now (shared and still held).
                "visible_account_ids": selectors.accessible_account_pks(context=self.cdr),
            },
        )


class BalanceListApi(AuthenticatedCdrApi):
    """Get Bulk Balances (GET) and Get Balances For Specific Accounts (POST v1)."""

    versions = (1, 2)
    method_versions = {"POST": (1,)}
    required_scopes = (scopes.BANK_ACCOUNTS_BASIC_READ,)
    # The account filters belong to the GET; the POST names its accounts in the body.
    query_params = ACCOUNT_FILTER_PARAMS
    method_query_params = {"POST": frozenset()}
    paginated = True

    def get(self, request: Request) -> Response:
        filters = parse_account_filters(request.query_params, with_bnpl=self.version >= 2)
        accounts = selectors.account_list(context=self.cdr, filters=filters)
        balances = selectors.balance_list(context=self.cdr, accounts=accounts)
        return self.paginate(balances, BalanceOutputSerializer, key="balances")

    def post(self, request: Request) -> Response:
        pks = account_pks_from_body(self.cdr, request.data)
        balances = selectors.balance_list_for_ids(context=self.cdr, pks=pks)
        return self.paginate(balances, BalanceOutputSerializer, key="balances")


class AccountBalanceApi(AuthenticatedCdrApi):
    versions = (1,)
    required_scopes = (scopes.BANK_ACCOUNTS_BASIC_READ,)

    def get(self, request: Request, account_id: str) -> Response:
        account = account_or_404(self.cdr, account_id)
        balance = selectors.balance_list_for_ids(context=self.cdr, pks=[account.pk]).first()
        if balance is None:
            # An account with no balance row is a data fault of ours, not the caller's.
            raise errors.UnavailableBankingAccountError(echoable_id(account_id, name="accountId"))
        return self.single(balance, BalanceOutputSerializer)
