from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The customer's data-sharing dashboard: every arrangement, and a way to stop each one."""

    name = "security.dashboard"
    label = "dashboard"
    verbose_name = "Customer data-sharing dashboard"
