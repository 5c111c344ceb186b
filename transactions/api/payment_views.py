"""Direct debits, scheduled payments and instalment plans (cds_banking.json 1.36.0).

All need bank:regular_payments:read. Versions served (banking data holder, 1.36.0):

- accounts/direct-debits: GET Get Bulk Direct Debits v1 (until 2026-12-07) and v2;
  POST Get Direct Debits For Specific Accounts v1.
- accounts/{accountId}/direct-debits: GET Get Direct Debits For Account v1.
- payments/scheduled: GET Get Scheduled Payments Bulk v2 (until 2026-12-07) and v3;
  POST Get Scheduled Payments For Specific Accounts v2.
- accounts/{accountId}/payments/scheduled: GET Get Scheduled Payments For Account v2.
- accounts/payments/plans: GET Get Instalment Plans Bulk v1 (`plan-status`; no account
  filters in the standard).
- accounts/{accountId}/payments/plans: GET Get Instalment Plans For Account v1.

The older bulk versions return the same objects as the newer ones; they differ only in the
product-category filter, which is BankingProductCategory there (no BUY_NOW_PAY_LATER) and
BankingProductCategoryV2 now (obsolete pages get-bulk-direct-debits-v1 and
get-scheduled-payments-bulk-v2; the response schemas on those pages are the 1.36.0 ones).
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.account_access import (
    ACCOUNT_FILTER_PARAMS,
    account_or_404,
    account_pks_from_body,
    parse_account_filters,
)
from accounts.selectors import AccountFilters
from bank.api.filters import parse_enum
from bank.api.views import AuthenticatedCdrApi
from security import scopes
from transactions import payment_selectors
from transactions.api.payment_serializers import (
    DirectDebitOutputSerializer,
    InstalmentPlanOutputSerializer,
    ScheduledPaymentOutputSerializer,
)

_REGULAR_PAYMENTS = (scopes.BANK_REGULAR_PAYMENTS_READ,)
_PLAN_STATUS_PARAMS = frozenset({"plan-status"})
_PLAN_STATUS_VALUES = (
    payment_selectors.PLAN_STATUS_ACTIVE,
    payment_selectors.PLAN_STATUS_INACTIVE,
    payment_selectors.PLAN_STATUS_ALL,
)


def _account_filters(request: Request, *, legacy_versions: tuple[int, ...]) -> AccountFilters:
    """The bulk account filters. The older versions take BankingProductCategory: no
    BUY_NOW_PAY_LATER (400 Field/Invalid), as `parse_account_filters` applies it."""
    return parse_account_filters(
        request.query_params, with_bnpl=request.version not in legacy_versions
    )


def _plan_status(params: Any) -> str:
    """`plan-status`: ACTIVE (the default), INACTIVE or ALL; else 400 Field/Invalid."""
    status = parse_enum(
        params.get("plan-status"), name="plan-status", allowed=_PLAN_STATUS_VALUES
    )
    return status or payment_selectors.PLAN_STATUS_ACTIVE


# Direct debits ---------------------------------------------------------------------------
class DirectDebitListApi(AuthenticatedCdrApi):
    """Get Bulk Direct Debits (GET v1, v2) and For Specific Accounts (POST v1)."""

    versions = (1, 2)
    method_versions = {"POST": (1,)}
    required_scopes = _REGULAR_PAYMENTS
    query_params = ACCOUNT_FILTER_PARAMS
    method_query_params = {"POST": frozenset()}
    paginated = True

    def get(self, request: Request) -> Response:
        filters = _account_filters(request, legacy_versions=(1,))
        debits = payment_selectors.direct_debit_list(context=self.cdr, filters=filters)
        return self.paginate(debits, DirectDebitOutputSerializer, key="directDebitAuthorisations")

    def post(self, request: Request) -> Response:
        pks = account_pks_from_body(self.cdr, request.data)
        debits = payment_selectors.direct_debit_list_for_accounts(context=self.cdr, account_pks=pks)
        return self.paginate(debits, DirectDebitOutputSerializer, key="directDebitAuthorisations")


class AccountDirectDebitListApi(AuthenticatedCdrApi):
    """Get Direct Debits For Account (v1)."""

    versions = (1,)
    required_scopes = _REGULAR_PAYMENTS
    paginated = True

    def get(self, request: Request, account_id: str) -> Response:
        account = account_or_404(self.cdr, account_id)
        debits = payment_selectors.direct_debit_list_for_accounts(
            context=self.cdr, account_pks=[account.pk]
        )
        return self.paginate(debits, DirectDebitOutputSerializer, key="directDebitAuthorisations")


# Scheduled payments ----------------------------------------------------------------------
class ScheduledPaymentListApi(AuthenticatedCdrApi):
    """Get Scheduled Payments Bulk (GET v2, v3) and For Specific Accounts (POST v2)."""

    versions = (2, 3)
    method_versions = {"POST": (2,)}
    required_scopes = _REGULAR_PAYMENTS
    query_params = ACCOUNT_FILTER_PARAMS
    method_query_params = {"POST": frozenset()}
    paginated = True

    def get(self, request: Request) -> Response:
        filters = _account_filters(request, legacy_versions=(2,))
        payments = payment_selectors.scheduled_payment_list(context=self.cdr, filters=filters)
        return self.paginate(payments, ScheduledPaymentOutputSerializer, key="scheduledPayments")

    def post(self, request: Request) -> Response:
        pks = account_pks_from_body(self.cdr, request.data)
        payments = payment_selectors.scheduled_payment_list_for_accounts(
            context=self.cdr, account_pks=pks
        )
        return self.paginate(payments, ScheduledPaymentOutputSerializer, key="scheduledPayments")


class AccountScheduledPaymentListApi(AuthenticatedCdrApi):
    """Get Scheduled Payments For Account (v2)."""

    versions = (2,)
    required_scopes = _REGULAR_PAYMENTS
    paginated = True

    def get(self, request: Request, account_id: str) -> Response:
        account = account_or_404(self.cdr, account_id)
        payments = payment_selectors.scheduled_payment_list_for_accounts(
            context=self.cdr, account_pks=[account.pk]
        )
        return self.paginate(payments, ScheduledPaymentOutputSerializer, key="scheduledPayments")


# Instalment plans ------------------------------------------------------------------------
class InstalmentPlanListApi(AuthenticatedCdrApi):
    """Get Instalment Plans Bulk (v1): `plan-status` only; the standard gives this bulk
    endpoint none of the account filters."""

    versions = (1,)
    required_scopes = _REGULAR_PAYMENTS
    query_params = _PLAN_STATUS_PARAMS
    paginated = True

    def get(self, request: Request) -> Response:
        plans = payment_selectors.instalment_plan_list(
            context=self.cdr, plan_status=_plan_status(request.query_params)
        )
        return self.paginate(plans, InstalmentPlanOutputSerializer, key="plans")


class AccountInstalmentPlanListApi(AuthenticatedCdrApi):
    """Get Instalment Plans For Account (v1). An account without instalment plans answers an
    empty list (the standard allows, but does not require, 404 Resource/NotImplemented)."""

    versions = (1,)
    required_scopes = _REGULAR_PAYMENTS
    query_params = _PLAN_STATUS_PARAMS
    paginated = True

    def get(self, request: Request, account_id: str) -> Response:
        plan_status = _plan_status(request.query_params)
        account = account_or_404(self.cdr, account_id)
        plans = payment_selectors.instalment_plan_list_for_account(
            context=self.cdr, account_pk=account.pk, plan_status=plan_status
        )
        return self.paginate(plans, InstalmentPlanOutputSerializer, key="plans")
