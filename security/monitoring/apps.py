from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """The security detector and its alerts."""

    name = "security.monitoring"
    label = "monitoring"
    verbose_name = "Security monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from security.models import AuditEvent
        from security.monitoring import checks  # noqa: F401  (registers the system checks)
        from security.monitoring.detector import audit_event_inline_check

        post_save.connect(audit_event_inline_check, sender=AuditEvent,
                          dispatch_uid="bank.monitoring.inline_check")
