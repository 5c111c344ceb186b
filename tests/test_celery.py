"""The Celery app reads the CELERY_* settings: JSON only, time limits, embedded broker, and
beat's schedule in the database (tests/tasks/ has the schedule and the tasks themselves)."""

from django.db import OperationalError

from bank.celery import DATABASE_UNAVAILABLE, RETRY_ON_DATABASE_OUTAGE, app


def test_celery_app_is_configured_from_django_settings():
    conf = app.conf
    assert conf.broker_url == "filesystem://"
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]  # never pickle
    assert conf.task_soft_time_limit == 60 and conf.task_time_limit == 120
    assert conf.task_always_eager is True  # test settings run tasks in-process


def test_beat_runs_the_database_schedule_that_staff_edit_in_the_admin():
    conf = app.conf
    assert conf.beat_scheduler == "bank.beat:SeedingDatabaseScheduler"
    assert conf.result_backend is None
    assert conf.result_expires is None  # so no nightly celery.backend_cleanup entry
    assert conf.beat_schedule  # the defaults beat seeds (tests/tasks/test_schedule.py)


def test_the_database_retry_policy_retries_a_lost_connection_a_few_times_with_backoff():
    assert issubclass(OperationalError, DATABASE_UNAVAILABLE)
    assert RETRY_ON_DATABASE_OUTAGE == {
        "autoretry_for": DATABASE_UNAVAILABLE, "retry_backoff": 5, "retry_backoff_max": 60,
        "retry_jitter": True, "max_retries": 3}
