"""The background flush: a daemon thread per process writes the counters every few seconds.

Started by the middleware on the first recorded call (and again in a forked child, whose
copy of the thread did not survive the fork), so nothing runs in processes that serve no
requests (workers, management commands). BANK_METRICS_FLUSH_SECONDS = 0 turns it off:
the tests flush explicitly, so that no thread writes into a test's database.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

from django.conf import settings
from django.db import close_old_connections

from bank.metrics.services import metrics_flush

logger = logging.getLogger("bank.metrics")

DEFAULT_FLUSH_SECONDS = 5.0

_lock = threading.Lock()
_started_in: int | None = None
_stop = threading.Event()


def flush_interval() -> float:
    return float(getattr(settings, "BANK_METRICS_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS))


def flusher_ensure_started() -> None:
    """Start this process's flusher if it is not running; cheap when it is."""
    global _started_in
    pid = os.getpid()
    if _started_in == pid:
        return
    interval = flush_interval()
    if interval <= 0:
        return
    with _lock:
        if _started_in == pid:
            return
        thread = threading.Thread(target=_run, args=(interval,), name="metrics-flusher",
                                  daemon=True)
        thread.start()
        if _started_in is None:
            atexit.register(_flush_at_exit)
        _started_in = pid


def _run(interval: float) -> None:
    while not _stop.wait(interval):
        try:
            close_old_connections()  # honour CONN_MAX_AGE like a request would
            metrics_flush()
        except Exception:  # the thread must outlive any one failure
            logger.exception("The metrics flusher failed", extra={"event": "metrics.flush_failed"})


def _flush_at_exit() -> None:
    _stop.set()
    try:
        metrics_flush()
    except Exception:
        logger.exception("The final metrics flush failed", extra={"event": "metrics.flush_failed"})
