from django.apps import AppConfig


class TransactionsConfig(AppConfig):
    """Money movements: transactions, payees, direct debits, scheduled payments, plans."""

    name = "transactions"
    verbose_name = "Transactions and payments"
