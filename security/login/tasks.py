"""Celery entry points of customer login (STYLE.md §9)."""

from __future__ import annotations

from bank.celery import RETRY_ON_DATABASE_OUTAGE, app


@app.task(soft_time_limit=100, time_limit=120, acks_late=True, **RETRY_ON_DATABASE_OUTAGE)
def login_records_purge() -> dict[str, int]:
    """Hourly: forget spent one-time codes and idle, unlocked failure counters."""
    from security.login import services

    return services.login_records_purge()
