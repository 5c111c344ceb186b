"""The detector's rules, by stable name (each name is a key of BANK_MONITORING)."""

from __future__ import annotations

from security.monitoring.rules.access import (
    AuthorizationFailureBurst,
    ForeignIdEnumeration,
    RefreshTokenMisuse,
    RevokedTokenUse,
)
from security.monitoring.rules.base import EventRow, Finding, Measure, Rule, Subject
from security.monitoring.rules.certificates import NewClientCertificate
from security.monitoring.rules.login import CredentialStuffing
from security.monitoring.rules.volume import CallVolumeSpike

revoked_token_use = RevokedTokenUse()
refresh_token_misuse = RefreshTokenMisuse()

#: The rules also checked inline, as each event is written (detector.audit_event_inline_check).
INLINE_RULES = (revoked_token_use, refresh_token_misuse)

#: Every rule the minute run evaluates, in this order.
WINDOWED_RULES: tuple[Rule, ...] = (
    AuthorizationFailureBurst(),
    ForeignIdEnumeration(),
    CredentialStuffing(),
    CallVolumeSpike(),
    NewClientCertificate(),
    # The backstops of the inline checks.
    *INLINE_RULES,
)
RULE_NAMES = tuple(rule.name for rule in WINDOWED_RULES)

__all__ = ["INLINE_RULES", "RULE_NAMES", "WINDOWED_RULES", "EventRow", "Finding", "Measure",
           "Rule", "Subject", "refresh_token_misuse", "revoked_token_use"]
