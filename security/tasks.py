"""Celery entry points of the audit trail (STYLE.md §9)."""

from __future__ import annotations

from typing import Any

from bank.celery import RETRY_ON_DATABASE_OUTAGE, app


# No retry: the next run is a minute away and seals whatever this one did not. acks_late: a
# run lost with its worker is simply done again (sealing what is sealed is a no-op).
@app.task(soft_time_limit=50, time_limit=55, acks_late=True)
def audit_seal_task() -> int:
    """Every minute: seal what no request sealed (tasks' and commands' events, failures)."""
    from security.audit_chain import audit_seal

    total = 0
    while sealed := audit_seal():
        total += sealed
    return total


# Daily. Idempotent: a stretch is archived and deleted in one step, and a run that stopped
# between writing and deleting writes the same archive again. Each run stops starting new
# stretches after a minute (one takes seconds) and queues the next run if more is due, so no
# run outlives a worker's shutdown grace and a backlog still drains.
@app.task(bind=True, soft_time_limit=100, time_limit=120, acks_late=True,
          **RETRY_ON_DATABASE_OUTAGE)
def audit_retention_task(self: Any) -> int:
    """Archive, verify and delete audit events past retention; how many stretches."""
    from security.audit_retention import audit_retention_run, due_stretch

    done = len(audit_retention_run(budget_seconds=60))
    if done and due_stretch() is not None:
        self.apply_async(countdown=1)
    return done
