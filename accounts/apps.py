from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Customers, their logins, products and accounts with balances."""

    name = "accounts"
    verbose_name = "Customers and accounts"
