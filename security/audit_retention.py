"""Retention of the audit trail: what aged out is archived, the archive verified, then the
rows deleted (issue 8; the CDR keeps records six years, rule 9.3; the bank keeps seven).

Each run takes the oldest stretch of the chain whose events are all older than
BANK_AUDIT_RETENTION_DAYS (the chain is only ever cut from its start, never in the middle)
and writes it as one gzip JSON-lines file, every event with its chain columns, plus a
manifest that carries the file's SHA-256 and an HMAC over the manifest. The files go to the
"audit_archive" storage (Django's STORAGES: a folder under var/archive by default; production
points it at object storage with django-storages). The archive is then read back from the
storage and verified (manifest MAC, file digest, every event's chain link) before a single
row is deleted; if anything fails the rows stay and the run stops.

Deleting is `bank_audit_purge` on PostgreSQL (a security-definer function: the app's role
cannot delete audit rows itself, migrations/0008); on SQLite the same checks run here. Both
record the stretch in AuditArchive, from which `audit verify` anchors the rest of the chain.

The manifest's key is derived from the chain key (HMAC(chain key, purpose)), so it lives in
the key manager like the chain key and is never the same bytes as the chain's.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from security import audit_chain
from security.audit import Actor, audit_record
from security.models import AuditArchive, AuditEvent

logger = logging.getLogger("bank.audit")

STORAGE_ALIAS = "audit_archive"
AUDIT_EVENTS_ARCHIVED = "AUDIT_EVENTS_ARCHIVED"
#: The CDR's six years (and leap days): no configuration may keep less (checks.py, and the
#: database function refuses younger events).
LEGAL_MINIMUM = timedelta(days=2192)
_FIELDS = ("id", "seq", "occurred_at", "event_type", "outcome", "actor_type", "actor_id",
           "subject_type", "subject_id", "interaction_id", "source_ip", "software_product_id",
           "arrangement_id", "detail", "prev_hash", "chain_hash", "chain_key", "sealed_at")


class ArchiveError(Exception):
    """An archive that cannot be trusted: its rows are not deleted."""


def archive_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def retention_period() -> timedelta:
    return timedelta(days=settings.BANK_AUDIT_RETENTION_DAYS)


def _manifest_key(label: str) -> bytes:
    return hmac.new(audit_chain.chain_key(label), b"bank-audit-archive-manifest-v1",
                    hashlib.sha256).digest()


def _manifest_mac(manifest: dict[str, Any]) -> str:
    body = {k: v for k, v in manifest.items() if k != "mac"}
    payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(_manifest_key(body["key"]), payload, hashlib.sha256).hexdigest()


#: The archive record's fields its MAC covers, in order.
_ARCHIVE_FIELDS = ("name", "first_seq", "last_seq", "events", "prev_hash", "last_hash",
                   "sha256")


def archive_record_mac(label: str, values: dict[str, Any]) -> str:
    """The MAC of an AuditArchive row (or of a manifest's same fields)."""
    payload = json.dumps([label, *(values[name] for name in _ARCHIVE_FIELDS)],
                         separators=(",", ":")).encode()
    return hmac.new(_manifest_key(label), b"record:" + payload, hashlib.sha256).hexdigest()


def _record(event: AuditEvent) -> dict[str, Any]:
    record = {name: getattr(event, name) for name in _FIELDS}
    for name in ("occurred_at", "sealed_at"):
        if record[name] is not None:
            record[name] = record[name].astimezone(UTC).isoformat(timespec="microseconds")
    return record


def _event(record: dict[str, Any]) -> AuditEvent:
    values = dict(record)
    values["occurred_at"] = parse_datetime(values["occurred_at"])
    values["sealed_at"] = parse_datetime(values["sealed_at"]) if values["sealed_at"] else None
    return AuditEvent(**values)


@dataclass(frozen=True)
class Stretch:
    first: int
    last: int


def due_stretch(*, now: datetime | None = None, batch: int | None = None) -> Stretch | None:
    """The oldest run of sealed events that are all past retention (at most `batch`)."""
    cutoff = (now or timezone.now()) - retention_period()
    sealed = AuditEvent.objects.filter(seq__isnull=False)
    first = sealed.order_by("seq").values_list("seq", flat=True).first()
    if first is None:
        return None
    younger = (sealed.filter(occurred_at__gte=cutoff).order_by("seq")
               .values_list("seq", flat=True).first())
    last = younger - 1 if younger is not None else sealed.order_by("-seq").values_list(
        "seq", flat=True).first()
    if last is None or last < first:
        return None
    return Stretch(first, min(last, first + (batch or settings.BANK_AUDIT_ARCHIVE_BATCH) - 1))


def archive_name(stretch: Stretch) -> str:
    return f"audit-{stretch.first:012d}-{stretch.last:012d}.jsonl.gz"


def audit_archive_write(stretch: Stretch) -> dict[str, Any]:
    """Write the stretch's events and its signed manifest to the archive storage."""
    if AuditArchive.objects.filter(name=archive_name(stretch)).exists():
        # The chain restarted under an old name: never overwrite the only copy of history.
        raise ArchiveError(f"{archive_name(stretch)} was archived already: not overwriting")
    buffer = io.BytesIO()
    count, prev_hash, last_hash = 0, "", ""
    # mtime=0: the same stretch always makes the same bytes (a re-run after a crash).
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as archive:
        events = (AuditEvent.objects.filter(seq__range=(stretch.first, stretch.last))
                  .order_by("seq").iterator(chunk_size=2000))
        for event in events:
            if count == 0:
                prev_hash = event.prev_hash
            archive.write(json.dumps(_record(event), sort_keys=True, ensure_ascii=False,
                                     default=str).encode() + b"\n")
            count, last_hash = count + 1, event.chain_hash
    if count != stretch.last - stretch.first + 1:
        raise ArchiveError(f"seq {stretch.first}-{stretch.last} has gaps: not archiving")
    data = buffer.getvalue()
    label, _ = audit_chain.chain_key_active()
    manifest: dict[str, Any] = {
        "format": "bank-audit-archive/1", "name": archive_name(stretch),
        "first_seq": stretch.first, "last_seq": stretch.last, "events": count,
        "prev_hash": prev_hash, "last_hash": last_hash,
        "sha256": hashlib.sha256(data).hexdigest(), "key": label,
        "created_at": timezone.now().astimezone(UTC).isoformat(),
    }
    manifest["mac"] = _manifest_mac(manifest)
    storage = archive_storage()
    for name, content in ((manifest["name"], data),
                          (manifest["name"] + ".manifest.json",
                           json.dumps(manifest, indent=1, sort_keys=True).encode())):
        if storage.exists(name):
            storage.delete(name)  # a run that stopped before deleting: write it again
        storage.save(name, ContentFile(content))
    return manifest


def _read(name: str) -> bytes:
    with archive_storage().open(name, "rb") as handle:
        return handle.read()


def archive_manifest(name: str) -> dict[str, Any]:
    manifest = json.loads(_read(name + ".manifest.json"))
    try:
        expected = _manifest_mac(manifest)
    except Exception as exc:
        raise ArchiveError(f"{name}: the manifest's key is unknown") from exc
    if not hmac.compare_digest(expected, str(manifest.get("mac", ""))):
        raise ArchiveError(f"{name}: the manifest's MAC does not verify")
    return manifest


def audit_archive_read(name: str) -> Iterator[dict[str, Any]]:
    """The archived events, oldest first, after checking the manifest and the file digest
    (each event's link is checked by audit_archive_verify)."""
    manifest = archive_manifest(name)
    data = _read(name)
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), manifest["sha256"]):
        raise ArchiveError(f"{name}: the file does not match its manifest's digest")
    for line in gzip.decompress(data).splitlines():
        yield json.loads(line)


