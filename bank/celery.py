"""The Celery app (STYLE.md §9). The embedded demo uses kombu's filesystem:// transport.

Every bank task states its own soft and hard time limits and, when a retry can help, its
retry policy; tests/tasks/test_schedule.py checks each registered task does. Beat's schedule
is in the database, seeded from CELERY_BEAT_SCHEDULE (bank/beat.py).
"""

import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bank.settings.dev")

app = Celery("bank")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

#: The database briefly unreachable (a restart, a fail-over, SQLite's write lock): worth a
#: retry. Celery's Django fix-up closes broken connections before each run, retries included.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

#: The retry policy of a job that a short database outage should not fail: three more tries
#: within about a minute (5, 10, 20 s, jittered), after which the next beat tick takes over.
RETRY_ON_DATABASE_OUTAGE: dict[str, Any] = {
    "autoretry_for": DATABASE_UNAVAILABLE,
    "retry_backoff": 5,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 3,
}


@setup_logging.connect
def _use_django_logging(**kwargs: object) -> None:
    """Celery configures no logging of its own: Django's LOGGING (JSON, redacted on every
    handler, security/logging.py) applies to the worker, beat and task loggers alike."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
