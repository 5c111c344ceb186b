"""Celery entry points of the CDR metrics (STYLE.md §9)."""

from __future__ import annotations

from bank.celery import RETRY_ON_DATABASE_OUTAGE, app
from bank.metrics import services


# Idempotent: a flush adds only what this process counted since the last one (counts are
# drained before they are written and put back if the write fails), and pruning what is
# already pruned deletes nothing; so a retry, or a run lost with its worker (acks_late) and
# done again, cannot count a call twice.
@app.task(soft_time_limit=50, time_limit=60, acks_late=True, **RETRY_ON_DATABASE_OUTAGE)
def metrics_flush_task() -> int:
    """Every few minutes: write this process's pending counts, prune buckets past retention.

    Requests are counted in the web processes, whose own flusher threads write them every
    few seconds (bank/metrics/flusher.py); in the worker this writes what the worker itself
    counted (an eager run in tests, a worker that serves requests) and does the pruning.
    """
    services.metrics_flush()
    return services.metrics_buckets_prune()
