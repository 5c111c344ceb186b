"""The detector's rules, by stable name (each name is a key of BANK_MONITORING)."""

from __future__ import annotations

from security.monitoring.rules.access import (
    AuthorizationFailureBurst,
    ForeignIdEnumeration,
    RevokedTokenUse,
)
from security.monitoring.rules.base import Finding, Measure, Rule, Subject
from security.monitoring.rules.certificates import NewClientCertificate
from security.monitoring.rules.login import CredentialStuffing
from security.monitoring.rules.volume import CallVolumeSpike

revoked_token_use = RevokedTokenUse()

#: Every rule the minute run evaluates, in this order.
WINDOWED_RULES: tuple[Rule, ...] = (
    AuthorizationFailureBurst(),
    ForeignIdEnumeration(),
    CredentialStuffing(),
    CallVolumeSpike(),
    NewClientCertificate(),
    # The backstop of the inline check (detector.audit_event_inline_check).
    revoked_token_use,
)
RULE_NAMES = tuple(rule.name for rule in WINDOWED_RULES)

__all__ = ["RULE_NAMES", "WINDOWED_RULES", "Finding", "Measure", "Rule", "Subject",
           "revoked_token_use"]
