"""Which limits a request spends: the rules of BANK_RATE_LIMITS, keyed by whom they count.

Defaults follow the CDR traffic thresholds (standards/nfrs__traffic-thresholds.md), which a
data holder "may freely throttle or reject" beyond:

- customer present (`x-fapi-customer-ip-address` sent): 10 TPS per customer;
- unattended: 5 TPS per session, 100 calls per session (a session is one access token's
  life), 20 sessions a day per customer per software product. The standard asks this of the
  low-traffic period only and leaves the high-traffic period (06:00-24:00) to best effort, so
  one rule for the whole day is within it;
- 50 TPS per software product; secure traffic site-wide by active authorisations (150 TPS up
  to 10,000, ... 450 TPS over 60,000); public traffic 300 TPS. These are what a holder must
  serve at least, so the site-wide totals default to the bank's capacity instead ("nfr"
  applies the table).

Then what the checklist asks of a bank API on top: per caller before authentication (the
client certificate on the mTLS listener, the source address on the public one), per
endpoint, and tighter limits for writes, the text search and the brute-force targets (login,
one-time codes, PAR, token, registration).

Rules that count one software product's calls (PRODUCT_RULES, and the endpoint ones) can be
overridden per software product in the admin (RateLimitOverride); the others count callers
or customers across products, so a per-product value would change other products' budgets.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.utils import timezone

from security.throttling.limits import Limit, limit_parse
from security.throttling.store import Bucket


class Operation(StrEnum):
    """What kind of call a request is; each kind spends its own set of limits."""

    PUBLIC = "public"  # Get Products, Get Status, Get Outages (the CDR's public traffic)
    DISCOVERY = "discovery"  # OpenID discovery, JWKS: per source, never a shared total
    HEALTH = "health"  # /health/*: per source
    CONSENT_PAGE = "consent_page"  # the consent pages, read
    AUTHORIZE = "authorize"
    LOGIN = "login"  # a customer's password attempt (the consent login)
    STAFF_LOGIN = "staff_login"  # a staff password attempt (the admin login)
    OTP = "otp"  # a one-time code attempt
    RESOURCE_READ = "read"  # a CDR resource call
    RESOURCE_SEARCH = "search"  # Get Transactions with `text`: decrypts up to 30,000 rows
    PAR = "par"
    TOKEN = "token"  # noqa: S105 (an operation's name, not a credential)
    CLIENT_CALL = "client_call"  # introspection, userinfo
    WRITE = "write"  # token revocation, arrangement revocation
    REGISTRATION = "registration"  # DCR create/read/update/delete


#: Operations answered without a client certificate, limited per source address. On a
#: limiter outage these fail open (the customer's login and code checks keep their own
#: lock-outs in the database); every other operation fails closed, the staff login included
#: (Django's admin login has no lock-out of its own).
UNAUTHENTICATED = frozenset({Operation.PUBLIC, Operation.DISCOVERY, Operation.HEALTH,
                             Operation.CONSENT_PAGE, Operation.AUTHORIZE, Operation.LOGIN,
                             Operation.OTP})
#: Limited per source address, but failing closed.
_PER_SOURCE = UNAUTHENTICATED | {Operation.STAFF_LOGIN}

#: Every rule this module applies; BANK_RATE_LIMITS must give each a limit (system check).
RULES = frozenset({
    "customer_present_per_customer", "software_product", "unattended_per_session",
    "unattended_calls_per_session", "unattended_sessions_per_day", "secure_site_wide",
    "public_site_wide", "public_per_source", "client_certificate", "search_per_customer",
    "search_per_software_product", "write_per_client", "client_calls_per_client",
    "authorize_per_source", "login_per_source", "otp_per_source", "par_per_client",
    "token_per_client", "registration_per_client",
})

#: Secure traffic site-wide, by active authorisations (nfrs__traffic-thresholds.md).
NFR_SECURE_TPS = ((10_000, 150), (20_000, 200), (30_000, 250), (40_000, 300), (50_000, 350),
                  (60_000, 400))
NFR_SECURE_TPS_ABOVE = 450

#: Rules each operation spends besides the per-caller one, keyed by the caller.
_CALLER_RULES = {
    Operation.AUTHORIZE: "authorize_per_source",
    Operation.LOGIN: "login_per_source",
    Operation.STAFF_LOGIN: "login_per_source",
    Operation.OTP: "otp_per_source",
    Operation.PAR: "par_per_client",
    Operation.TOKEN: "token_per_client",
    Operation.CLIENT_CALL: "client_calls_per_client",
    Operation.WRITE: "write_per_client",
    Operation.REGISTRATION: "registration_per_client",
}


#: Rules whose buckets count one software product's calls (or its sessions): the only ones a
#: per-product override can change without touching other products' budgets.
PRODUCT_RULES = frozenset({
    "software_product", "unattended_per_session", "unattended_calls_per_session",
    "unattended_sessions_per_day", "search_per_software_product",
})


def rule_names() -> list[str]:
    """Every rule a per-product override may name: the product-scoped rules and the
    `endpoint:<view>` ones (per product and endpoint)."""
    return sorted(PRODUCT_RULES) + sorted(
        f"endpoint:{name}" for name in settings.BANK_RATE_LIMIT_ENDPOINTS)


def configured_limit(rule: str) -> Limit:
    """The rule's limit from settings (times BANK_RATE_LIMIT_MULTIPLIER)."""
    value: Any
    if rule.startswith("endpoint:"):
        value = settings.BANK_RATE_LIMIT_ENDPOINTS[rule.removeprefix("endpoint:")]
    else:
        value = settings.BANK_RATE_LIMITS[rule]
    limit = _nfr_secure_limit() if value == "nfr" else limit_parse(value)
    return limit.scaled(settings.BANK_RATE_LIMIT_MULTIPLIER)


