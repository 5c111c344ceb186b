"""The audit trail's hash chain: every event sealed into one sequence, each link an
HMAC-SHA256 over the event and the previous link, with a key wrapped by the key manager.

Events are written by `audit_record` like any row (in the business transaction, or on their
own); the sealer then gives each committed event, in id order, its place (`seq`), the previous
event's hash and its own. Sealing runs after every request that wrote an event
(AuditSealMiddleware), every minute from Celery beat, and on `manage.py audit seal`, so an
event stays unsealed for at most a minute. Sealing after commit, rather than at insert, keeps
the chain out of the business transactions: no request waits on another's audit lock, and a
rolled-back event never takes a place in the chain.

`audit_verify` walks the chain and names the first broken link: an edited event (its hash no
longer matches), a deleted one (the next event's `prev_hash` points at nothing), an inserted
one (its hash cannot be made without the key), a reordered one. What the chain cannot show
by itself: the newest events being cut off together with their hashes; every event's hash is
also in its log line (the SIEM), and `audit verify --expect-head SEQ:HASH` checks an anchor
taken from there. On PostgreSQL the table also refuses updates and deletes
(migrations/0003_audit_append_only.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from security.kms import key_manager
from security.models import AuditArchive, AuditChainKey, AuditEvent

logger = logging.getLogger("bank.audit")

#: The link before the first event.
GENESIS = "0" * 64
#: pg_try_advisory_xact_lock key: one sealer at a time across every process.
_SEAL_LOCK = 0x62616E6B_61756469  # "bankaudi"
_keys: dict[str, bytes] = {}
_keys_lock = threading.Lock()


def _aad(label: str) -> bytes:
    return f"bank-audit-chain-key:{label}".encode()


@sensitive_variables()
def _chain_key_active() -> tuple[str, bytes]:
    """The active chain key's label and material, made (and wrapped) on first use."""
    row = AuditChainKey.objects.filter(active=True).first()
    if row is None:
        from security.encryption.keyring import master_kek_label

        if AuditEvent.objects.filter(seq__isnull=False).exists():
            # The chain has a key: its row vanishing is tampering, not a first start. Minting
            # a new one would quietly carry on a chain nobody can verify any more.
            raise RuntimeError("The audit chain's key is missing: not sealing (audit verify).")

        label = "audit-" + secrets.token_hex(6)
        kek = master_kek_label()
        material = secrets.token_bytes(32)
        row = AuditChainKey.objects.create(
            label=label, kek_label=kek,
            wrapped=key_manager().wrap(kek, material, aad=_aad(label)), active=True)
        with _keys_lock:
            _keys[label] = material
    return row.label, _chain_key(row.label)


@sensitive_variables()
def _chain_key(label: str) -> bytes:
    with _keys_lock:
        cached = _keys.get(label)
    if cached is not None:
        return cached
    row = AuditChainKey.objects.get(label=label)
    material = key_manager().unwrap(row.kek_label, bytes(row.wrapped), aad=_aad(label))
    with _keys_lock:
        _keys[label] = material
    return material


def chain_key(label: str) -> bytes:
    """The material of a chain key by label (for audit_retention's derived archive key)."""
    return _chain_key(label)


def chain_key_active() -> tuple[str, bytes]:
    return _chain_key_active()


def chain_link(event: AuditEvent, *, seq: int, prev_hash: str) -> str:
    """An event's link with the key it names (an archived event read back)."""
    return _link(_chain_key(event.chain_key), event, seq=seq, prev_hash=prev_hash)


def chain_keys_forget() -> None:
    with _keys_lock:
        _keys.clear()


def canonical(event: AuditEvent, *, seq: int, prev_hash: str) -> bytes:
    """The bytes an event's hash covers: its place, the previous link and every field."""
    occurred = event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(
        [seq, prev_hash, event.pk, occurred, event.event_type, event.outcome,
         event.actor_type, event.actor_id, event.subject_type, event.subject_id,
         event.interaction_id, event.source_ip, event.software_product_id,
         event.arrangement_id, event.detail],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    ).encode()


def _link(key: bytes, event: AuditEvent, *, seq: int, prev_hash: str) -> str:
    return hmac.new(key, canonical(event, seq=seq, prev_hash=prev_hash),
                    hashlib.sha256).hexdigest()


