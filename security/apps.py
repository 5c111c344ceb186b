from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class SecurityConfig(AppConfig):
    """Cross-cutting security: audit trail, interaction ids, logging, checks."""

    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        import logging

        # Registers the system checks; connects the Celery start-up hooks.
        from security import checks, config_audit  # noqa: F401

        # Python warnings go to the `py.warnings` logger (and so through the redaction and the
        # JSON format) instead of raw to stderr.
        logging.captureWarnings(True)


class AuditedAdminConfig(AdminConfig):
    """django.contrib.admin whose `admin.site` audits every write (security/admin_audit.py)
    and admits only staff signed in with a second factor (security/staff/site.py)."""

    default_site = "security.staff.site.StaffAdminSite"
