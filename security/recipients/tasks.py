"""Celery entry points for the Register mirror (STYLE.md §9: load, call a service, retry).

`recipient_statuses_refresh` runs from Celery beat every 5 minutes (CELERY_BEAT_SCHEDULE):
CDS asks holders to act on a Register status change within 5 minutes, and to cache the
Register's answers for 2 to 5 minutes, not longer.
"""

from __future__ import annotations

from celery import shared_task

from bank.celery import DATABASE_UNAVAILABLE
from security.recipients import services


@shared_task(
    autoretry_for=(services.RegisterUnavailableError, *DATABASE_UNAVAILABLE),
    retry_backoff=15,
    retry_backoff_max=60,
    max_retries=3,
    # A run that waited past the next beat tick is pointless: that tick polls again.
    expires=240,
    # Two GETs of at most 10 s connecting and 10 s reading each, then one transaction.
    soft_time_limit=60,
    time_limit=90,
    acks_late=True,
)
def recipient_statuses_refresh() -> dict[str, int]:
    result = services.recipient_statuses_refresh()
    return {"recipients_changed": result.recipients_changed,
            "products_changed": result.products_changed}