_active_authorisations: tuple[float, int] = (0.0, 0)


def _nfr_secure_limit() -> Limit:
    """The site-wide secure TPS the NFR table gives for today's active authorisations.

    Counted at most once a minute per process: the tiers are 10,000 authorisations apart.
    """
    global _active_authorisations
    counted_at, count = _active_authorisations
    if time.monotonic() - counted_at > 60:
        from security.consent.models import Arrangement, ArrangementStatus

        count = Arrangement.objects.filter(status=ArrangementStatus.ACTIVE).count()
        _active_authorisations = (time.monotonic(), count)
    tps = next((tps for ceiling, tps in NFR_SECURE_TPS if count <= ceiling), NFR_SECURE_TPS_ABOVE)
    return Limit(tps, "s", tps)


def source_network(source_ip: str | None) -> str:
    """What a per-source limit counts: an IPv4 address, or an IPv6 /64 (one customer's
    network: anyone holding a /64 has 2^64 addresses to rotate through)."""
    try:
        address = ipaddress.ip_address(source_ip or "")
    except ValueError:
        return source_ip or "-"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _source_subject(source_ip: str | None) -> str:
    """A pseudonym of a source network for store keys: a keyed hash, not the address."""
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"rate-limit-source:{source_network(source_ip)}".encode(),
                      hashlib.sha256)
    return "ip:" + digest.hexdigest()[:32]


def caller_subject(*, certificate_thumbprint: str | None, source_ip: str | None) -> str:
    """Whom pre-authentication limits count: the client certificate, else the address."""
    if certificate_thumbprint:
        return f"cert:{certificate_thumbprint}"
    return _source_subject(source_ip)


def _bucket(rule: str, subject: str, overrides: dict[str, Limit] | None = None, **extra: Any
            ) -> Bucket:
    limit = (overrides or {}).get(rule) or configured_limit(rule)
    return Bucket(rule=rule, key=_key(rule, subject), limit=limit, **extra)


def _key(rule: str, subject: str) -> str:
    return f"{settings.BANK_RATE_LIMIT_KEY_PREFIX}:{rule}:{subject}"


def endpoint_buckets(operation: Operation, *, certificate_thumbprint: str | None,
                     source_ip: str | None) -> list[Bucket]:
    """The limits of a call identified only by its caller (OAuth endpoints, public pages)."""
    subject = caller_subject(certificate_thumbprint=certificate_thumbprint, source_ip=source_ip)
    if operation in _PER_SOURCE:
        buckets = [_bucket("public_per_source", _source_subject(source_ip))]
        if operation is Operation.PUBLIC:
            buckets.append(_bucket("public_site_wide", "all"))
    else:
        buckets = [_bucket("client_certificate", subject)]
    if operation in _CALLER_RULES:
        buckets.append(_bucket(_CALLER_RULES[operation], subject))
    return buckets


def resource_buckets(
    *, operation: Operation, endpoint: str, context: Any, token: Any,
    certificate_thumbprint: str | None, source_ip: str | None,
    overrides: dict[str, Limit], now: datetime | None = None,
) -> list[Bucket]:
    """The limits of an authenticated CDR resource call (`context` is its AccessContext)."""
    now = now or timezone.now()
    product = f"product:{context.software_product_id}"
    customer = f"customer:{context.customer_id}"
    session = f"session:{token.pk}"
    caller = caller_subject(certificate_thumbprint=certificate_thumbprint, source_ip=source_ip)
    buckets = [
        _bucket("client_certificate", caller),
        _bucket("software_product", product, overrides),
        _bucket("secure_site_wide", "all"),
    ]
    if context.customer_present:
        buckets.append(_bucket("customer_present_per_customer", customer, overrides))
    else:
        session_ms = _ms_until(token.expires, now)
        buckets += [
            _bucket("unattended_per_session", session, overrides),
            _bucket("unattended_calls_per_session", session, overrides, window_ms=session_ms),
            _bucket("unattended_sessions_per_day", f"{customer}:{product}", overrides,
                    window_ms=_ms_until(_next_midnight(now), now),
                    seen_key=_key("session-seen", session), seen_ms=session_ms),
        ]
    if operation is Operation.RESOURCE_SEARCH:
        buckets += [_bucket("search_per_customer", customer, overrides),
                    _bucket("search_per_software_product", product, overrides)]
    if endpoint in settings.BANK_RATE_LIMIT_ENDPOINTS:
        buckets.append(_bucket(f"endpoint:{endpoint}", f"{product}:{endpoint}", overrides))
    return buckets


def _ms_until(moment: datetime, now: datetime) -> int:
    return max(1000, int((moment - now).total_seconds() * 1000))


def _next_midnight(now: datetime) -> datetime:
    """The end of the calendar day in the bank's time zone (the NFRs' "calendar day")."""
    local = timezone.localtime(now)
    tomorrow = (local + timedelta(days=1)).date()
    return timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()), local.tzinfo)
