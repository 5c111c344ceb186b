"""The one door for audit events (STYLE.md §7): `audit_record(...)`.

Every security-relevant act in any app calls this function. It writes a row and a structured
log line; the row is sealed into the hash chain right after the request (or within a minute:
security/audit_chain.py). Still to come (issue 8): denial events on a connection of their own,
so that they survive the rollback of the request they refuse.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from security.interaction import current_interaction_id, current_principal
from security.models import AuditEvent

logger = logging.getLogger("bank.audit")

Outcome = AuditEvent.Outcome
ActorType = AuditEvent.ActorType

# Event types, `<ENTITY>_<PAST_TENSE>` (STYLE.md §11). Later issues add theirs here.
OUTAGE_CHANGED = "OUTAGE_CHANGED"
SERVICE_STATUS_CHANGED = "SERVICE_STATUS_CHANGED"
DEMO_DATA_SEEDED = "DEMO_DATA_SEEDED"
INPUT_REJECTED = "INPUT_REJECTED"

# Keys that must never reach the trail, whatever a caller passes in `detail`.
_FORBIDDEN_DETAIL_KEYS = frozenset(
    {"password", "token", "access_token", "refresh_token", "secret", "otp", "code",
     "authorization", "cookie", "account_number", "card_number", "client_assertion"}
)


def _forbidden_keys(value: Any) -> set[str]:
    """Secret-looking keys anywhere in a nested detail structure."""
    if isinstance(value, dict):
        found = set(_FORBIDDEN_DETAIL_KEYS.intersection(str(k).lower() for k in value))
        for item in value.values():
            found |= _forbidden_keys(item)
        return found
    if isinstance(value, list | tuple):
        return set().union(*(_forbidden_keys(item) for item in value)) if value else set()
    return set()


@dataclass(frozen=True)
class Actor:
    """Who acted: a type and a pseudonymous id (a primary key, never a name or email)."""

    type: str
    id: str = ""

    @classmethod
    def system(cls, name: str = "") -> Actor:
        return cls(ActorType.SYSTEM, name)


#: Events written during the current request, for AuditSealMiddleware (None outside one).
_written: ContextVar[list[int] | None] = ContextVar("audit_written", default=None)


def audit_request_scope():
    """Start counting this request's events; returns the token for audit_request_end."""
    return _written.set([])


def audit_request_end(token) -> bool:
    """Stop counting; whether the request wrote any event."""
    written = bool(_written.get())
    _written.reset(token)
    return written


def audit_record(
    *,
    actor: Actor,
    event_type: str,
    outcome: str = Outcome.SUCCESS,
    subject_type: str = "",
    subject_id: str | int = "",
    source_ip: str | None = None,
    detail: dict[str, Any] | None = None,
    software_product_id: str = "",
    arrangement_id: str | int = "",
) -> AuditEvent:
    """Append one audit event and log it. `detail` is small, structured and secret-free.

    The software product defaults to the request's client (security/interaction.py).
    """
    detail = dict(detail or {})
    forbidden = _forbidden_keys(detail)
    if forbidden:
        raise ValueError(f"Audit detail must not carry secrets: {sorted(forbidden)}")
    event = AuditEvent(
        event_type=event_type,
        outcome=outcome,
        actor_type=actor.type,
        actor_id=actor.id,
        subject_type=subject_type,
        subject_id=str(subject_id),
        interaction_id=current_interaction_id() or "",
        source_ip=source_ip,
        software_product_id=software_product_id or current_principal().get("client", ""),
        arrangement_id=str(arrangement_id),
        detail=detail,
    )
    event.save()
    written = _written.get()
    if written is not None:
        written.append(event.pk)
    logger.info(
        "audit %s %s",
        event_type,
        outcome,
        extra={
            "audit_event_id": event.pk,
            "event_type": event_type,
            "outcome": outcome,
            "actor_type": actor.type,
            "actor_id": actor.id,
            "subject_type": subject_type,
            "subject_id": str(subject_id),
            "software_product_id": event.software_product_id,
            "arrangement_id": event.arrangement_id,
            "detail": detail,
        },
    )
    return event
