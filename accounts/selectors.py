"""Read side of customer accounts, scoped by the access context (STYLE.md §2).

Every function takes the AccessContext as a required keyword argument. An account is visible
only if it is (a) selected in the arrangement and (b) still held by the consenting customer;
`account_accessible` is the one expression for that, and everything else here starts from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet

from accounts.models import Account, Balance, Customer, CustomerAddress
from bank.queries import unique_row
from security.context import AccessContext
from security.resource_ids import NO_ROW, ResourceKind


@dataclass(frozen=True)
class AccountFilters:
    """product-category, open-status and is-owned (cds_banking.json, Get Accounts)."""

    product_categories: frozenset[str] | None = None
    open_status: str | None = None  # OPEN | CLOSED; None is ALL
    is_owned: bool | None = None


ALL_ACCOUNTS = AccountFilters()


def account_accessible(*, context: AccessContext) -> QuerySet[Account]:
    """Accounts this token may see, each annotated with `is_owned` for this customer."""
    return Account.objects.filter(
        id__in=context.account_ids, account_holders__customer_id=context.customer_id
    ).annotate(is_owned=F("account_holders__is_owner"))


def accessible_account_pks(*, context: AccessContext) -> frozenset[int]:
    """Keys of the accounts this token may see now (for deciding which IDs a body may name)."""
    return frozenset(account_accessible(context=context).values_list("pk", flat=True))


def account_list(
    *, context: AccessContext, filters: AccountFilters = ALL_ACCOUNTS
) -> QuerySet[Account]:
    accounts = account_accessible(context=context).select_related("product")
    if filters.product_categories is not None:
        accounts = accounts.filter(product__category__in=filters.product_categories)
    if filters.open_status is not None:
        accounts = accounts.filter(open_status=filters.open_status)
    if filters.is_owned is not None:
        # The annotation, not account_holders__is_owner: a second filter() on a multi-valued
        # relation would join again and match any holder's flag instead of this customer's.
        accounts = accounts.filter(is_owned=filters.is_owned)  # type: ignore[misc]
    return accounts.order_by("id")


def account_get(*, context: AccessContext, account_id: str) -> Account | None:
    """The account behind a public accountId, if this token may see it.

    An ID that does not decode (forged, another customer's, another software product's) runs
    the same query as one that decodes to an unshared account, so both answer alike.
    """
    pk = context.ids.decode_or_no_row(ResourceKind.ACCOUNT, account_id)
    # One account and one holder row per customer (account_holder_unique): nothing to order.
    return unique_row(account_list(context=context).filter(pk=pk))


def account_detail_get(*, context: AccessContext, account_id: str) -> Account | None:
    pk = context.ids.decode_or_no_row(ResourceKind.ACCOUNT, account_id)
    return (
        account_list(context=context)
        .filter(pk=pk)
        .prefetch_related(
            "term_deposits",
            "features",
            "product__fees__discounts",
            "product__deposit_rates",
            "product__lending_rates",
            "credit_card",
            "loan__offset_accounts",
            "instalment_plans",
        )
        .first()
    )


def accounts_for_ids(
    *, context: AccessContext, account_ids: list[str]
) -> tuple[list[int], str | None]:
    """Internal keys for the public IDs of a POST body, and the first ID not accessible.

    All IDs are decoded and looked up in one query whatever their validity, so a forged ID
    costs the same as a real one that is not shared.
    """
    decoded = [context.ids.decode_or_no_row(ResourceKind.ACCOUNT, public) for public in account_ids]
    found = set(
        account_accessible(context=context).filter(pk__in=set(decoded)).values_list("pk", flat=True)
    )
    for public, pk in zip(account_ids, decoded, strict=True):
        if pk == NO_ROW or pk not in found:
            return [], public
    # Keep the caller's order, once each.
    return list(dict.fromkeys(decoded)), None


def balance_list(*, context: AccessContext, accounts: QuerySet[Account]) -> QuerySet[Balance]:
    """Balances of `accounts` (already scoped by a selector above), in account order."""
    return (
        Balance.objects.filter(account__in=accounts.values("pk"))
        .filter(account_id__in=context.account_ids)
        .prefetch_related("purses")
        .order_by("account_id")
    )


def balance_list_for_ids(*, context: AccessContext, pks: list[int]) -> QuerySet[Balance]:
    return balance_list(
        context=context, accounts=account_accessible(context=context).filter(pk__in=pks)
    )


def customer_get(*, context: AccessContext) -> Customer:
    """The consenting customer (Get Customer / Get Customer Detail)."""
    return Customer.objects.prefetch_related(
        "phone_numbers",
        "email_addresses",
        Prefetch("physical_addresses", queryset=CustomerAddress.objects.order_by("position", "id")),
    ).get(pk=context.customer_id)


def correspondence_addresses(*, context: AccessContext) -> list[CustomerAddress]:
    """Where the bank writes to the consenting customer about an account: the mailing
    addresses, or, with none on file, the physical (or registered) ones."""
    addresses = CustomerAddress.objects.filter(customer_id=context.customer_id).order_by(
        "position", "id"
    )
    for purposes in (("MAIL",), ("PHYSICAL", "REGISTERED")):
        found = [a for a in addresses if a.purpose in purposes]
        if found:
            return found
    return []


def accounts_eligible_for_sharing(*, customer: Customer) -> QuerySet[Account]:
    """Accounts a customer may choose to share in a new consent: open ones they hold.

    The consent pages list exactly these, and the authorization server accepts no others, so
    a tampered form cannot add an account the page never offered.
    """
    return (
        Account.objects.filter(account_holders__customer=customer, open_status="OPEN")
        .select_related("product")
        .distinct()
        .order_by("pk")
    )
