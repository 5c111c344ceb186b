"""When an arrangement was last used, for the customer's dashboard, at almost no cost.

A resource call that resolved its token (security/authentication.py) records the use. At most
once a minute per arrangement and per process: a process remembers when it last wrote each
arrangement, so calls within the minute cost no query at all; the write itself is an UPDATE
whose condition leaves the row alone if another process wrote it within the minute, so the
database sees at most one change a minute whatever the number of workers.

The UPDATE runs after the request's transaction commits, in its own short autocommit
statement: inside the request (ATOMIC_REQUESTS) it would hold the arrangement's row lock, and
make every concurrent call of the same arrangement wait, until the slowest one finished.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from security.consent.models import Arrangement

#: How fresh "last used" is: one minute (the dashboard shows it to the minute).
USAGE_RESOLUTION = timedelta(minutes=1)
#: Arrangements remembered per process before the memory starts again (bounds it).
_MEMORY_LIMIT = 10_000

_last_written: dict[int, float] = {}
_lock = threading.Lock()


def arrangement_usage_record(*, arrangement_pk: int) -> None:
    """Note that the arrangement was used now; a no-op if this process did so within the
    minute."""
    now = time.monotonic()
    with _lock:
        last = _last_written.get(arrangement_pk)
        if last is not None and now - last < USAGE_RESOLUTION.total_seconds():
            return
        if len(_last_written) >= _MEMORY_LIMIT:
            _last_written.clear()
        _last_written[arrangement_pk] = now
    used_at = timezone.now()
    transaction.on_commit(lambda: arrangement_last_used_update(arrangement_pk, used_at))


def arrangement_last_used_update(arrangement_pk: int, used_at: datetime) -> bool:
    """Write `used_at` unless the row already says the arrangement was used within the minute;
    whether it wrote."""
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=used_at - USAGE_RESOLUTION)
    return bool(Arrangement.objects.filter(stale, pk=arrangement_pk).update(last_used_at=used_at))


def usage_memory_clear() -> None:
    """Forget what this process wrote (tests; a process that must write again at once)."""
    with _lock:
        _last_written.clear()
