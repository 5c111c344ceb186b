"""The beat schedule and the tasks it runs: every entry names a registered task with time
limits and expires before its next run; every bank task has its own soft and hard limits;
beat seeds the settings' entries into the database and an edit made in the admin survives
the next start of beat (django-celery-beat's own scheduler would undo it)."""

from __future__ import annotations

import importlib
import importlib.util
import itertools
from datetime import timedelta
from typing import Any

import pytest
from celery import Task, schedules
from django.conf import settings
from django.db import OperationalError
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from bank.beat import SeedingDatabaseScheduler, periodic_tasks_seed
from bank.celery import app

#: Our code's top-level packages: a task under one of them is the bank's.
BANK_PACKAGES = {"bank", "security", "accounts", "transactions"}
#: Task modules other parts of issue 8 are writing; checked once they exist.
OTHER_TASK_MODULES = ["bank.metrics.tasks", "security.monitoring.tasks"]
#: Tasks allowed a hard limit beyond CELERY_TASK_TIME_LIMIT, i.e. beyond what a worker's stop
#: grace period (150 s) lets finish: a worker stopped mid-run loses the run, RabbitMQ
#: redelivers it (acks_late), and it must repeat nothing. Each with why that holds.
OUTLASTS_A_WORKER_STOP: dict[str, str] = {}


def _bank_tasks() -> dict[str, Task]:
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    return {name: task for name, task in app.tasks.items()
            if name.split(".")[0] in BANK_PACKAGES}


def _assert_limited(task: Task) -> None:
    soft, hard = task.soft_time_limit, task.time_limit
    assert soft is not None and hard is not None, f"{task.name}: no explicit time limits"
    assert 0 < soft < hard, f"{task.name}: the soft limit comes first ({soft} / {hard})"
    # The deployments give a worker 150 s to finish running tasks (compose stop_grace_period,
    # Kubernetes terminationGracePeriodSeconds), sized on this default.
    if task.name in OUTLASTS_A_WORKER_STOP:
        assert task.acks_late, f"{task.name}: a run cut short by a worker stop must come back"
    else:
        assert hard <= settings.CELERY_TASK_TIME_LIMIT, f"{task.name}: hard limit {hard} s"


def _shortest_gap(value: Any) -> float:
    """Seconds between two runs of a schedule at the closest (a crontab: over one week)."""
    schedule = schedules.maybe_schedule(value)
    if isinstance(schedule, schedules.crontab):
        minutes = [day * 1440 + hour * 60 + minute
                   for day, hour, minute in itertools.product(range(7), range(24), range(60))
                   if minute in schedule.minute and hour in schedule.hour
                   and day in schedule.day_of_week]
        gaps = [b - a for a, b in itertools.pairwise([*minutes, minutes[0] + 7 * 1440])]
        return min(gaps) * 60.0
    return float(schedule.run_every.total_seconds())


# ---- the settings' schedule and the registered tasks -----------------------------------------


def test_every_schedule_entry_names_a_registered_task_with_time_limits():
    tasks = _bank_tasks()
    assert settings.CELERY_BEAT_SCHEDULE
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in tasks, f"{name}: {entry['task']} is not a registered task"
        _assert_limited(tasks[entry["task"]])


def test_every_schedule_entry_expires_before_its_next_run():
    """A run still queued when the next is sent is dropped: a backlog (workers down for an
    hour) does not turn into sixty audit seals in a row."""
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        expires = entry.get("options", {}).get("expires")
        assert isinstance(expires, int | float), f"{name}: no options.expires"
        assert 0 < expires < _shortest_gap(entry["schedule"]), name


def test_every_bank_task_has_explicit_soft_and_hard_time_limits():
    tasks = _bank_tasks()
    expected = {
        "security.tasks.audit_seal_task",
        "security.oauth.tasks.arrangement_revocation_notify",
        "security.oauth.tasks.oauth_records_purge",
        "security.login.tasks.login_records_purge",
        "security.encryption.tasks.key_rotation_continue",
        "security.encryption.tasks.key_rotations_resume",
        "security.encryption.tasks.keys_age_check",
        "security.recipients.tasks.recipient_statuses_refresh",
    }
    assert expected <= set(tasks)
    for task in tasks.values():
        _assert_limited(task)


