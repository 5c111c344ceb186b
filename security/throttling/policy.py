"""Which limits a request spends: the rules of BANK_RATE_LIMITS, keyed by whom they count.

Defaults follow the CDR traffic thresholds (standards/nfrs__traffic-thresholds.md), which a
data holder "may freely throttle or reject" beyond:

- customer present (`x-fapi-customer-ip-address` sent): 10 TPS per customer;
- unattended: 5 TPS per session, 100 calls per session (a session is one access token's
  life), 20 sessions a day per customer per software product. The standard asks this of the
  low-traffic period only and leaves the high-traffic period (06:00-24:00) to best effort, so
  one rule for the whole day is within it;
- 50 TPS per software product; secure traffic site-wide by active authorisations (150 TPS up
  to 10,000, ... 450 TPS over 60,000: "nfr" follows that table); public traffic 300 TPS.

Then what the checklist asks of a bank API on top: per caller before authentication (the
client certificate on the mTLS listener, the source address on the public one), per
endpoint, and tighter limits for writes, the text search and the brute-force targets (login,
one-time codes, PAR, token, registration).

Rules about a software product's calls can be overridden per software product in the admin
(RateLimitOverride). The OAuth endpoints are limited per client certificate before the
client is authenticated, so those rules have no per-product override.
"""

from __future__ import annotations

import hashlib
import hmac
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

    PUBLIC = "public"  # Get Products, Get Status/Outages, OpenID discovery, JWKS
    CONSENT_PAGE = "consent_page"  # the consent pages, read
    AUTHORIZE = "authorize"
    LOGIN = "login"  # a password attempt (customer consent login, staff admin login)
    OTP = "otp"  # a one-time code attempt
    RESOURCE_READ = "read"  # a CDR resource call
    RESOURCE_SEARCH = "search"  # Get Transactions with `text`: decrypts up to 30,000 rows
    PAR = "par"
    TOKEN = "token"  # noqa: S105 (an operation's name, not a credential)
    CLIENT_CALL = "client_call"  # introspection, userinfo
    WRITE = "write"  # token revocation, arrangement revocation
    REGISTRATION = "registration"  # DCR create/read/update/delete


#: Operations answered without a client certificate: on a limiter outage these fail open
#: (the login and code checks keep their own lock-outs in the database); the rest fail closed.
UNAUTHENTICATED = frozenset({Operation.PUBLIC, Operation.CONSENT_PAGE, Operation.AUTHORIZE,
                             Operation.LOGIN, Operation.OTP})

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
    Operation.OTP: "otp_per_source",
    Operation.PAR: "par_per_client",
    Operation.TOKEN: "token_per_client",
    Operation.CLIENT_CALL: "client_calls_per_client",
    Operation.WRITE: "write_per_client",
    Operation.REGISTRATION: "registration_per_client",
}


def rule_names() -> list[str]:
    """Every rule an override may name: the settings' rules and `endpoint:<view>` ones."""
    return sorted(RULES) + sorted(
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


def _source_subject(source_ip: str | None) -> str:
    """A pseudonym of a source address for store keys: a keyed hash, not the address."""
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"rate-limit-source:{source_ip or '-'}".encode(), hashlib.sha256)
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
    if operation in UNAUTHENTICATED:
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
