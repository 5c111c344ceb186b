"""How an endpoint turns the caller's account references into accounts it may see.

Shared by every endpoint that names accounts: in the path (404), in a POST body (422), or
through the account-list filters. The rules (standards/_errors.md):

- an accountId in the path that is not shared, is someone else's, never existed or is forged
  answers 404 cds-banking:Authorisation/InvalidBankingAccount, with the ID as `detail`;
- the same in a request body answers 422 with the same code.
"""

from __future__ import annotations

from typing import Any

from accounts import choices, selectors
from bank.api import errors
from bank.api.bodies import parse_account_id_list
from bank.api.filters import parse_boolean, parse_enum
from security.context import AccessContext
from security.resource_ids import echoable_id

ACCOUNT_FILTER_PARAMS = frozenset({"product-category", "open-status", "is-owned"})


BNPL = choices.ProductCategory.BUY_NOW_PAY_LATER
CARDS = choices.ProductCategory.CRED_AND_CHRG_CARDS


def legacy_category(category: str) -> str:
    """The productCategory to show in endpoint versions older than CDS 1.35.0.

    BUY_NOW_PAY_LATER arrived in 1.35.0 (Get Accounts v3, Account Detail v5...); v2/v4 bodies
    cannot carry it. A pay-later account is a revolving credit line with a limit, so those
    versions show it as CRED_AND_CHRG_CARDS rather than hide the account from the recipient.
    """
    return CARDS if category == BNPL else category


def parse_account_filters(params: Any, *, with_bnpl: bool = True) -> selectors.AccountFilters:
    """product-category, open-status (ALL default) and is-owned, wherever CDS defines them.

    `with_bnpl=False` for the versions older than 1.35.0: BUY_NOW_PAY_LATER is not one of
    their values (400 Field/Invalid), and CRED_AND_CHRG_CARDS also finds the pay-later
    accounts, as `legacy_category` shows them.
    """
    open_status = parse_enum(
        params.get("open-status"),
        name="open-status",
        allowed=("ALL", "OPEN", "CLOSED"),
        default="ALL",
    )
    category = parse_enum(
        params.get("product-category"),
        name="product-category",
        allowed=[c for c in choices.ProductCategory.values if with_bnpl or c != BNPL],
    )
    categories = None if category is None else frozenset({category})
    if not with_bnpl and category == CARDS:
        categories = frozenset({CARDS, BNPL})
    return selectors.AccountFilters(
        product_categories=categories,
        open_status=None if open_status == "ALL" else open_status,
        is_owned=parse_boolean(params.get("is-owned"), name="is-owned"),
    )


def account_or_404(context: AccessContext, account_id: str, *, detail: bool = False) -> Any:
    """The account of a path accountId, or 404 Authorisation/InvalidBankingAccount.

    Not shared, someone else's, never existed, forged: one answer, after the same query.
    """
    get = selectors.account_detail_get if detail else selectors.account_get
    account = get(context=context, account_id=account_id)
    if account is None:
        raise errors.InvalidBankingAccountError(echoable_id(account_id, name="accountId"))
    return account


def account_pks_from_body(context: AccessContext, body: Any) -> list[int]:
    """Internal keys of a POST body's accountIds; one not accessible: 422 InvalidBankingAccount."""
    pks, refused = selectors.accounts_for_ids(
        context=context, account_ids=parse_account_id_list(body)
    )
    if refused is not None:
        raise errors.InvalidBankingAccountInBodyError(echoable_id(refused, name="accountIds"))
    return pks