@pytest.mark.parametrize("module", OTHER_TASK_MODULES)
def test_task_modules_of_the_other_jobs_are_registered_and_limited(module):
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its package is not there either
        found = False
    if not found:
        pytest.skip(f"{module} is not written yet")
    importlib.import_module(module)
    tasks = {name: task for name, task in _bank_tasks().items()
             if name.startswith(f"{module}.")}
    assert tasks, f"{module} registers no task"
    for task in tasks.values():
        _assert_limited(task)


def test_tasks_that_meet_transient_failures_retry_with_backoff():
    tasks = _bank_tasks()
    for name in ("security.recipients.tasks.recipient_statuses_refresh",
                 "security.oauth.tasks.arrangement_revocation_notify",
                 "security.oauth.tasks.oauth_records_purge",
                 "security.login.tasks.login_records_purge",
                 "security.encryption.tasks.key_rotation_continue",
                 "security.encryption.tasks.key_rotations_resume",
                 "security.encryption.tasks.keys_age_check"):
        task = tasks[name]
        assert any(issubclass(OperationalError, kind) for kind in task.autoretry_for), name
        # Celery jitters autoretry backoff unless a task says retry_jitter=False.
        assert task.retry_backoff and getattr(task, "retry_jitter", True), name
        assert 0 < task.max_retries <= 5, name
        assert task.acks_late, name


# ---- the database schedule -------------------------------------------------------------------


#: The scheduler commits and closes connections it finds inside a transaction (as a
#: long-running beat must), which would break a test wrapped in one: committed rows instead.
BEAT_DB = pytest.mark.django_db(transaction=True)


def _row_seconds(row: PeriodicTask) -> float:
    assert row.interval is not None
    return timedelta(**{row.interval.period: row.interval.every}).total_seconds()


@BEAT_DB
def test_beat_start_seeds_every_settings_entry_into_the_database():
    scheduler = SeedingDatabaseScheduler(app=app)

    rows = {row.name: row for row in PeriodicTask.objects.select_related("interval")}
    assert set(rows) == set(settings.CELERY_BEAT_SCHEDULE)
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        row = rows[name]
        assert (row.task, row.enabled, row.args, row.kwargs) == (entry["task"], True, "[]", "{}")
        assert _row_seconds(row) == _shortest_gap(entry["schedule"])
        assert row.expire_seconds == entry["options"]["expires"]
        # What beat sends: the task with its expiry (a stock DatabaseScheduler drops it).
        assert scheduler.schedule[name].options["expires"] == entry["options"]["expires"]


@BEAT_DB
def test_an_admin_edit_survives_a_restart_of_beat(admin_client):
    SeedingDatabaseScheduler(app=app)
    row = PeriodicTask.objects.get(name="oauth-records-purge")
    two_hours = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.HOURS)
    page = admin_client.get(f"/admin/django_celery_beat/periodictask/{row.pk}/change/")
    assert page.status_code == 200

    response = admin_client.post(
        f"/admin/django_celery_beat/periodictask/{row.pk}/change/",
        {"name": row.name, "regtask": row.task, "task": "", "description": "",
         # enabled: unticked
         "interval": two_hours.pk, "crontab": "", "solar": "", "clocked": "",
         "start_time_0": "", "start_time_1": "", "args": "[]", "kwargs": "{}",
         "expires_0": "", "expires_1": "", "expire_seconds": "6000", "queue": "",
         "exchange": "", "routing_key": "", "priority": "", "headers": "{}", "_save": "Save"})
    assert response.status_code == 302, response.context["adminform"].form.errors

    scheduler = SeedingDatabaseScheduler(app=app)  # beat restarts

    row.refresh_from_db()
    assert (row.interval_id, row.enabled, row.expire_seconds) == (two_hours.pk, False, 6000)
    assert "oauth-records-purge" not in scheduler.schedule  # disabled: beat does not send it
    assert "login-records-purge" in scheduler.schedule


