"""CDR scope names (standards/_scopes.md.erb), one constant each."""

BANK_ACCOUNTS_BASIC_READ = "bank:accounts.basic:read"
BANK_ACCOUNTS_DETAIL_READ = "bank:accounts.detail:read"
BANK_TRANSACTIONS_READ = "bank:transactions:read"
BANK_PAYEES_READ = "bank:payees:read"
BANK_REGULAR_PAYMENTS_READ = "bank:regular_payments:read"
COMMON_CUSTOMER_BASIC_READ = "common:customer.basic:read"
COMMON_CUSTOMER_DETAIL_READ = "common:customer.detail:read"
#: Client credentials only: managing the client's own DCR registration.
CDR_REGISTRATION = "cdr:registration"

CDR_DATA_SCOPES = frozenset(
    {
        BANK_ACCOUNTS_BASIC_READ,
        BANK_ACCOUNTS_DETAIL_READ,
        BANK_TRANSACTIONS_READ,
        BANK_PAYEES_READ,
        BANK_REGULAR_PAYMENTS_READ,
        COMMON_CUSTOMER_BASIC_READ,
        COMMON_CUSTOMER_DETAIL_READ,
    }
)
