"""Availability per month: incidents count against it, planned outages do not
(nfrs__availability-requirements.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bank.discovery.models import Incident, Outage
from bank.metrics.availability import availability_by_month
from bank.metrics.periods import Window, local_zone, month_windows
from tests.cdr_schema import assert_cdr_response

pytestmark = pytest.mark.django_db

ZONE = local_zone()
# A 30-day month, seen from its end: 2,592,000 seconds.
JUNE = Window(datetime(2026, 6, 1, tzinfo=ZONE), datetime(2026, 7, 1, tzinfo=ZONE))
JUNE_SECONDS = Decimal(30 * 24 * 3600)


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 6, day, hour, tzinfo=ZONE)


def _incident(start: datetime, end: datetime | None) -> None:
    Incident.objects.create(status="UNAVAILABLE", explanation="Core banking down",
                            detection_time=start, resolved_at=end)


def _outage(start: datetime, hours: int) -> None:
    Outage.objects.create(outage_time=start, duration=timedelta(hours=hours),
                          explanation="Upgrade")


def test_a_month_without_incidents_is_fully_available():
    _outage(_at(10, 1), 4)

    assert availability_by_month([JUNE], now=JUNE.end) == [Decimal(1)]


def test_incident_time_counts_against_the_month():
    _incident(_at(3, 10), _at(3, 13))  # 3 hours

    assert availability_by_month([JUNE], now=JUNE.end) == [
        1 - Decimal(3 * 3600) / JUNE_SECONDS]


def test_planned_outages_are_left_out_of_both_sides():
    _outage(_at(10, 0), 4)
    # Down 2 hours, of which the first hour was inside the planned outage.
    _incident(_at(10, 3), _at(10, 5))
    # A partial failure is unavailability too ("any of the API endpoints").
    Incident.objects.create(status="PARTIAL_FAILURE", explanation="Payees slow",
                            detection_time=_at(20, 0), resolved_at=_at(20, 1))

    measured = JUNE_SECONDS - 4 * 3600
    assert availability_by_month([JUNE], now=JUNE.end) == [1 - Decimal(2 * 3600) / measured]


def test_overlapping_incidents_count_once_and_an_open_one_runs_until_now():
    _incident(_at(5, 0), _at(5, 2))
    _incident(_at(5, 1), _at(5, 3))  # overlaps: 3 hours in all
    _incident(_at(29, 23), None)  # still open: until now
    now = _at(30, 1)
    so_far = Window(JUNE.start, now)

    assert availability_by_month([so_far], now=now) == [
        1 - Decimal(3 * 3600 + 2 * 3600) / Decimal((now - JUNE.start).total_seconds())]


def test_an_incident_spanning_two_months_is_split_between_them():
    _incident(datetime(2026, 5, 31, 23, tzinfo=ZONE), _at(1, 2))
    may = Window(datetime(2026, 5, 1, tzinfo=ZONE), JUNE.start)

    june, may_value = availability_by_month([JUNE, may], now=JUNE.end)

    assert june == 1 - Decimal(2 * 3600) / JUNE_SECONDS
    assert may_value == 1 - Decimal(3600) / Decimal(31 * 24 * 3600)


def test_month_windows_are_this_month_so_far_then_twelve_calendar_months():
    now = datetime(2026, 3, 15, 9, 30, tzinfo=ZONE)

    windows = month_windows(now)

    assert windows[0] == Window(datetime(2026, 3, 1, tzinfo=ZONE), now)
    assert windows[1] == Window(datetime(2026, 2, 1, tzinfo=ZONE), datetime(2026, 3, 1, tzinfo=ZONE))
    assert windows[12] == Window(datetime(2025, 3, 1, tzinfo=ZONE), datetime(2025, 4, 1, tzinfo=ZONE))
    assert len(windows) == 13


def test_get_metrics_reports_an_incident_this_month(register_token, as_register):
    now = timezone.now()
    month_start = now.astimezone(ZONE).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    tenth = ((now - month_start) / 10).total_seconds() // 1
    # Down for a tenth of the month so far, and a planned outage as long that does not count.
    _incident(month_start + timedelta(seconds=tenth), month_start + timedelta(seconds=2 * tenth))
    Outage.objects.create(outage_time=month_start + timedelta(seconds=5 * tenth),
                          duration=timedelta(seconds=tenth), explanation="Upgrade")

    response = as_register(register_token("admin:metrics.basic:read"), period="CURRENT")

    data = assert_cdr_response(response, "getMetrics")["data"]
    request_time = datetime.fromisoformat(data["requestTime"])
    measured = Decimal((request_time - month_start).total_seconds()) - Decimal(tenth)
    expected = str((1 - Decimal(tenth) / measured).quantize(Decimal("0.0001")))
    assert expected.startswith("0.8")  # about 1 - 1/9
    assert data["availability"] == {name: {"currentMonth": expected}
                                    for name in ("aggregate", "unauthenticated", "authenticated")}
