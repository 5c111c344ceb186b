"""Celery entry points of customer login (STYLE.md §9)."""

from __future__ import annotations

from bank.celery import app


@app.task
def login_records_purge() -> dict[str, int]:
    """Hourly: forget spent one-time codes and idle, unlocked failure counters."""
    from security.login import services

    return services.login_records_purge()
