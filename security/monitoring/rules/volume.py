"""A software product suddenly calling far above its own baseline (bank/metrics counts)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bank.metrics.selectors import client_call_counts, client_call_counts_by_minute
from security.monitoring.models import Alert
from security.monitoring.rules.base import Finding, Measure, Rule, Subject


class CallVolumeSpike(Rule):
    """Calls in the window at least `factor` times the product's trailing baseline (its
    calls over the `baseline_seconds` before the window, scaled to the window's length), and
    at least `min_calls`, so that a quiet client's handful of calls never alerts.

    A product with no calls in the baseline is compared with zero: its first window at
    `min_calls` or more alerts. Windows are whole minutes (the metrics' granularity) ending
    at the start of the current minute, so runs within one minute measure the same window.
    `count` is the calls counted into the alert. Two queries a run, whatever the number of
    products: the window minute by minute (a finding's evidence), and the baseline.
    """

    name = "call_volume_spike"
    required = ("window_seconds", "baseline_seconds", "factor", "min_calls")

    def _window(self, now: datetime) -> tuple[datetime, datetime]:
        end = now.replace(second=0, microsecond=0)
        return end - self.window, end

    def candidates(self, *, now: datetime, db: str) -> list[Finding]:
        start, end = self._window(now)
        baseline_seconds = self.setting("baseline_seconds")
        current = client_call_counts_by_minute(start, end)
        baseline = client_call_counts(start - timedelta(seconds=baseline_seconds), start)
        window_seconds, factor = self.setting("window_seconds"), self.setting("factor")
        min_calls = self.setting("min_calls")
        findings = []
        for product, minutes in current.items():
            calls, usual = sum(minutes.values()), baseline.get(product, 0)
            # calls / window >= factor * usual / baseline, in integers (no rounding at the edge).
            if calls >= min_calls and calls * baseline_seconds >= factor * usual * window_seconds:
                findings.append(Finding(self, Subject(software_product_id=product),
                                        {"window_calls": calls, "baseline_calls": usual},
                                        evidence=tuple(minutes.items())))
        return findings

    def assess(self, finding: Finding, *, now: datetime, latest: Alert | None,
               db: str) -> Measure | None:
        start, end = self._window(now)
        if latest is not None and latest.status == Alert.Status.OPEN:
            since = max(latest.last_seen, start)
            if since >= end:
                return None  # this window was counted already
            # The minutes the open alert has not counted yet.
            calls = sum(count for minute, count in finding.evidence if minute >= since)
            return Measure(events=calls, first_at=since, last_at=end) if calls else None
        if latest is not None and start < latest.last_seen:
            # Staff acknowledged a spike this window overlaps: only a whole new window over
            # the threshold opens another alert.
            return None
        return Measure(events=int(finding.facts["window_calls"]), first_at=start, last_at=end)
