from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Cross-cutting security: audit trail, interaction ids, logging, checks."""

    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from security import checks  # noqa: F401  (registers the system checks)
