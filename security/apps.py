from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Cross-cutting security: audit trail, interaction ids, logging, checks."""

    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        import logging

        from security import checks  # noqa: F401  (registers the system checks)

        # Python warnings go to the `py.warnings` logger (and so through the redaction and the
        # JSON format) instead of raw to stderr.
        logging.captureWarnings(True)
