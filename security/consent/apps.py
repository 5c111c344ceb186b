from django.apps import AppConfig


class ConsentConfig(AppConfig):
    """CDR arrangements: what a customer agreed to share, with whom, and the tokens for it."""

    name = "security.consent"
    label = "consent"
    verbose_name = "Consents (CDR arrangements)"
    default_auto_field = "django.db.models.BigAutoField"
