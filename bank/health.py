"""Liveness and readiness for process managers, load balancers and Kubernetes probes.

    GET /health/live   200 while the process can answer at all (no dependency is touched)
    GET /health/ready  200 when the database, the cache and the key manager answer; else 503

Both answer on either listener (security/listeners.py) and over plain HTTP from the pod
network (SECURE_REDIRECT_EXEMPT), and say only which component failed, never why: the reason
goes to the log. No authentication, so nothing in them is about customers or keys; both are
rate limited per source (security/throttling), and a readiness answer is reused for
READY_REUSE_SECONDS, so a flood of probes costs the database and the HSM nothing more.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from security.kms import key_manager

logger = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    cache.set("health:ready", "1", timeout=10)
    if cache.get("health:ready") != "1":
        raise RuntimeError("the cache did not return what was written")


def _key_manager() -> None:
    key_manager().kek_labels()


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "cache": _cache,
    "key_manager": _key_manager,
}


@require_safe
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "live"})


READY_REUSE_SECONDS = 2.0
_last: tuple[float, list[str]] | None = None
_lock = threading.Lock()


def ready_forget() -> None:
    """Check afresh on the next probe (tests)."""
    global _last
    _last = None


def _failed_components() -> list[str]:
    global _last
    with _lock:  # one thread checks; the others reuse its answer
        if _last is not None and time.monotonic() - _last[0] < READY_REUSE_SECONDS:
            return _last[1]
        failed = []
        for name, check in CHECKS.items():
            try:
                check()
            except Exception:
                logger.warning("Readiness check %s failed", name, exc_info=True)
                failed.append(name)
        _last = (time.monotonic(), failed)
        return failed


@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    failed = _failed_components()
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ready"})
