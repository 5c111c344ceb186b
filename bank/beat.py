"""Celery beat's schedule: in the database (django-celery-beat), edited by staff in the admin.

`CELERY_BEAT_SCHEDULE` (bank/settings/base.py) is the default schedule, and the database is
the schedule beat runs. django-celery-beat's own `DatabaseScheduler` writes every settings
entry over its row at each start (`ModelEntry.from_entry` is an `update_or_create`), so an
interval a member of staff changed in the admin would come back at the next restart of beat;
it also drops `options["expires"]` (its rows know only `expire_seconds`). Here beat adds the
entries the database lacks and leaves every existing row as it is. To take a changed default
from the settings, delete the periodic task in the admin and restart beat.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

logger = logging.getLogger("bank.beat")

#: What a CELERY_BEAT_SCHEDULE entry may say that a PeriodicTask row can hold.
_ENTRY_KEYS = {"task", "schedule", "args", "kwargs", "options"}
#: apply_async's option name -> the PeriodicTask field that holds it.
_OPTION_FIELDS = {
    "queue": "queue",
    "exchange": "exchange",
    "routing_key": "routing_key",
    "priority": "priority",
    "expires": "expire_seconds",
}


def periodic_tasks_seed(schedule: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Create the PeriodicTask of every `schedule` entry (CELERY_BEAT_SCHEDULE's shape) that
    has no row of that name; never change an existing row. The names created.

    Raises ValueError for an entry the database cannot hold as written (an option it has no
    field for would otherwise be dropped without a word).
    """
    existing = set(
        PeriodicTask.objects.filter(name__in=list(schedule)).values_list("name", flat=True)
    )
    created = []
    for name, entry in schedule.items():
        if name in existing:
            continue
        fields = _periodic_task_fields(name, entry)
        try:
            with transaction.atomic():
                model_schedule, field = ModelEntry.to_model_schedule(entry["schedule"])
                periodic_task = PeriodicTask(name=name, **fields, **{field: model_schedule})
                # Uniqueness is the database's to enforce (the IntegrityError below).
                periodic_task.full_clean(validate_unique=False)
                periodic_task.save()
        except IntegrityError:
            continue  # another beat seeded it at the same moment: theirs stands
        created.append(name)
    return created


def schedule_drift(schedule: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    """The default entries staff have disabled or pointed at another task: each a security
    or housekeeping job that no longer runs as shipped (an admin edit the seeding keeps)."""
    rows = {row["name"]: row for row in PeriodicTask.objects.filter(
        name__in=list(schedule)).values("name", "task", "enabled")}
    drift = []
    for name, entry in schedule.items():
        row = rows.get(name)
        if row is None:
            continue
        if not row["enabled"]:
            drift.append({"entry": name, "problem": "disabled"})
        elif row["task"] != entry["task"]:
            drift.append({"entry": name, "problem": "runs another task"})
    return drift


def _periodic_task_fields(name: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    options = dict(entry.get("options") or {})
    unsupported = sorted(set(entry) - _ENTRY_KEYS) + sorted(
        f"options.{key}" for key in set(options) - set(_OPTION_FIELDS)
    )
    if unsupported:
        raise ValueError(f"CELERY_BEAT_SCHEDULE[{name!r}]: the database scheduler cannot hold "
                         f"{', '.join(unsupported)}.")
    expires = options.get("expires")
    if expires is not None and (not isinstance(expires, int | float) or expires <= 0):
        raise ValueError(f"CELERY_BEAT_SCHEDULE[{name!r}]: options.expires must be seconds.")
    return {
        "task": entry["task"],
        "args": json.dumps(list(entry.get("args") or [])),
        "kwargs": json.dumps(dict(entry.get("kwargs") or {})),
        **{_OPTION_FIELDS[key]: (int(value) if key == "expires" else value)
           for key, value in options.items()},
    }


def _seed_waiting_out_locks(schedule: Mapping[str, Mapping[str, Any]], attempts: int = 6
                            ) -> list[str]:
    """periodic_tasks_seed, tried again while SQLite is locked: the embedded demo starts its
    web servers, worker and beat at once on one file, and SQLite refuses (rather than waits
    for) a read transaction that must become a writer while another process writes."""
    for attempt in range(attempts):
        try:
            return periodic_tasks_seed(schedule)
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt + 1 == attempts:
                raise
            time.sleep(0.5 * (attempt + 1))
    return []


class SeedingDatabaseScheduler(DatabaseScheduler):
    """django-celery-beat's DatabaseScheduler that seeds CELERY_BEAT_SCHEDULE into the
    database instead of writing it over staff's edits, and touches BANK_BEAT_HEARTBEAT_PATH on
    every tick (the liveness probe: the schedule no longer lives in a file beat rewrites)."""

    def setup_schedule(self) -> None:
        _seed_waiting_out_locks(self.app.conf.beat_schedule)
        for drifted in schedule_drift(self.app.conf.beat_schedule):
            # Staff may pause a job (an incident, a migration); it must not go unnoticed.
            logger.warning("A default scheduled job is %s", drifted["problem"],
                           extra={"event": "beat.schedule_drift", **drifted})
        # The rest of DatabaseScheduler.setup_schedule: Celery's own entries (a result cleanup
        # when results expire; CELERY_RESULT_EXPIRES is None here, so none).
        self.install_default_entries(self.schedule)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval: float = super().tick(*args, **kwargs)
        if settings.BANK_BEAT_HEARTBEAT_PATH:
            Path(settings.BANK_BEAT_HEARTBEAT_PATH).touch()
        return interval