def audit_archive_verify(name: str) -> dict[str, Any]:
    """Check an archive end to end; its manifest if every event's chain link verifies and,
    once purged, it is the archive its database record describes."""
    manifest = archive_manifest(name)
    if manifest.get("name") != name:
        raise ArchiveError(f"{name}: the manifest is another archive's ({manifest.get('name')})")
    purged = AuditArchive.objects.filter(name=name).first()
    if purged is not None and any(
            str(getattr(purged, field)) != str(manifest[field]) for field in _ARCHIVE_FIELDS):
        raise ArchiveError(f"{name}: the archive is not the one its record describes")
    seq, prev_hash, count = manifest["first_seq"], manifest["prev_hash"], 0
    for record in audit_archive_read(name):
        event = _event(record)
        if event.seq != seq or event.prev_hash != prev_hash:
            raise ArchiveError(f"{name}: the chain breaks at seq {seq}")
        link = audit_chain.chain_link(event, seq=seq, prev_hash=prev_hash)
        if not hmac.compare_digest(link, event.chain_hash):
            raise ArchiveError(f"{name}: event seq {seq} was changed (hash mismatch)")
        seq, prev_hash, count = seq + 1, event.chain_hash, count + 1
    if count != manifest["events"] or prev_hash != manifest["last_hash"]:
        raise ArchiveError(f"{name}: the archive ends early or late")
    return manifest


