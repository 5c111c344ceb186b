"""Read side of the customer's saved payees (Get Payees, Get Payee Detail), scoped by the
access context (STYLE.md §2).

Payees belong to the customer, not to an account: the bank:payees:read scope shares all of
them, whichever accounts the arrangement names. `payee_list` is the one expression for
"payees this token may see"; the detail lookup starts from it.
"""

from __future__ import annotations

from django.db.models import QuerySet

from security.context import AccessContext
from security.resource_ids import ResourceKind
from transactions.models import Payee


def payee_list(*, context: AccessContext, payee_type: str | None = None) -> QuerySet[Payee]:
    """The consenting customer's payees, optionally of one type (None is ALL), in ID order."""
    payees = Payee.objects.filter(customer_id=context.customer_id)
    if payee_type is not None:
        payees = payees.filter(payee_type=payee_type)
    return payees.order_by("id")


def payee_get(*, context: AccessContext, payee_id: str) -> Payee | None:
    """The payee behind a public payeeId, if it is this customer's.

    A forged ID, another customer's or another software product's decodes to NO_ROW and runs
    the same query as a real ID of a payee that is not this customer's.
    """
    pk = context.ids.decode_or_no_row(ResourceKind.PAYEE, payee_id)
    return payee_list(context=context).filter(pk=pk).first()
