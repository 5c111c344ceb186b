from django.apps import AppConfig


class MetricsConfig(AppConfig):
    """CDR Get Metrics: per-request counters in minute buckets, and the Register's admin API."""

    name = "bank.metrics"
    label = "metrics"
    verbose_name = "CDR metrics"
