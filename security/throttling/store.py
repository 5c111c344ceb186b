"""The limiter: check several buckets and spend them together, atomically, or spend none.

One call, `acquire(buckets)`, for every request. Either every bucket has room and each is
spent once, or nothing is spent and the answer says how long until the fullest one has room
(the `Retry-After`). A request refused by its customer's limit has therefore not used up its
software product's budget, and N concurrent callers over a limit get exactly the limit.

Two stores behind that call:

- **Redis** (production, and the service-backed tests): one Lua script does the check and
  the spend, so it is atomic across every worker and host; the time is Redis's own clock
  (TIME), so hosts with skewed clocks still share one timeline. Every bucket key of a call
  must live on one Redis node (a single server or a primary; not spread over a cluster).
  Give the limiter a Redis database it does not share with an evicting cache
  (BANK_RATE_LIMIT_STORE; `maxmemory-policy noeviction`), or counters can vanish. A call
  that times out after the script ran has spent its budget although it is answered 503.
- **memory** (the embedded demo and the tests): the same algorithm under a lock, exact for
  the one process it lives in: `make demo` serves each listener from one process.

A bucket is one of:

- a rate: GCRA ("generic cell rate algorithm", the token bucket as a single timestamp, the
  theoretical arrival time TAT): a call conforms if TAT - burst * interval <= now;
- a quota: a counter that expires at the end of its window;
- a first-seen quota: a quota counted once per marker (20 sessions a day: the first call of
  each access token counts, its later calls do not).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from django.conf import settings

from security.throttling.limits import Limit


@dataclass(frozen=True, slots=True)
class Bucket:
    #: The rule's name, e.g. "software_product" (for the 429's log line and audit event).
    rule: str
    #: The store key: the rule and whom it counts, e.g. "rl:software_product:<product id>".
    key: str
    limit: Limit
    #: Quotas: milliseconds until the window ends (end of day, end of the token's life).
    window_ms: int = 0
    #: First-seen quotas: the marker of the thing counted once (the session), and its life.
    seen_key: str = ""
    seen_ms: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    #: Seconds until the refusing bucket has room (0 when allowed).
    retry_after: float = 0.0
    #: The bucket that refused (the one with the longest wait), None when allowed.
    refused_by: Bucket | None = None

    @property
    def retry_after_header(self) -> str:
        """Whole seconds, rounded up, at least 1: a client that waits this long gets in."""
        return str(max(1, math.ceil(self.retry_after)))


class LimiterUnavailable(Exception):
    """The store cannot answer (Redis down or slow): callers fail closed where it matters."""


class Store(Protocol):
    def acquire(self, buckets: Sequence[Bucket]) -> Decision: ...


# The Redis script ---------------------------------------------------------------------------
# KEYS: per bucket, its key and its marker key (or the bucket key again if it has none).
# ARGV: per bucket, kind ("r" rate, "q" quota, "f" first-seen quota) and three numbers:
#   r: interval in microseconds, burst;                  (third unused)
#   q: limit, window in milliseconds;                    (third unused)
#   f: limit, window in milliseconds, marker life in milliseconds.
# Returns {1, 0, 0} when every bucket had room (and each was spent), else {0, wait in
# microseconds, 1-based index of the bucket with the longest wait} (and nothing was spent).
_ACQUIRE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS / 2
local worst_wait, worst = 0, 0
local plan = {}
for i = 1, n do
  local key, marker = KEYS[2 * i - 1], KEYS[2 * i]
  local kind = ARGV[4 * i - 3]
  local a, b, c = tonumber(ARGV[4 * i - 2]), tonumber(ARGV[4 * i - 1]), tonumber(ARGV[4 * i])
  local wait = 0
  if kind == 'r' then
    local tat = tonumber(redis.call('GET', key) or '0')
    if tat < now then tat = now end
    -- A limit raised since (an override, a new tier) takes effect at once: no bucket is
    -- further behind than the current limit allows.
    if tat > now + a * b then tat = now + a * b end
    local new_tat = tat + a
    local allow_at = new_tat - a * b
    if allow_at > now then wait = allow_at - now else plan[i] = new_tat end
  elseif kind == 'f' and redis.call('EXISTS', marker) == 1 then
    plan[i] = false
  else
    local count = tonumber(redis.call('GET', key) or '0')
    if count >= a then
      local ttl = redis.call('PTTL', key)
      if ttl < 0 then ttl = b end
      wait = ttl * 1000
      if wait < 1 then wait = 1 end
    else
      plan[i] = true
    end
  end
  if wait > worst_wait then worst_wait, worst = wait, i end
end
if worst > 0 then return {0, worst_wait, worst} end
for i = 1, n do
  local key, marker = KEYS[2 * i - 1], KEYS[2 * i]
  local kind = ARGV[4 * i - 3]
  if kind == 'r' then
    local ttl = math.ceil((plan[i] - now) / 1000) + 1
    redis.call('SET', key, string.format('%.0f', plan[i]), 'PX', ttl)
  elseif plan[i] then
    if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[4 * i - 1]) end
    if kind == 'f' then redis.call('SET', marker, '1', 'PX', ARGV[4 * i]) end
  end
end
return {1, 0, 0}
"""


