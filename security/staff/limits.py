"""Per-member-of-staff limits, shared by every worker.

Sign-in: failed attempts are counted per (username, source network) and, with a larger cap,
per username alone; a success clears its own (username, source) count. Only failures count,
so junk posted from elsewhere with a staff member's username cannot lock that person out
from their own network (finding: the old per-username bucket was spent before the password
was checked, and by successes). The per-username cap still stops a guesser spread over many
networks. The per-source limit on every POST is RateLimitMiddleware's (login_per_source on
`admin:login`), and wrong codes also lock the device itself (django-otp's throttling).
The counters live in Django's cache (Redis in production): the token buckets of the rate
limiter can only spend, not look or forget.

Unmask: one token bucket per member of staff in the rate limiter's store.

Both fail closed: with the store unreachable nobody signs in or unmasks.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging

from django.conf import settings
from django.core.cache import cache

from security.throttling.limits import limit_parse
from security.throttling.store import Bucket, LimiterUnavailable, store

logger = logging.getLogger(__name__)

#: Failed sign-ins allowed per window: per username from one source network, and per
#: username from everywhere together.
LOGIN_FAILURES_PER_SOURCE = 5
LOGIN_FAILURES_PER_USER = 50
LOGIN_FAILURE_WINDOW_SECONDS = 3600
#: A source is its network, not its address: one host walking its /64 (or its /24) is one
#: source.
_IPV4_PREFIX, _IPV6_PREFIX = 24, 64


def _digest(subject: str) -> str:
    # Keyed digest: the store never holds a username or an address.
    return hmac.new(settings.SECRET_KEY.encode(), subject.encode(), hashlib.sha256
                    ).hexdigest()[:32]


def _key(rule: str, subject: str) -> str:
    return f"{settings.BANK_RATE_LIMIT_KEY_PREFIX}:{rule}:{_digest(subject)}"


def _allowed(rule: str, setting: object, subject: str) -> bool:
    limit = limit_parse(setting).scaled(settings.BANK_RATE_LIMIT_MULTIPLIER)
    try:
        return store().acquire([Bucket(rule=rule, key=_key(rule, subject), limit=limit)]).allowed
    except LimiterUnavailable:
        return False


def source_network(source_ip: str | None) -> str:
    """The network an address belongs to ("" when unknown: all unknown sources are one)."""
    try:
        address = ipaddress.ip_address(source_ip or "")
    except ValueError:
        return ""
    prefix = _IPV4_PREFIX if address.version == 4 else _IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _login_counters(username: str, source_ip: str | None) -> list[tuple[str, int]]:
    """(cache key, cap) of each failure counter this attempt is judged by."""
    name = username.strip().lower()
    scale = max(1, int(settings.BANK_RATE_LIMIT_MULTIPLIER))
    return [
        (_key("staff_login_failures_per_source",
              f"{name}\x00{source_network(source_ip)}"), LOGIN_FAILURES_PER_SOURCE * scale),
        (_key("staff_login_failures_per_user", name), LOGIN_FAILURES_PER_USER * scale),
    ]


def staff_login_locked(*, username: str, source_ip: str | None) -> bool:
    """Whether sign-in for this username from this source is refused (spends nothing)."""
    counters = _login_counters(username, source_ip)
    try:
        counts = cache.get_many([key for key, _ in counters])
    except Exception:  # any store failure: refuse (fail closed)
        logger.warning("staff sign-in limiter unavailable; refusing")
        return True
    return any(int(counts.get(key, 0)) >= cap for key, cap in counters)


def staff_login_failure_record(*, username: str, source_ip: str | None) -> None:
    """Count one failed sign-in against the username and the (username, source) pair."""
    for key, _cap in _login_counters(username, source_ip):
        try:
            # add() starts the window; incr() never extends it.
            cache.add(key, 0, LOGIN_FAILURE_WINDOW_SECONDS)
            cache.incr(key)
        except ValueError:  # expired between add and incr: this failure opens a new window
            cache.add(key, 1, LOGIN_FAILURE_WINDOW_SECONDS)
        except Exception:  # the next check fails closed on the same store
            logger.warning("staff sign-in limiter unavailable; failure not counted")


def staff_login_success_record(*, username: str, source_ip: str | None) -> None:
    """A success clears its (username, source) count. The per-username count stays: a
    success must not hand a guesser working from elsewhere a fresh allowance."""
    key, _cap = _login_counters(username, source_ip)[0]
    try:
        cache.delete(key)
    except Exception:  # nothing to undo; the count expires with its window
        logger.warning("staff sign-in limiter unavailable; count not cleared")


def staff_unmask_allowed(*, user_id: int) -> bool:
    """Spend one unmask for this member of staff; False once over the limit."""
    return _allowed("staff_unmask_per_user", settings.BANK_STAFF_UNMASK_PER_USER, str(user_id))


def staff_search_allowed(*, user_id: int) -> bool:
    """Spend one console search (customers, accounts, transactions) for this member of
    staff; False once over the limit. Each search asks a blind index whether a value exists."""
    return _allowed("staff_search_per_user",
                    settings.BANK_STAFF_SEARCH_PER_USER, str(user_id))
