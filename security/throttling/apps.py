from django.apps import AppConfig


class ThrottlingConfig(AppConfig):
    name = "security.throttling"
    label = "throttling"
    verbose_name = "Rate limits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from security.throttling import checks  # noqa: F401  (registers the system checks)
