"""The Celery app (STYLE.md §9). The embedded demo uses kombu's filesystem:// transport."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bank.settings.dev")

app = Celery("bank")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(**kwargs: object) -> None:
    """Celery configures no logging of its own: Django's LOGGING (JSON, redacted on every
    handler, security/logging.py) applies to the worker, beat and task loggers alike."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
