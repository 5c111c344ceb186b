from django.apps import AppConfig


class LoginConfig(AppConfig):
    """Customer authentication for CDR: identifier + password + a one-time code (LoA 3)."""

    name = "security.login"
    label = "login"
    verbose_name = "Customer login"
    default_auto_field = "django.db.models.BigAutoField"
