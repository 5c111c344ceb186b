"""Celery entry points for the keys (STYLE.md §9): ids in, services do the work."""

from __future__ import annotations

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from bank.celery import DATABASE_UNAVAILABLE, RETRY_ON_DATABASE_OUTAGE, app


@app.task(
    acks_late=True,
    soft_time_limit=100,
    time_limit=120,
    # Each slice commits with its cursor, so a retry goes on where the last commit left off:
    # after a database outage, or a slice cut short by the soft limit (rolled back whole).
    autoretry_for=(*DATABASE_UNAVAILABLE, SoftTimeLimitExceeded),
    retry_backoff=5,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=3,
)
def key_rotation_continue(rotation_id: int, batch: int = 1000) -> None:
    """Re-encrypt a slice of a rotation, then queue the next slice: many short tasks, so a
    worker restart costs one slice and the cursor in the database says where to go on."""
    from security.encryption.rotation import rotation_step

    for _ in range(20):
        if rotation_step(rotation_id, batch=batch):
            return
    key_rotation_continue.delay(rotation_id, batch)


@app.task(soft_time_limit=30, time_limit=60, acks_late=True, **RETRY_ON_DATABASE_OUTAGE)
def key_rotations_resume() -> int:
    """Beat: pick up rotations left RUNNING (e.g. a worker died between slices)."""
    from security.encryption.models import KeyRotation

    running = list(KeyRotation.objects.filter(state=KeyRotation.State.RUNNING)
                   .values_list("pk", flat=True))
    for rotation_id in running:
        key_rotation_continue.delay(rotation_id)
    return len(running)


@app.task(soft_time_limit=60, time_limit=90, acks_late=True, **RETRY_ON_DATABASE_OUTAGE)
def keys_age_check() -> list[str]:
    """Daily: alert (audit KEY_AGE_EXCEEDED) on keys older than the rotation policy."""
    from security.encryption.rotation import keys_age_check as check

    return check(max_age_days=settings.BANK_KEY_MAX_AGE_DAYS)