def _purge(manifest: dict[str, Any]) -> int:
    args = (manifest["name"], manifest["first_seq"], manifest["last_seq"],
            manifest["last_hash"], manifest["sha256"], manifest["key"],
            archive_record_mac(manifest["key"], manifest))
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT bank_audit_purge(%s, %s, %s, %s, %s, %s, %s)", list(args))
            return int(cursor.fetchone()[0])
    return _purge_here(*args)


def _purge_here(name: str, first: int, last: int, last_hash: str, sha256: str, key: str,
                mac: str) -> int:
    """What bank_audit_purge does, for SQLite (the embedded bank has no roles)."""
    with transaction.atomic():
        rows = AuditEvent.objects.filter(seq__range=(first, last))
        lowest = (AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
                  .values_list("seq", flat=True).first())
        stats = list(rows.order_by("seq").values_list("seq", "occurred_at", "prev_hash",
                                                       "chain_hash"))
        if lowest != first or len(stats) != last - first + 1:
            raise ArchiveError("audit purge refused: not the oldest stretch, or it has gaps")
        if max(row[1] for row in stats) >= timezone.now() - LEGAL_MINIMUM:
            raise ArchiveError("audit purge refused: events younger than the legal minimum")
        if stats[-1][3] != last_hash:
            raise ArchiveError("audit purge refused: the archive does not end where the "
                               "chain does")
        AuditArchive.objects.create(name=name, first_seq=first, last_seq=last,
                                    events=len(stats), prev_hash=stats[0][2],
                                    last_hash=last_hash, sha256=sha256, key=key, mac=mac)
        rows.delete()
    return len(stats)


def audit_retention_run(*, now: datetime | None = None, dry_run: bool = False,
                        budget_seconds: float | None = None) -> list[dict[str, Any]]:
    """Archive, verify and delete every stretch past retention (or start no new one after
    `budget_seconds`); the manifests written.

    Seals first, so that nothing past retention is left unsealed (and unarchivable).
    """
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    while audit_chain.audit_seal():
        pass
    done: list[dict[str, Any]] = []
    while (stretch := due_stretch(now=now)) is not None:
        if deadline is not None and time.monotonic() > deadline:
            break
        if dry_run:
            return [{"name": archive_name(stretch), "first_seq": stretch.first,
                     "last_seq": stretch.last}]
        manifest = audit_archive_write(stretch)
        audit_archive_verify(manifest["name"])  # read back from the storage
        deleted = _purge(manifest)
        audit_record(
            actor=Actor.system("audit_retention"), event_type=AUDIT_EVENTS_ARCHIVED,
            subject_type="audit_archive", subject_id=manifest["name"],
            detail={"first_seq": manifest["first_seq"], "last_seq": manifest["last_seq"],
                    "events": deleted, "last_hash": manifest["last_hash"],
                    "sha256": manifest["sha256"]},
        )
        logger.info("audit events archived and deleted", extra={
            "event": "audit.archived", "archive": manifest["name"], "events": deleted,
            "first_seq": manifest["first_seq"], "last_seq": manifest["last_seq"],
            "last_hash": manifest["last_hash"]})
        done.append(manifest)
    return done
