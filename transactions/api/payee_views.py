"""Get Payees (v2) and Get Payee Detail (v2) (cds_banking.json 1.36.0).

Both need bank:payees:read. Payees are the customer's, not an account's: the arrangement's
account selection does not narrow them.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from accounts import choices
from bank.api import errors
from bank.api.filters import parse_enum
from bank.api.views import AuthenticatedCdrApi
from security import scopes
from security.resource_ids import echoable_id
from transactions import payee_selectors
from transactions.api.payee_serializers import PayeeDetailOutputSerializer, PayeeOutputSerializer

_ALL = "ALL"
#: Get Payees `type`: every BankingPayeeV2.type, or ALL (the default).
PAYEE_TYPE_VALUES = (_ALL, *choices.PayeeType.values)


class PayeeListApi(AuthenticatedCdrApi):
    versions = (2,)
    required_scopes = (scopes.BANK_PAYEES_READ,)
    query_params = frozenset({"type"})
    paginated = True

    def get(self, request: Request) -> Response:
        payee_type = parse_enum(
            request.query_params.get("type"), name="type", allowed=PAYEE_TYPE_VALUES, default=_ALL
        )
        payees = payee_selectors.payee_list(
            context=self.cdr, payee_type=None if payee_type == _ALL else payee_type
        )
        return self.paginate(payees, PayeeOutputSerializer, key="payees")


class PayeeDetailApi(AuthenticatedCdrApi):
    versions = (2,)
    required_scopes = (scopes.BANK_PAYEES_READ,)

    def get(self, request: Request, payee_id: str) -> Response:
        payee = payee_selectors.payee_get(context=self.cdr, payee_id=payee_id)
        if payee is None:
            # Never existed, someone else's, forged: one answer (standards/_errors.md,
            # 404 Resource/Invalid with the ID as detail).
            raise errors.InvalidResourceError(echoable_id(payee_id, name="payeeId"))
        return self.single(payee, PayeeDetailOutputSerializer)
