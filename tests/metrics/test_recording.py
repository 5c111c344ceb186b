"""Recording calls: cheap, never in the way of a request, and exact once flushed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bank.metrics import services
from bank.metrics.models import RequestBucket, TrafficMinute
from bank.metrics.recorder import recorder
from bank.metrics.selectors import metrics_flush
from bank.metrics.tasks import metrics_flush_task

pytestmark = pytest.mark.django_db

STATUS_URL = "/cds-au/v1/discovery/status"
MINUTE = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _record(at: datetime, *, authenticated: bool = True, status: int = 200,
            latency_us: int = 1000) -> None:
    recorder.record(at=at.timestamp(), tier="highPriority", software_product_id="sp-1",
                    status_code=status, authenticated=authenticated, customer_present=False,
                    latency_us=latency_us, within_threshold=latency_us <= 1_000_000)


def _buckets() -> list[tuple]:
    return list(RequestBucket.objects.order_by("minute", "status_code").values_list(
        "minute", "tier", "software_product_id", "status_code", "authenticated",
        "customer_present", "count", "latency_us_total", "within_threshold"))


def test_a_request_is_counted_in_its_minute_bucket(call_clock):
    response = Client().get(STATUS_URL, HTTP_X_V="1")
    metrics_flush()

    assert response.status_code == 200
    minute = datetime.fromtimestamp(call_clock.second - call_clock.second % 60, UTC)
    assert _buckets() == [(minute, "highPriority", "", 200, False, False, 1, 250_000, 1)]
    traffic = TrafficMinute.objects.get()
    assert (traffic.minute, traffic.authenticated) == (minute, False)
    assert traffic.second_counts == [1 if s == call_clock.second % 60 else 0 for s in range(60)]


def test_recording_failures_never_break_a_request(monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("the recorder is broken")

    monkeypatch.setattr(recorder, "record", broken)
    with caplog.at_level(logging.ERROR, logger="bank.metrics"):
        response = Client().get(STATUS_URL, HTTP_X_V="1")

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "OK"
    assert [r.event for r in caplog.records if r.name == "bank.metrics"] == [
        "metrics.record_failed"]


def test_a_failed_flush_keeps_the_counts_for_the_next_one(monkeypatch, caplog):
    _record(MINUTE)
    _record(MINUTE + timedelta(seconds=1), status=500)

    def unavailable(pending):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(services, "_pending_write", unavailable)
    with caplog.at_level(logging.ERROR, logger="bank.metrics"):
        metrics_flush()
    assert _buckets() == []
    assert any(getattr(r, "event", "") == "metrics.flush_failed" for r in caplog.records)

    monkeypatch.undo()
    metrics_flush()
    metrics_flush()  # nothing left to write: nothing counted twice

    assert _buckets() == [
        (MINUTE, "highPriority", "sp-1", 200, True, False, 1, 1000, 1),
        (MINUTE, "highPriority", "sp-1", 500, True, False, 1, 1000, 1),
    ]


def test_flushes_from_several_processes_add_up_second_by_second():
    # Two processes, each with calls in the same seconds: the peak is of the sum.
    _record(MINUTE + timedelta(seconds=5))
    _record(MINUTE + timedelta(seconds=5), authenticated=False)
    metrics_flush()
    _record(MINUTE + timedelta(seconds=5))
    _record(MINUTE + timedelta(seconds=7))
    metrics_flush()

    counts = dict(TrafficMinute.objects.values_list("authenticated", "second_counts"))
    assert counts[True][5] == 2 and counts[True][7] == 1 and sum(counts[True]) == 3
    assert counts[False][5] == 1 and sum(counts[False]) == 1
    assert sorted(RequestBucket.objects.values_list("authenticated", "count")) == [
        (False, 1), (True, 3)]


def test_slow_calls_are_counted_outside_their_threshold(call_clock):
    call_clock.duration = 1.001  # high priority: 1000 ms
    Client().get(STATUS_URL, HTTP_X_V="1")
    call_clock.duration = 1.0
    Client().get(STATUS_URL, HTTP_X_V="1")
    metrics_flush()

    bucket = RequestBucket.objects.get()
    assert (bucket.count, bucket.within_threshold, bucket.latency_us_total) == (2, 1, 2_001_000)


@pytest.mark.parametrize("path", ["/health/live", "/no/such/page", "/consent/abc",
                                  "/mock-register/cdr-register/v1/jwks"])
def test_calls_outside_the_cdr_endpoints_are_not_counted(path):
    Client().get(path)
    metrics_flush()

    assert _buckets() == []


def test_a_refusal_before_url_resolution_is_still_counted(settings, call_clock):
    settings.BANK_MAX_REQUEST_BYTES = 10
    response = Client().post("/cds-au/v1/banking/accounts/balances", data="x" * 100,
                             content_type="application/json", HTTP_X_V="1")
    metrics_flush()

    assert response.status_code == 413
    minute = datetime.fromtimestamp(call_clock.second - call_clock.second % 60, UTC)
    assert _buckets() == [(minute, "unattended", "", 413, True, False, 1, 250_000, 1)]


def test_the_task_flushes_and_prunes_what_is_past_retention(settings):
    settings.BANK_METRICS_RETENTION_DAYS = 10
    now = timezone.now()
    old, kept = now - timedelta(days=10, minutes=1), now - timedelta(days=9, hours=23)
    for minute in (old, kept):
        RequestBucket.objects.create(minute=minute, tier="lowPriority", status_code=200,
                                     authenticated=True, customer_present=True, count=1)
        TrafficMinute.objects.create(minute=minute, authenticated=True, second_counts=[1] * 60)
    _record(MINUTE.replace(year=now.year + 1))  # pending in this process, in the future

    assert metrics_flush_task.delay().get() == 2
    assert metrics_flush_task.delay().get() == 0  # idempotent

    assert set(RequestBucket.objects.values_list("minute", flat=True)) == {
        kept, MINUTE.replace(year=now.year + 1)}
    assert list(TrafficMinute.objects.filter(minute__lt=now).values_list("minute", flat=True)) \
        == [kept]


def test_retention_never_drops_below_the_eight_reported_days(settings):
    settings.BANK_METRICS_RETENTION_DAYS = 1
    assert services.metrics_retention() == timedelta(days=9)
    del settings.BANK_METRICS_RETENTION_DAYS
    assert services.metrics_retention() == timedelta(days=32)


def test_the_flush_task_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["metrics-flush"]
    assert entry["task"] == metrics_flush_task.name == "bank.metrics.tasks.metrics_flush_task"
    assert entry["options"]["expires"] < entry["schedule"]
    assert (metrics_flush_task.soft_time_limit, metrics_flush_task.time_limit) == (50, 60)