def audit_seal(*, batch: int = 1000) -> int:
    """Seal the committed unsealed events, oldest first; the number sealed.

    One sealer at a time (an advisory lock on PostgreSQL, the write lock on SQLite); a
    sealer that loses a race seals nothing and leaves the events to the next run.
    """
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SEAL_LOCK])
                    if not cursor.fetchone()[0]:
                        return 0
            pending = list(AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:batch])
            if not pending:
                return 0
            last = (AuditEvent.objects.filter(seq__isnull=False).order_by("-seq")
                    .values_list("seq", "chain_hash").first()
                    # Retention may have archived every sealed event: go on from there.
                    or AuditArchive.objects.order_by("-last_seq")
                    .values_list("last_seq", "last_hash").first())
            seq, prev_hash = (int(last[0] or 0), last[1]) if last is not None else (0, GENESIS)
            label, key = _chain_key_active()
            now = timezone.now()
            for event in pending:
                seq += 1
                link = _link(key, event, seq=seq, prev_hash=prev_hash)
                AuditEvent.objects.filter(pk=event.pk, seq__isnull=True).update(
                    seq=seq, prev_hash=prev_hash, chain_hash=link, chain_key=label,
                    sealed_at=now)
                logger.info("audit sealed", extra={
                    "event": "audit.sealed", "audit_event_id": event.pk, "seq": seq,
                    "chain_hash": link})
                prev_hash = link
            return len(pending)
    except IntegrityError:  # another sealer took the same places first
        return 0
    except OperationalError:
        if connection.vendor == "sqlite":  # another sealer holds SQLite's write lock
            return 0
        raise


@dataclass(frozen=True)
class Break:
    #: Where: the seq (and event id) of the broken link.
    at: str
    problem: str


@dataclass(frozen=True)
class Verification:
    checked: int
    unsealed: int
    head: tuple[int, str] | None = None
    #: Every broken link found (at most MAX_BREAKS), in chain order.
    breaks: tuple[Break, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def broken_at(self) -> str:
        return self.breaks[0].at if self.breaks else ""

    @property
    def problem(self) -> str:
        return self.breaks[0].problem if self.breaks else ""


#: verify goes on past a break (a planted junk link must not hide what comes after it).
MAX_BREAKS = 50


def _archive_record_problem(archive: AuditArchive, *, expected_seq: int, prev_hash: str,
                            with_file: bool) -> str:
    """What is wrong with an archive record, if anything ('' if nothing)."""
    from security import audit_retention

    if archive.first_seq != expected_seq or archive.prev_hash != prev_hash:
        return "the archived stretches do not follow each other"
    try:
        expected = audit_retention.archive_record_mac(archive.key, archive.__dict__)
    except Exception:
        return "its record's key cannot be unwrapped by the key manager"
    if not hmac.compare_digest(expected, archive.mac):
        return "its record was not written by the retention job (MAC mismatch)"
    if with_file:
        try:
            audit_retention.audit_archive_verify(archive.name)
        except Exception as exc:  # missing, unreadable or damaged: all a break
            return f"its archive does not verify: {exc}"
    return ""


def audit_verify(*, expect_head: tuple[int, str] | None = None,
                 archives: bool = False) -> Verification:
    """Walk the whole chain in order; report every broken link (up to MAX_BREAKS).

    After a break the walk re-synchronises on the event it stopped at, so a later edit is
    still found; `checked` counts the events whose link verified. `archives` also reads every
    retention archive back from its storage and verifies it against its record.
    """
    checked, prev_hash, expected_seq = 0, GENESIS, 1
    breaks: list[Break] = []
    # Retention cut the chain's start off into archives (security/audit_retention.py): the
    # first remaining event must follow the newest archive, and the archives each other.
    for archive in AuditArchive.objects.order_by("last_seq"):
        problem = _archive_record_problem(archive, expected_seq=expected_seq,
                                          prev_hash=prev_hash, with_file=archives)
        if problem:
            breaks.append(Break(f"archive {archive.name}", problem))
        prev_hash, expected_seq = archive.last_hash, archive.last_seq + 1
    rows = AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000)
    head: tuple[int, str] | None = None
    unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    for event in rows:
        seq = int(event.seq)  # type: ignore[arg-type]
        where = f"seq {seq} (event {event.pk})"
        problem = ""
        if seq != expected_seq:
            where = f"seq {expected_seq}"
            problem = f"missing: the chain jumps from {expected_seq - 1} to {seq}"
        elif event.prev_hash != prev_hash:
            problem = "its previous link does not match the event before it"
        else:
            try:
                key = _chain_key(event.chain_key)
            except AuditChainKey.DoesNotExist:
                problem = "sealed with an unknown key"
            except Exception:  # an unwrap that fails: a damaged or replaced key row
                problem = "its key cannot be unwrapped by the key manager"
            else:
                if not hmac.compare_digest(_link(key, event, seq=seq, prev_hash=prev_hash),
                                           event.chain_hash):
                    problem = "its content or place was changed (hash mismatch)"
        if problem:
            breaks.append(Break(where, problem))
            if len(breaks) >= MAX_BREAKS:
                break
        else:
            checked += 1
        prev_hash, expected_seq, head = event.chain_hash, seq + 1, (seq, event.chain_hash)
    if expect_head is not None and len(breaks) < MAX_BREAKS:
        anchored = AuditEvent.objects.filter(seq=expect_head[0]).values_list(
            "chain_hash", flat=True).first()
        if anchored != expect_head[1]:
            breaks.append(Break(f"seq {expect_head[0]}",
                                "the anchored head is not in the chain (events were cut off)"))
    return Verification(checked, unsealed, head, tuple(breaks))
