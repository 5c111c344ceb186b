"""The Celery app reads the CELERY_* settings: JSON only, time limits, embedded broker."""

from bank.celery import app


def test_celery_app_is_configured_from_django_settings():
    conf = app.conf
    assert conf.broker_url == "filesystem://"
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]  # never pickle
    assert conf.task_soft_time_limit == 60 and conf.task_time_limit == 120
    assert conf.task_always_eager is True  # test settings run tasks in-process
