"""Celery entry points of the audit trail (STYLE.md §9)."""

from __future__ import annotations

from bank.celery import app


@app.task(soft_time_limit=50, time_limit=55)
def audit_seal_task() -> int:
    """Every minute: seal what no request sealed (tasks' and commands' events, failures)."""
    from security.audit_chain import audit_seal

    total = 0
    while sealed := audit_seal():
        total += sealed
    return total
