from django.apps import AppConfig


class RecipientsConfig(AppConfig):
    """Accredited data recipients and their software products, as the CDR Register knows them."""

    name = "security.recipients"
    label = "recipients"
    verbose_name = "Data recipients"
    default_auto_field = "django.db.models.BigAutoField"
