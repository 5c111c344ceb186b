"""A limit as settings write it: "10/s" with a burst, "100/session", "20/day".

Two kinds:

- a **rate** ("N/s", "N/m", "N/h"): a token bucket (GCRA) that refills N per period and holds
  `burst` calls (default N), so a client may spend its burst at once, then N per period;
- a **quota** ("N/session", "N/day"): N calls in all until the window ends: the access
  token's lifetime (CDR NFRs: a session is the life of one access token) or the calendar day
  in the bank's time zone (TIME_ZONE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

RATE_PERIODS = {"s": 1, "m": 60, "h": 3600}
QUOTA_WINDOWS = ("session", "day")
_FORM = re.compile(r"^\s*(\d{1,7})\s*/\s*(s|m|h|session|day)\s*$")


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    #: "s", "m", "h" (rates) or "session", "day" (quotas).
    per: str
    #: Calls a rate lets through at once (its bucket's size); quotas have none.
    burst: int = 0

    @property
    def is_quota(self) -> bool:
        return self.per in QUOTA_WINDOWS

    @property
    def interval_us(self) -> int:
        """A rate's refill interval: the time one call's token takes to come back (at least
        1 µs: a rate is never "unlimited" by rounding)."""
        return max(1, RATE_PERIODS[self.per] * 1_000_000 // self.count)

    def scaled(self, factor: int) -> Limit:
        return Limit(self.count * factor, self.per, self.burst * factor)

    def __str__(self) -> str:
        return f"{self.count}/{self.per}" + (f" (burst {self.burst})" if self.burst else "")


def limit_parse(value: Any) -> Limit:
    """A Limit from "10/s", ("10/s", 20) or {"rate": "10/s", "burst": 20}; ValueError if not.

    A quota takes no burst. A rate's burst is at least 1 and defaults to its count.
    """
    burst: Any = None
    if isinstance(value, dict):
        unknown = set(value) - {"rate", "burst"}
        if unknown:
            raise ValueError(f"Unknown keys in a limit: {sorted(unknown)}")
        value, burst = value.get("rate"), value.get("burst")
    elif isinstance(value, list | tuple):
        if len(value) != 2:
            raise ValueError("A limit pair is (rate, burst).")
        value, burst = value
    if not isinstance(value, str):
        raise ValueError('A limit is written "N/s", "N/m", "N/h", "N/session" or "N/day".')
    match = _FORM.match(value)
    if not match or int(match[1]) < 1:
        raise ValueError(f'Not a limit: {value!r} (write "N/s", "N/m", "N/h", "N/session" '
                         'or "N/day", N at least 1).')
    count, per = int(match[1]), match[2]
    if per in RATE_PERIODS and count > RATE_PERIODS[per] * 1000:
        raise ValueError(f"{value}: more than 1000 calls a second is not a limit.")
    if per in QUOTA_WINDOWS:
        if burst is not None:
            raise ValueError(f"A quota ({value}) has no burst.")
        return Limit(count, per)
    if burst is None:
        burst = count
    if not isinstance(burst, int) or isinstance(burst, bool) or not 1 <= burst <= 10_000_000:
        raise ValueError("A burst is a whole number of calls, at least 1.")
    return Limit(count, per, burst)
