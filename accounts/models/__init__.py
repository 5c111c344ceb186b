"""The accounts app's models: customers and logins, the product catalogue, accounts.

One module per area; import from `accounts.models` as usual.
"""

from accounts.models.accounts import (
    Account,
    AccountFeature,
    AccountHolder,
    Balance,
    BalancePurse,
    CreditCardDetail,
    LoanDetail,
    TermDeposit,
)
from accounts.models.customers import (
    Customer,
    CustomerAddress,
    CustomerEmailAddress,
    CustomerPhoneNumber,
    User,
)
from accounts.models.products import (
    Product,
    ProductBundle,
    ProductCardArt,
    ProductConstraint,
    ProductDepositRate,
    ProductEligibility,
    ProductFeature,
    ProductFee,
    ProductFeeDiscount,
    ProductLendingRate,
)

__all__ = [
    "Account",
    "AccountFeature",
    "AccountHolder",
    "Balance",
    "BalancePurse",
    "CreditCardDetail",
    "Customer",
    "CustomerAddress",
    "CustomerEmailAddress",
    "CustomerPhoneNumber",
    "LoanDetail",
    "Product",
    "ProductBundle",
    "ProductCardArt",
    "ProductConstraint",
    "ProductDepositRate",
    "ProductEligibility",
    "ProductFeature",
    "ProductFee",
    "ProductFeeDiscount",
    "ProductLendingRate",
    "TermDeposit",
    "User",
]
