"""The limiter's contract, on process memory and on a real Redis (the same tests).

Rates are GCRA token buckets, quotas counters per window, and one call checks and spends
several buckets atomically: all or nothing, with the wait of the fullest.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid

import pytest

from security.throttling.limits import Limit
from security.throttling.store import Bucket, Decision, MemoryStore, RedisStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Limiter:
    """A store, a key namespace, and a way to let time pass (a fake clock, or sleeping)."""

    def __init__(self, store, clock: FakeClock | None) -> None:
        self.store, self.clock, self.prefix = store, clock, f"t-{uuid.uuid4().hex}"

    def bucket(self, name: str, limit: Limit, **extra) -> Bucket:
        return Bucket(rule=name, key=f"{self.prefix}:{name}", limit=limit, **extra)

    def wait(self, seconds: float) -> None:
        if self.clock is not None:
            self.clock.now += seconds
        else:
            time.sleep(seconds)

    def served(self, buckets: list[Bucket], n: int) -> int:
        return sum(self.store.acquire(buckets).allowed for _ in range(n))


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def limiter(request, settings) -> Limiter:
    if request.param == "memory":
        clock = FakeClock()
        return Limiter(MemoryStore(clock), clock)
    return Limiter(RedisStore(settings.REDIS_URL, timeout=2), None)


def test_a_rate_serves_its_burst_then_one_call_per_interval(limiter):
    bucket = limiter.bucket("rate", Limit(4, "s", 3))  # 250 ms per call, 3 at once
    assert limiter.served([bucket], 3) == 3
    refused = limiter.store.acquire([bucket])
    assert not refused.allowed and refused.refused_by == bucket
    assert 0.2 < refused.retry_after <= 0.25
    limiter.wait(refused.retry_after + 0.01)
    assert limiter.store.acquire([bucket]).allowed
    assert not limiter.store.acquire([bucket]).allowed


def test_retry_after_is_exact_for_a_slow_rate(limiter):
    bucket = limiter.bucket("slow", Limit(1, "h", 2))
    assert limiter.served([bucket], 3) == 2
    decision = limiter.store.acquire([bucket])
    assert 3599 < decision.retry_after <= 3600
    assert decision.retry_after_header == "3600"


def test_raising_a_limit_frees_a_throttled_caller_at_once(limiter):
    assert limiter.store.acquire([limiter.bucket("b", Limit(1, "h", 1))]).allowed
    assert not limiter.store.acquire([limiter.bucket("b", Limit(1, "h", 1))]).allowed
    # An override (or a new tier) to 100/s: the caller is no longer held to the old schedule
    # (an hour); at worst it waits the new limit's one interval (10 ms).
    decision = limiter.store.acquire([limiter.bucket("b", Limit(100, "s", 100))])
    assert decision.allowed or decision.retry_after <= 0.01


def test_a_refused_call_spends_none_of_its_other_buckets(limiter):
    roomy = limiter.bucket("roomy", Limit(3, "day"), window_ms=60_000)
    tight = limiter.bucket("tight", Limit(1, "day"), window_ms=60_000)
    assert limiter.store.acquire([roomy, tight]).allowed
    for _ in range(5):
        refused = limiter.store.acquire([roomy, tight])
        assert not refused.allowed and refused.refused_by == tight
    # The five refusals took nothing from `roomy`: two of its three calls are left.
    assert limiter.served([roomy], 5) == 2


def test_the_refusal_names_the_bucket_with_the_longest_wait(limiter):
    short = limiter.bucket("short", Limit(10, "s", 1))
    long = limiter.bucket("long", Limit(1, "m", 1))
    assert limiter.store.acquire([short, long]).allowed
    refused = limiter.store.acquire([short, long])
    assert refused.refused_by == long
    assert 59 < refused.retry_after <= 60


def test_a_quota_refills_only_when_its_window_ends(limiter):
    quota = limiter.bucket("quota", Limit(2, "session"), window_ms=600)
    assert limiter.served([quota], 5) == 2
    refused = limiter.store.acquire([quota])
    assert 0 < refused.retry_after <= 0.6
    limiter.wait(refused.retry_after + 0.05)
    assert limiter.served([quota], 5) == 2


def test_a_first_seen_quota_counts_each_session_once(limiter):
    def session(n: int) -> Bucket:
        return limiter.bucket("sessions", Limit(2, "day"), window_ms=60_000,
                              seen_key=f"{limiter.prefix}:seen:{n}", seen_ms=30_000)

    assert limiter.served([session(1)], 10) == 10  # one session, however many calls
    assert limiter.store.acquire([session(2)]).allowed
    refused = limiter.store.acquire([session(3)])
    assert not refused.allowed and 59 < refused.retry_after <= 60
    assert limiter.store.acquire([session(1)]).allowed  # known sessions go on


def test_a_first_seen_quota_does_not_mark_a_session_it_refused(limiter):
    sessions = limiter.bucket("sessions", Limit(1, "day"), window_ms=60_000,
                              seen_key=f"{limiter.prefix}:seen:a", seen_ms=30_000)
    tight = limiter.bucket("tight", Limit(1, "day"), window_ms=60_000)
    assert limiter.store.acquire([tight]).allowed
    assert not limiter.store.acquire([sessions, tight]).allowed
    # Refused as a whole: the session was not counted, so it is still new and fits.
    assert limiter.store.acquire([sessions]).allowed


@pytest.mark.parametrize(("seconds", "header"), [(0.001, "1"), (1.0, "1"), (1.2, "2"),
                                                  (59.99, "60")])
def test_retry_after_header_rounds_up(seconds, header):
    assert Decision(False, seconds).retry_after_header == header


def _served_in_child(url: str, keys: tuple[str, str], attempts: int, queue) -> None:
    store = RedisStore(url, timeout=5)
    buckets = [Bucket("rate", keys[0], Limit(1, "h", 40)),
               Bucket("quota", keys[1], Limit(60, "day"), window_ms=60_000)]
    queue.put(sum(store.acquire(buckets).allowed for _ in range(attempts)))


@pytest.mark.redis
def test_processes_racing_on_redis_get_exactly_the_limit(settings):
    """Six processes, 30 calls each, at once, against a burst of 40: exactly 40 served."""
    prefix = f"t-{uuid.uuid4().hex}"
    keys = (f"{prefix}:rate", f"{prefix}:quota")
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    children = [context.Process(target=_served_in_child, args=(settings.REDIS_URL, keys, 30, queue))
                for _ in range(6)]
    for child in children:
        child.start()
    served = [queue.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=10)
    assert sum(served) == 40
    # The quota bucket was spent only by the 40 calls the rate let through.
    store = RedisStore(settings.REDIS_URL, timeout=2)
    quota = Bucket("quota", keys[1], Limit(60, "day"), window_ms=60_000)
    assert sum(store.acquire([quota]).allowed for _ in range(30)) == 20


def test_redis_unreachable_is_reported_not_allowed():
    from security.throttling.store import LimiterUnavailable

    store = RedisStore("redis://127.0.0.1:1/0", timeout=0.2)
    with pytest.raises(LimiterUnavailable):
        store.acquire([Bucket("x", "t:x", Limit(1, "s", 1))])