@BEAT_DB
def test_a_deleted_entry_comes_back_with_the_settings_default_at_the_next_start():
    """How staff take a changed default from the settings: delete the row, restart beat."""
    SeedingDatabaseScheduler(app=app)
    PeriodicTask.objects.filter(name="audit-seal").delete()

    assert periodic_tasks_seed(settings.CELERY_BEAT_SCHEDULE) == ["audit-seal"]
    assert periodic_tasks_seed(settings.CELERY_BEAT_SCHEDULE) == []
    assert _row_seconds(PeriodicTask.objects.get(name="audit-seal")) == 60


@BEAT_DB
def test_django_celery_beats_own_scheduler_would_undo_the_edit():
    """Why bank.beat exists: the stock DatabaseScheduler writes the settings over the row at
    every start. If a new django-celery-beat stops doing so, this fails and bank.beat can go."""
    SeedingDatabaseScheduler(app=app)
    row = PeriodicTask.objects.get(name="oauth-records-purge")
    row.interval = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.HOURS)
    row.save()

    DatabaseScheduler(app=app)

    row.refresh_from_db()
    assert _row_seconds(row) == 3600
    assert row.expire_seconds is None  # and options.expires was dropped on the way


@pytest.mark.django_db
@pytest.mark.parametrize("entry", [
    {"task": "t", "schedule": 60.0, "options": {"countdown": 5}},
    {"task": "t", "schedule": 60.0, "relative": True},
    {"task": "t", "schedule": 60.0, "options": {"expires": "soon"}},
    {"task": "t", "schedule": 60.0, "options": {"expires": 0}},
])
def test_seeding_refuses_an_entry_the_database_cannot_hold(entry):
    with pytest.raises(ValueError, match="CELERY_BEAT_SCHEDULE\\['odd'\\]"):
        periodic_tasks_seed({"odd": entry})
    assert not PeriodicTask.objects.filter(name="odd").exists()


@BEAT_DB
def test_each_tick_of_beat_touches_the_heartbeat_file(settings, tmp_path):
    settings.BANK_BEAT_HEARTBEAT_PATH = str(tmp_path / "beat-alive")
    scheduler = SeedingDatabaseScheduler(app=app)

    interval = scheduler.tick()

    assert (tmp_path / "beat-alive").exists()
    assert 0 < interval <= scheduler.max_interval


@BEAT_DB
def test_no_heartbeat_file_without_the_setting(settings, tmp_path, monkeypatch):
    settings.BANK_BEAT_HEARTBEAT_PATH = ""
    monkeypatch.chdir(tmp_path)
    SeedingDatabaseScheduler(app=app).tick()
    assert list(tmp_path.iterdir()) == []


@BEAT_DB
def test_a_default_job_disabled_or_repointed_is_reported_at_every_start(caplog):
    import logging

    SeedingDatabaseScheduler(app=app)
    PeriodicTask.objects.filter(name="audit-retention").update(enabled=False)
    PeriodicTask.objects.filter(name="audit-seal").update(task="security.tasks.something_else")
    with caplog.at_level(logging.WARNING, logger="bank.beat"):
        SeedingDatabaseScheduler(app=app)
    drift = sorted((r.entry, r.problem) for r in caplog.records
                   if getattr(r, "event", "") == "beat.schedule_drift")
    assert drift == [("audit-retention", "disabled"), ("audit-seal", "runs another task")]


def test_seeding_waits_out_a_locked_database(monkeypatch):
    from bank import beat

    calls = []

    def locked_twice(schedule):
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("database is locked")
        return ["seeded"]

    monkeypatch.setattr(beat, "periodic_tasks_seed", locked_twice)
    monkeypatch.setattr(beat.time, "sleep", lambda seconds: None)
    assert beat._seed_waiting_out_locks({}) == ["seeded"] and len(calls) == 3
    monkeypatch.setattr(beat, "periodic_tasks_seed",
                        lambda schedule: (_ for _ in ()).throw(OperationalError("disk I/O")))
    with pytest.raises(OperationalError, match="disk"):
        beat._seed_waiting_out_locks({})
