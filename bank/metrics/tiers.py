"""Which NFR tier a call belongs to (standards/nfrs__performance-requirements.md), by URL name.

Only the endpoints the CDR metrics cover are listed: the CDR API (banking, common, discovery,
admin) and the InfoSec endpoints (OpenID discovery, JWKS, authorisation, PAR, token,
introspection, revocation, arrangement revocation, userinfo, DCR). The consent pages, the
staff console, health checks and the mock Register are not CDR endpoints and are not counted.

"Authenticated" follows nfrs__definitions.md: an endpoint the standards protect (a token or
client authentication over mTLS). It is a property of the endpoint, so a refused call to a
protected endpoint is still an authenticated-endpoint call.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bank.metrics.models import Tier


class _Rule(Enum):
    FIXED = "fixed"
    #: High priority when the customer is present, unattended otherwise.
    HIGH_OR_UNATTENDED = "high_or_unattended"
    #: Low priority when the customer is present, unattended otherwise.
    LOW_OR_UNATTENDED = "low_or_unattended"


@dataclass(frozen=True, slots=True)
class Endpoint:
    authenticated: bool
    rule: _Rule
    tier: Tier = Tier.UNATTENDED

    def tier_for(self, *, customer_present: bool) -> Tier:
        if self.rule is _Rule.FIXED:
            return self.tier
        if not customer_present:
            return Tier.UNATTENDED
        return Tier.HIGH_PRIORITY if self.rule is _Rule.HIGH_OR_UNATTENDED else Tier.LOW_PRIORITY


def _fixed(tier: Tier, *, authenticated: bool) -> Endpoint:
    return Endpoint(authenticated=authenticated, rule=_Rule.FIXED, tier=tier)


_PUBLIC = _fixed(Tier.UNAUTHENTICATED, authenticated=False)
#: Get Status, Get Outages and the public InfoSec endpoints: high priority, unauthenticated.
_PUBLIC_HIGH = _fixed(Tier.HIGH_PRIORITY, authenticated=False)
#: The protected InfoSec endpoints (DCR and arrangement revocation included): high priority.
_INFOSEC = _fixed(Tier.HIGH_PRIORITY, authenticated=True)
_HIGH_OR_UNATTENDED = Endpoint(authenticated=True, rule=_Rule.HIGH_OR_UNATTENDED)
_LOW_OR_UNATTENDED = Endpoint(authenticated=True, rule=_Rule.LOW_OR_UNATTENDED)
_LARGE = _fixed(Tier.LARGE_PAYLOAD, authenticated=True)
#: Metadata Update and Get Metrics are in the unattended tier whoever calls.
_ADMIN = _fixed(Tier.UNATTENDED, authenticated=True)

#: URL name -> endpoint class. One name may serve GET and POST: the tier is the same for both
#: in every case here (e.g. Get Bulk Direct Debits and Get Direct Debits For Specific Accounts
#: are both large payload).
ENDPOINTS: dict[str, Endpoint] = {
    "products:list": _PUBLIC,
    "products:detail": _PUBLIC,
    "discovery:status": _PUBLIC_HIGH,
    "discovery:outages": _PUBLIC_HIGH,
    "oauth:discovery": _PUBLIC_HIGH,
    "oauth:jwks": _PUBLIC_HIGH,
    "oauth:authorize": _PUBLIC_HIGH,
    "oauth:par": _INFOSEC,
    "oauth:token": _INFOSEC,
    "oauth:introspect": _INFOSEC,
    "oauth:revoke": _INFOSEC,
    "oauth:arrangement-revoke": _INFOSEC,
    "oauth:userinfo": _INFOSEC,
    "oauth:register": _INFOSEC,
    "oauth:register-detail": _INFOSEC,
    "accounts:list": _HIGH_OR_UNATTENDED,
    "customer:basic": _HIGH_OR_UNATTENDED,
    "customer:detail": _HIGH_OR_UNATTENDED,
    "accounts:detail": _LOW_OR_UNATTENDED,
    "accounts:balance": _LOW_OR_UNATTENDED,
    "accounts:balances": _LOW_OR_UNATTENDED,
    "transactions:transactions": _LOW_OR_UNATTENDED,
    "transactions:transaction-detail": _LOW_OR_UNATTENDED,
    "transactions:payees": _LOW_OR_UNATTENDED,
    "transactions:payee-detail": _LOW_OR_UNATTENDED,
    "transactions:account-direct-debits": _LOW_OR_UNATTENDED,
    "transactions:account-scheduled-payments": _LOW_OR_UNATTENDED,
    "transactions:scheduled-payments": _LOW_OR_UNATTENDED,
    "transactions:account-plans": _LOW_OR_UNATTENDED,
    "transactions:plans": _LOW_OR_UNATTENDED,
    "transactions:direct-debits": _LARGE,
    "cdr_admin:metrics": _ADMIN,
    "cdr_admin:metadata-update": _ADMIN,
}

#: The NFR response-time threshold of each tier, in microseconds.
THRESHOLD_US: dict[str, int] = {
    Tier.UNAUTHENTICATED: 1_500_000,
    Tier.HIGH_PRIORITY: 1_000_000,
    Tier.LOW_PRIORITY: 1_500_000,
    Tier.UNATTENDED: 4_000_000,
    Tier.LARGE_PAYLOAD: 6_000_000,
}
