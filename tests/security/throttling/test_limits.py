"""How settings write a limit (security/throttling/limits.py)."""

from __future__ import annotations

import pytest

from security.throttling.limits import Limit, limit_parse


@pytest.mark.parametrize(("value", "expected"), [
    ("10/s", Limit(10, "s", 10)),
    (("10/s", 20), Limit(10, "s", 20)),
    (["6/m", 3], Limit(6, "m", 3)),
    ({"rate": "100/h", "burst": 5}, Limit(100, "h", 5)),
    ("100/session", Limit(100, "session")),
    (" 20 / day ", Limit(20, "day")),
])
def test_limits_parse(value, expected):
    assert limit_parse(value) == expected


@pytest.mark.parametrize("value", [
    "10", "10/x", "0/s", "-1/s", "ten/s", "10/s/s", "", None, 10, ("10/s",), ("10/s", 0),
    ("10/s", True), ("10/s", "5"), ("100/session", 5), {"rate": "10/s", "extra": 1},
    "99999999/s", "2000000/s", ("1001/s", 1), "60001/m",
])
def test_malformed_limits_are_refused(value):
    with pytest.raises(ValueError):
        limit_parse(value)


def test_a_rate_refills_one_call_per_interval():
    assert Limit(10, "s", 20).interval_us == 100_000
    assert Limit(6, "m", 3).interval_us == 10_000_000
