"""Read side of regular payments: direct debit authorisations, scheduled payments and
instalment plans, scoped by the access context (STYLE.md §2).

Every row hangs off an account, and every query here starts from
`accounts.selectors.account_accessible` (directly or through `account_list`), so a row is
visible only if its account is in the arrangement and still held by the customer. Callers
that already resolved accounts (a path accountId, a POST body) pass internal keys; they are
intersected with the accessible accounts again here, so no caller can widen the set.

Orders are total (they end on the primary key) so that pages never overlap or skip.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)

from accounts.models import Account, AccountHolder
from accounts.selectors import ALL_ACCOUNTS, AccountFilters, account_accessible, account_list
from security import scopes
from security.context import AccessContext
from transactions.models import (
    DirectDebit,
    InstalmentPlan,
    InstalmentPlanSchedule,
    ScheduledPayment,
    ScheduledPaymentSet,
)

#: Get Instalment Plans `plan-status` values.
PLAN_STATUS_ACTIVE = "ACTIVE"
PLAN_STATUS_INACTIVE = "INACTIVE"
PLAN_STATUS_ALL = "ALL"


def _accessible_among(*, context: AccessContext, account_pks: Iterable[int]) -> QuerySet[Account]:
    return account_accessible(context=context).filter(pk__in=set(account_pks))


# Direct debits ---------------------------------------------------------------------------
def direct_debit_list(
    *, context: AccessContext, filters: AccountFilters = ALL_ACCOUNTS
) -> QuerySet[DirectDebit]:
    """Direct debit authorisations of the accessible accounts that match `filters`."""
    accounts = account_list(context=context, filters=filters)
    return _direct_debits(DirectDebit.objects.filter(account__in=accounts.values("pk")))


def direct_debit_list_for_accounts(
    *, context: AccessContext, account_pks: Iterable[int]
) -> QuerySet[DirectDebit]:
    """Direct debit authorisations of the given accounts (those not accessible add nothing)."""
    accounts = _accessible_among(context=context, account_pks=account_pks)
    return _direct_debits(DirectDebit.objects.filter(account__in=accounts.values("pk")))


def _direct_debits(debits: QuerySet[DirectDebit]) -> QuerySet[DirectDebit]:
    return debits.order_by("account_id", "id")


# Scheduled payments ----------------------------------------------------------------------
def scheduled_payment_list(
    *, context: AccessContext, filters: AccountFilters = ALL_ACCOUNTS
) -> QuerySet[ScheduledPayment]:
    """Scheduled payments whose source (`from`) account is accessible and matches `filters`."""
    accounts = account_list(context=context, filters=filters)
    return _scheduled_payments(
        context, ScheduledPayment.objects.filter(from_account__in=accounts.values("pk"))
    )


def scheduled_payment_list_for_accounts(
    *, context: AccessContext, account_pks: Iterable[int]
) -> QuerySet[ScheduledPayment]:
    accounts = _accessible_among(context=context, account_pks=account_pks)
    return _scheduled_payments(
        context, ScheduledPayment.objects.filter(from_account__in=accounts.values("pk"))
    )


def _scheduled_payments(
    context: AccessContext, payments: QuerySet[ScheduledPayment]
) -> QuerySet[ScheduledPayment]:
    """Payments with their payment sets, each set annotated with what this token may name.

    A scheduled payment is shared because its source account is; its destinations are not
    necessarily shared. Two annotations record, per set, whether the destination may be
    referred to by ID (BankingScheduledPaymentToV2):

    - `to_account_shared`: the target account is accessible under this arrangement (the
      `accountId` form is "another account that is accessible under the current consent");
    - `to_payee_shared`: the payee is this customer's and the token has bank:payees:read
      (the `payeeId` form is a payee "that can be accessed using the payee endpoint"; without
      that scope "the full payee details should be provided instead").

    The serializer renders the other destinations inline, without an ID.
    """
    if context.has_scope(scopes.BANK_PAYEES_READ):
        payee_shared: ExpressionWrapper | Value = ExpressionWrapper(
            Q(to_payee__customer_id=context.customer_id), output_field=BooleanField()
        )
    else:
        payee_shared = Value(False, output_field=BooleanField())
    sets = (
        ScheduledPaymentSet.objects.select_related("to_account", "to_payee")
        .annotate(
            to_account_shared=Exists(
                account_accessible(context=context).filter(pk=OuterRef("to_account_id"))
            ),
            # Whether the consenting customer holds the destination at all: only then may
            # its own name stand in for a missing nickname (never another customer's name).
            to_account_held=Exists(
                AccountHolder.objects.filter(
                    account_id=OuterRef("to_account_id"), customer_id=context.customer_id
                )
            ),
            to_payee_shared=payee_shared,
        )
        .order_by("position", "id")
    )
    return payments.prefetch_related(Prefetch("payment_set", queryset=sets)).order_by("id")


# Instalment plans ------------------------------------------------------------------------
def instalment_plan_list(
    *, context: AccessContext, plan_status: str = PLAN_STATUS_ACTIVE
) -> QuerySet[InstalmentPlan]:
    """Plans of every accessible account (Get Instalment Plans Bulk takes no account filter)."""
    return _plans(
        InstalmentPlan.objects.filter(account__in=account_accessible(context=context).values("pk")),
        plan_status,
    )


def instalment_plan_list_for_account(
    *, context: AccessContext, account_pk: int, plan_status: str = PLAN_STATUS_ACTIVE
) -> QuerySet[InstalmentPlan]:
    accounts = _accessible_among(context=context, account_pks=[account_pk])
    return _plans(InstalmentPlan.objects.filter(account__in=accounts.values("pk")), plan_status)


def _plans(plans: QuerySet[InstalmentPlan], plan_status: str) -> QuerySet[InstalmentPlan]:
    """Filter by `plan-status` as the standard defines it, on the schedule (not on the
    stored status column): ACTIVE has at least one instalment with isPaid false, INACTIVE
    has every instalment paid. Ordered by creationDate descending, as the standard requires.
    """
    unpaid = Exists(InstalmentPlanSchedule.objects.filter(plan=OuterRef("pk"), is_paid=False))
    if plan_status == PLAN_STATUS_ACTIVE:
        plans = plans.filter(unpaid)
    elif plan_status == PLAN_STATUS_INACTIVE:
        plans = plans.filter(~unpaid)
    elif plan_status != PLAN_STATUS_ALL:
        raise ValueError(f"unknown plan status {plan_status!r}")
    return plans.prefetch_related(
        Prefetch("schedule", queryset=InstalmentPlanSchedule.objects.order_by("due_date", "id"))
    ).order_by("-creation_date", "-id")
