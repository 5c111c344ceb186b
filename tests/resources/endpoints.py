"""Every authenticated CDR endpoint this bank serves: one row per operation.

The security matrix runs each attack against each row; a new endpoint that is not listed
here fails `test_every_authenticated_url_is_in_the_matrix`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from security import scopes as s
from security.resource_ids import ResourceKind


@dataclass(frozen=True)
class Endpoint:
    operation_id: str
    method: str
    path: str  # {account} {transaction} {payee} are filled per grant
    scope: str
    versions: tuple[int, ...]
    body: bool = False

    def __str__(self) -> str:
        return self.operation_id

    def url(self, grant: Any, refs: dict[str, int]) -> str:
        return self.path.format(
            account=grant.account_id_pk(refs["account"]),
            transaction=grant.id_for(ResourceKind.TRANSACTION, refs["transaction"]),
            payee=grant.id_for(ResourceKind.PAYEE, refs["payee"]),
        )

    def data(self, grant: Any, refs: dict[str, int]) -> Any:
        return {"data": {"accountIds": [grant.account_id_pk(refs["account"])]}, "meta": {}} if self.body else None


ENDPOINTS = [
    Endpoint("listBankingAccounts", "get", "banking/accounts", s.BANK_ACCOUNTS_BASIC_READ, (2, 3)),
    Endpoint("listBankingBalancesBulk", "get", "banking/accounts/balances", s.BANK_ACCOUNTS_BASIC_READ, (1, 2)),
    Endpoint("listBankingBalancesSpecificAccounts", "post", "banking/accounts/balances",
             s.BANK_ACCOUNTS_BASIC_READ, (1,), body=True),
    Endpoint("getBankingBalance", "get", "banking/accounts/{account}/balance", s.BANK_ACCOUNTS_BASIC_READ, (1,)),
    Endpoint("getBankingAccountDetail", "get", "banking/accounts/{account}", s.BANK_ACCOUNTS_DETAIL_READ, (4, 5)),
    Endpoint("listBankingTransactions", "get", "banking/accounts/{account}/transactions",
             s.BANK_TRANSACTIONS_READ, (1, 2)),
    Endpoint("getBankingTransactionDetail", "get", "banking/accounts/{account}/transactions/{transaction}",
             s.BANK_TRANSACTIONS_READ, (2, 3)),
    Endpoint("listDirectDebits", "get", "banking/accounts/{account}/direct-debits",
             s.BANK_REGULAR_PAYMENTS_READ, (1,)),
    Endpoint("listDirectDebitsBulk", "get", "banking/accounts/direct-debits", s.BANK_REGULAR_PAYMENTS_READ, (1, 2)),
    Endpoint("listDirectDebitsSpecificAccounts", "post", "banking/accounts/direct-debits",
             s.BANK_REGULAR_PAYMENTS_READ, (1,), body=True),
    Endpoint("listScheduledPayments", "get", "banking/accounts/{account}/payments/scheduled",
             s.BANK_REGULAR_PAYMENTS_READ, (2,)),
    Endpoint("listScheduledPaymentsBulk", "get", "banking/payments/scheduled", s.BANK_REGULAR_PAYMENTS_READ, (2, 3)),
    Endpoint("listScheduledPaymentsSpecificAccounts", "post", "banking/payments/scheduled",
             s.BANK_REGULAR_PAYMENTS_READ, (2,), body=True),
    Endpoint("listInstalmentPlans", "get", "banking/accounts/{account}/payments/plans",
             s.BANK_REGULAR_PAYMENTS_READ, (1,)),
    Endpoint("listInstalmentPlansBulk", "get", "banking/accounts/payments/plans", s.BANK_REGULAR_PAYMENTS_READ, (1,)),
    Endpoint("listBankingPayees", "get", "banking/payees", s.BANK_PAYEES_READ, (2,)),
    Endpoint("getBankingPayeeDetail", "get", "banking/payees/{payee}", s.BANK_PAYEES_READ, (2,)),
    Endpoint("getCustomer", "get", "common/customer", s.COMMON_CUSTOMER_BASIC_READ, (1,)),
    Endpoint("getCustomerDetail", "get", "common/customer/detail", s.COMMON_CUSTOMER_DETAIL_READ, (2,)),
]

Call = Callable[..., Any]