def _arguments(bucket: Bucket) -> tuple[str, int, int, int]:
    limit = bucket.limit
    if not limit.is_quota:
        return ("r", limit.interval_us, limit.burst, 0)
    window = max(1, bucket.window_ms)
    if bucket.seen_key:
        return ("f", limit.count, window, max(1, bucket.seen_ms))
    return ("q", limit.count, window, 0)


class RedisStore:
    def __init__(self, url: str, *, timeout: float) -> None:
        import redis

        self._errors: tuple[type[Exception], ...] = (redis.exceptions.RedisError, OSError)
        client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout,
            health_check_interval=30,
        )
        self._script = client.register_script(_ACQUIRE_LUA)

    def acquire(self, buckets: Sequence[Bucket]) -> Decision:
        if not buckets:
            return Decision(True)
        keys: list[str] = []
        argv: list[Any] = []
        for bucket in buckets:
            keys += [bucket.key, bucket.seen_key or bucket.key]
            argv += _arguments(bucket)
        try:
            allowed, wait_us, index = self._script(keys=keys, args=argv)
        except self._errors as exc:
            raise LimiterUnavailable(type(exc).__name__) from exc
        if allowed:
            return Decision(True)
        return Decision(False, int(wait_us) / 1_000_000, buckets[int(index) - 1])


class MemoryStore:
    """The same algorithm in one process, under a lock. `clock` is seconds (tests move it)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, float]] = {}  # key -> (value, expires at, us)

    def reset(self) -> None:
        with self._lock:
            self._values.clear()

    def _get(self, key: str, now: float) -> float | None:
        entry = self._values.get(key)
        if entry is None or entry[1] <= now:
            self._values.pop(key, None)
            return None
        return entry[0]

    def acquire(self, buckets: Sequence[Bucket]) -> Decision:
        with self._lock:
            now = self._clock() * 1_000_000
            worst_wait, worst = 0.0, None
            plan: list[Any] = []
            for bucket in buckets:
                kind, a, b, _ = _arguments(bucket)
                wait = 0.0
                if kind == "r":
                    tat = min(max(self._get(bucket.key, now) or 0.0, now), now + a * b)
                    new_tat = tat + a
                    allow_at = new_tat - a * b
                    if allow_at > now:
                        wait = allow_at - now
                    plan.append(new_tat)
                elif kind == "f" and self._get(bucket.seen_key, now) is not None:
                    plan.append(None)
                else:
                    count = self._get(bucket.key, now) or 0.0
                    if count >= a:
                        expires = self._values[bucket.key][1] if count else now + b * 1000
                        wait = max(1.0, expires - now)
                    plan.append(count)
                if wait > worst_wait:
                    worst_wait, worst = wait, bucket
            if worst is not None:
                return Decision(False, worst_wait / 1_000_000, worst)
            for bucket, value in zip(buckets, plan, strict=True):
                kind, _a, window, seen = _arguments(bucket)
                if kind == "r":
                    self._values[bucket.key] = (value, value + 1000)
                elif value is not None:
                    expires = self._values[bucket.key][1] if value else now + window * 1000
                    self._values[bucket.key] = (value + 1, expires)
                    if kind == "f":
                        self._values[bucket.seen_key] = (1.0, now + seen * 1000)
            return Decision(True)


@cache
def store() -> Store:
    """The configured store: BANK_RATE_LIMIT_STORE is "memory://" or a redis(s):// URL."""
    url = settings.BANK_RATE_LIMIT_STORE
    if url == "memory://":
        return MemoryStore()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(url, timeout=settings.BANK_RATE_LIMIT_TIMEOUT)
    raise ValueError("BANK_RATE_LIMIT_STORE must be memory:// or a redis:// URL.")
