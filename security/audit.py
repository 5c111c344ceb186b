"""The one door for audit events (STYLE.md §7): `audit_record(...)`.

Every security-relevant act in any app calls this function. It writes a row and a structured
log line; the row is sealed into the hash chain right after the request (or within a minute:
security/audit_chain.py).

Events about a refused request survive the request's rollback. With ATOMIC_REQUESTS, DRF's
`set_rollback()` undoes every write of a request that ends in an error, the "access denied"
row included. STYLE.md §7 suggests a second database alias for such events; we do not use
one, because SQLite (the embedded bank) allows one writer at a time: a second connection
writing while the request's transaction holds the lock waits and then fails, and in the
tests two connections cannot see each other's uncommitted rows. Instead, each denial or
failure written during a request is also remembered in memory, and AuditSealMiddleware,
which runs outside the view's transaction, writes back any whose row the rollback took
(marked `rolled_back` in its detail) before it seals. Same code on both databases; success
events stay in the business transaction (committed with what they describe, or not at all).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

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


@dataclass
class _RequestEvents:
    """What the current request wrote: ids (for sealing) and its refusals' own copies."""

    ids: list[int] = field(default_factory=list)
    #: The field values of each denial or failure, kept before it is saved.
    refusals: list[dict[str, Any]] = field(default_factory=list)


#: The current request's events, for AuditSealMiddleware (None outside a request).
_written: ContextVar[_RequestEvents | None] = ContextVar("audit_written", default=None)


def audit_request_scope() -> Token[_RequestEvents | None]:
    """Start keeping this request's events; returns the token for audit_request_end."""
    return _written.set(_RequestEvents())


def audit_request_end(token: Token[_RequestEvents | None]) -> bool:
    """Stop keeping; write back refusals the request's rollback took; whether there is
    anything to seal. Call it outside the request's transaction."""
    events = _written.get()
    _written.reset(token)
    if events is None:
        return False
    restored = _refusals_restore(events.refusals) if events.refusals else 0
    return bool(events.ids) or bool(restored)


def _refusals_restore(refusals: list[dict[str, Any]]) -> int:
    """Write again each refusal whose row is gone (its request rolled back); how many.

    Found by what it says, not by id: on SQLite a rolled-back id is handed out again, so
    another request's event may carry it by now. The time has microseconds and the
    interaction id is the request's own, so no other event matches.
    """
    restored = 0
    for values in refusals:
        if AuditEvent.objects.filter(
                occurred_at=values["occurred_at"], event_type=values["event_type"],
                interaction_id=values["interaction_id"], actor_id=values["actor_id"]).exists():
            continue
        event = AuditEvent(**{**values, "detail": {**values["detail"], "rolled_back": True}})
        event.save()
        restored += 1
        logger.info("audit %s %s restored after rollback", event.event_type, event.outcome,
                    extra={"audit_event_id": event.pk, "event_type": event.event_type})
    return restored


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
    values: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "event_type": event_type,
        "outcome": outcome,
        "actor_type": actor.type,
        "actor_id": actor.id,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "interaction_id": current_interaction_id() or "",
        "source_ip": source_ip,
        "software_product_id": software_product_id or current_principal().get("client", ""),
        "arrangement_id": str(arrangement_id),
        "detail": detail,
    }
    event = AuditEvent(**values)
    request_events = _written.get()
    if outcome != Outcome.SUCCESS and request_events is not None:
        # Kept before saving: if the save or the request's transaction fails, the
        # middleware writes it afterwards, outside that transaction.
        request_events.refusals.append(values)
        if not connection.needs_rollback:  # a doomed transaction can take no more writes
            event.save()
            request_events.ids.append(event.pk)
    else:
        event.save()
        if request_events is not None:
            request_events.ids.append(event.pk)
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
