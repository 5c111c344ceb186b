"""The reporting periods of Get Metrics, in the bank's local time (settings.TIME_ZONE).

CDS getMetrics: `period` CURRENT (today so far; this month so far for availability),
HISTORIC (each of the previous 7 days, yesterday first; the previous 12 months for
availability) or ALL (both). "Timezone for determining 12am must be consistent but is at the
discretion of the Data Holder": ours is the bank's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings

PREVIOUS_DAYS = 7
PREVIOUS_MONTHS = 12


class Period(StrEnum):
    CURRENT = "CURRENT"
    HISTORIC = "HISTORIC"
    ALL = "ALL"

    @property
    def has_current(self) -> bool:
        return self is not Period.HISTORIC

    @property
    def has_previous(self) -> bool:
        return self is not Period.CURRENT


@dataclass(frozen=True, slots=True)
class Window:
    """[start, end): a local day or month, cut at `now` when it is the current one."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return max((self.end - self.start).total_seconds(), 0.0)


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_zone())


def day_windows(now: datetime) -> list[Window]:
    """Today so far, then each of the previous 7 local days (a 23- or 25-hour day at DST)."""
    today = now.astimezone(local_zone()).date()
    windows = [Window(_midnight(today), now)]
    for back in range(1, PREVIOUS_DAYS + 1):
        day = today - timedelta(days=back)
        windows.append(Window(_midnight(day), _midnight(day + timedelta(days=1))))
    return windows


def month_windows(now: datetime) -> list[Window]:
    """This month so far, then each of the previous 12 local calendar months."""
    local = now.astimezone(local_zone()).date()
    first = local.replace(day=1)
    windows = [Window(_midnight(first), now)]
    for _ in range(PREVIOUS_MONTHS):
        previous_first = (first - timedelta(days=1)).replace(day=1)
        windows.append(Window(_midnight(previous_first), _midnight(first)))
        first = previous_first
    return windows


def hours_reported(window: Window, *, current: bool) -> int:
    """How many hourly values a day has, from 12am: 24 for a past day, the hours begun so far
    for today. By clock hour: at DST the repeated hour counts once, the skipped one is empty."""
    if not current:
        return 24
    return (window.end - timedelta(microseconds=1)).astimezone(local_zone()).hour + 1
