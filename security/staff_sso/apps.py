from django.apps import AppConfig


class StaffSsoConfig(AppConfig):
    """Staff single sign-on through the bank's corporate OpenID Connect identity provider."""

    name = "security.staff_sso"
    label = "staff_sso"
    verbose_name = "Staff single sign-on"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from security.staff_sso import checks  # noqa: F401  (registers the system checks)
