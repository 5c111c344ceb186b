"""Get Metrics v5 as numbers: every figure of ResponseMetricsListV5 for one period.

The serializers (api/serializers.py) only name and format these; nothing here knows JSON.
A `Series` holds a day's (or month's) value for the current period and a list, most recent
first, for the previous ones; either is None when the requested period leaves it out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

from bank.metrics import authorisations as auth
from bank.metrics.availability import availability_by_month
from bank.metrics.models import Tier
from bank.metrics.periods import (
    Period,
    Window,
    day_windows,
    hours_reported,
    month_windows,
)
from bank.metrics.selectors import DayTraffic, traffic_by_day

T = TypeVar("T")
U = TypeVar("U")
K = TypeVar("K")

#: An hour, or a day, without calls measured for performance breaches no threshold.
NO_CALLS_PERFORMANCE = Decimal(1)


@dataclass(frozen=True, slots=True)
class Series(Generic[T]):
    current: T | None
    previous: list[T] | None


@dataclass(frozen=True, slots=True)
class Availability:
    aggregate: Series[Decimal]
    authenticated: Series[Decimal]
    unauthenticated: Series[Decimal]


@dataclass(frozen=True, slots=True)
class ByAuthentication(Generic[T]):
    aggregate: Series[T]
    authenticated: Series[T]
    unauthenticated: Series[T]


@dataclass(frozen=True, slots=True)
class Errors:
    aggregate: Series[int]
    authenticated: Series[dict[str, int]]
    unauthenticated: Series[dict[str, int]]


@dataclass(frozen=True, slots=True)
class Authorisations:
    active: auth.ByCustomerType
    new: Series[auth.NewAuthorisations]
    revoked: Series[auth.ByCustomerType]
    amended: Series[auth.ByCustomerType]
    expired: Series[auth.ByCustomerType]
    abandoned: Series[int]
    abandoned_by_stage: dict[str, Series[int]]


@dataclass(frozen=True, slots=True)
class MetricsReport:
    request_time: datetime
    availability: Availability
    performance_aggregate: Series[Decimal]
    #: tier -> hourly values: a list for today, a list of lists for the previous days
    performance: dict[str, Series[list[Decimal]]]
    invocations: dict[str, Series[int]]
    average_response: dict[str, Series[float]]
    session_count: Series[int]
    average_tps: ByAuthentication[float]
    peak_tps: ByAuthentication[float]
    errors: Errors
    rejections: dict[bool, Series[int]]
    customer_count: int
    recipient_count: int
    authorisations: Authorisations


def _ratio(numerator: int, denominator: int) -> Decimal:
    if not denominator:
        return NO_CALLS_PERFORMANCE
    return Decimal(numerator) / Decimal(denominator)


def _seconds(latency_us: int, calls: int) -> float:
    """Average response in seconds at millisecond resolution (AverageResponseMetricsV2)."""
    return round(latency_us / calls / 1_000_000, 3) if calls else 0.0


def _tps(calls: int, seconds: float) -> float:
    return round(calls / seconds, 6) if seconds > 0 else 0.0


class _Builder:
    def __init__(self, period: Period, now: datetime) -> None:
        self.period = period
        self.now = now
        self.days = day_windows(now)
        self.traffic = traffic_by_day(self.days)

    def series(self, value: Callable[[int, Window, DayTraffic], U]) -> Series[U]:
        """`value(i, window, traffic)` for today (i = 0) and the previous days, per period."""
        current = (value(0, self.days[0], self.traffic[0])
                   if self.period.has_current else None)
        previous = ([value(i, self.days[i], self.traffic[i]) for i in range(1, len(self.days))]
                    if self.period.has_previous else None)
        return Series(current, previous)

    def keyed(self, keys: Iterable[K], value: Callable[[DayTraffic, K], U]) -> dict[K, Series[U]]:
        """A series per key (a tier, authenticated or not) of `value(traffic, key)`."""
        result: dict[K, Series[U]] = {}
        for key in keys:
            def one(i: int, window: Window, day: DayTraffic, key: K = key) -> U:
                return value(day, key)
            result[key] = self.series(one)
        return result

    def hourly(self, tier: str) -> Series[list[Decimal]]:
        def per_hour(i: int, window: Window, day: DayTraffic) -> list[Decimal]:
            measured, within = day.measured[tier], day.within[tier]
            return [_ratio(within.get(hour, 0), measured.get(hour, 0))
                    for hour in range(hours_reported(window, current=i == 0))]
        return self.series(per_hour)

    def months(self) -> Series[Decimal]:
        windows = month_windows(self.now)
        values = availability_by_month(windows, now=self.now)
        return Series(values[0] if self.period.has_current else None,
                      values[1:] if self.period.has_previous else None)


def metrics_report(*, period: Period, now: datetime) -> MetricsReport:
    b = _Builder(period, now)
    availability = b.months()
    tiers = list(Tier.values)

    def by_auth(value: Callable[[DayTraffic, Window, bool | None], U]) -> ByAuthentication[U]:
        return ByAuthentication(
            aggregate=b.series(lambda i, w, d: value(d, w, None)),
            authenticated=b.series(lambda i, w, d: value(d, w, True)),
            unauthenticated=b.series(lambda i, w, d: value(d, w, False)),
        )

    def average_tps(day: DayTraffic, window: Window, authenticated: bool | None) -> float:
        calls = sum(day.calls.values()) if authenticated is None else day.calls[authenticated]
        return _tps(calls, window.seconds)

    def peak_tps(day: DayTraffic, window: Window, authenticated: bool | None) -> float:
        return float(day.peak_aggregate if authenticated is None else day.peak[authenticated])

    def errors_by_status(authenticated: bool) -> Series[dict[str, int]]:
        return b.series(lambda i, w, d: {str(status): count for status, count
                                         in sorted(d.server_errors[authenticated].items())})

    stages = b.series(lambda i, w, d: auth.abandonments_by_stage(w, now=now))
    stage_names = list((stages.current or (stages.previous or [{}])[0]).keys())
    return MetricsReport(
        request_time=now,
        availability=Availability(availability, availability, availability),
        performance_aggregate=b.series(lambda i, w, d: _ratio(
            sum(sum(hours.values()) for hours in d.within.values()),
            sum(sum(hours.values()) for hours in d.measured.values()))),
        performance={tier: b.hourly(tier) for tier in tiers},
        invocations=b.keyed(tiers, lambda d, tier: d.invocations[tier]),
        average_response=b.keyed(
            tiers, lambda d, tier: _seconds(d.latency_us[tier], d.invocations[tier])),
        session_count=b.series(lambda i, w, d: auth.session_count(w)),
        average_tps=by_auth(average_tps),
        peak_tps=by_auth(peak_tps),
        errors=Errors(
            aggregate=b.series(lambda i, w, d: sum(sum(codes.values())
                                                   for codes in d.server_errors.values())),
            authenticated=errors_by_status(True),
            unauthenticated=errors_by_status(False),
        ),
        rejections=b.keyed((True, False), lambda d, flag: d.rejections[flag]),
        customer_count=auth.customer_count(now=now),
        recipient_count=auth.recipient_count(now=now),
        authorisations=Authorisations(
            active=auth.active_authorisation_count(now=now),
            new=b.series(lambda i, w, d: auth.new_authorisation_count(w)),
            revoked=b.series(lambda i, w, d: auth.revoked_authorisation_count(w)),
            amended=b.series(lambda i, w, d: auth.amended_authorisation_count(w)),
            expired=b.series(lambda i, w, d: auth.expired_authorisation_count(w)),
            abandoned=Series(
                sum(stages.current.values()) if stages.current is not None else None,
                [sum(day.values()) for day in stages.previous]
                if stages.previous is not None else None),
            abandoned_by_stage={
                name: Series(
                    stages.current[name] if stages.current is not None else None,
                    [day[name] for day in stages.previous]
                    if stages.previous is not None else None)
                for name in stage_names},
        ),
    )
