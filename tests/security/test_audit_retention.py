"""Retention on a seeded history: what is due is archived (signed gzip JSON lines), read back
and verified, then deleted, and exactly that; the rest of the chain still verifies from the
archive's anchor; a damaged archive keeps its rows; on PostgreSQL only the security-definer
function can delete, and only old events from the start of the chain."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from security import audit_retention
from security.audit import Actor, audit_record
from security.audit_chain import audit_seal, audit_verify, chain_keys_forget
from security.audit_retention import (
    ArchiveError,
    audit_archive_read,
    audit_archive_verify,
    audit_retention_run,
)
from security.models import AuditArchive, AuditEvent

YEAR = timedelta(days=365)


@pytest.fixture(autouse=True)
def archive_dir(settings, tmp_path):
    chain_keys_forget()
    settings.STORAGES = {**settings.STORAGES, "audit_archive": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "archive")}}}
    yield tmp_path / "archive"
    chain_keys_forget()


def seed(*ages: timedelta) -> list[int]:
    """Events dated `age` ago, in this order (as if written then), sealed; their ids.

    PostgreSQL dates every insert now (migrations/0004): the history is backdated the way a
    restore would, as the owner with triggers off for the seeding only.
    """
    ids = []
    for n, age in enumerate(ages):
        event = audit_record(actor=Actor.system("seed"), event_type="SEEDED_EVENT",
                             subject_id=n, detail={"n": n})
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = replica")
            cursor.execute("UPDATE security_auditevent SET occurred_at = %s WHERE id = %s",
                           [timezone.now() - age, event.pk])
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = origin")
        ids.append(event.pk)
    assert audit_seal() == len(ages)
    return ids


def remaining() -> list[int]:
    return list(AuditEvent.objects.order_by("seq").values_list("subject_id", flat=True)
                .filter(event_type="SEEDED_EVENT").values_list("subject_id", flat=True))


def test_retention_archives_verifies_and_deletes_exactly_what_is_due(db, archive_dir):
    seed(8 * YEAR, 8 * YEAR, 7 * YEAR + timedelta(days=3), 6 * YEAR + timedelta(days=200),
         YEAR, timedelta(minutes=1))
    originals = {e.seq: e for e in AuditEvent.objects.filter(seq__lte=3)}

    (manifest,) = audit_retention_run()

    assert (manifest["first_seq"], manifest["last_seq"], manifest["events"]) == (1, 3, 3)
    assert sorted(p.name for p in archive_dir.iterdir()) == [
        "audit-000000000001-000000000003.jsonl.gz",
        "audit-000000000001-000000000003.jsonl.gz.manifest.json"]
    # Six and a half years is past the legal minimum but inside the bank's seven: kept.
    assert remaining() == ["3", "4", "5"]
    archive = AuditArchive.objects.get()
    assert (archive.first_seq, archive.last_seq, archive.events) == (1, 3, 3)
    assert archive.last_hash == originals[3].chain_hash
    assert archive.sha256 == hashlib.sha256(
        (archive_dir / manifest["name"]).read_bytes()).hexdigest()

    # Read back: every field of every archived event, as it was.
    records = list(audit_archive_read(manifest["name"]))
    assert [r["seq"] for r in records] == [1, 2, 3]
    for record in records:
        event = originals[record["seq"]]
        assert (record["id"], record["event_type"], record["detail"], record["chain_hash"],
                record["prev_hash"]) == (event.pk, event.event_type, event.detail,
                                         event.chain_hash, event.prev_hash)
        assert record["occurred_at"] == event.occurred_at.isoformat(timespec="microseconds")
    assert audit_archive_verify(manifest["name"])["events"] == 3

    # The purge itself is an audited act.
    (purged,) = AuditEvent.objects.filter(event_type="AUDIT_EVENTS_ARCHIVED")
    assert (purged.actor_type, purged.subject_id) == ("system", manifest["name"])
    assert purged.detail == {"first_seq": 1, "last_seq": 3, "events": 3,
                             "last_hash": archive.last_hash, "sha256": archive.sha256}
    # The rest of the chain verifies from the archive's anchor, and nothing more is due.
    result = audit_verify()
    assert result.ok and result.checked == 3 and result.head[0] == 6
    assert audit_retention_run() == []


def test_the_chain_is_only_cut_from_its_start(db):
    seed(8 * YEAR, 8 * YEAR, YEAR, 8 * YEAR)  # an old event after a young one stays
    (manifest,) = audit_retention_run()
    assert (manifest["first_seq"], manifest["last_seq"]) == (1, 2)
    assert remaining() == ["2", "3"]
    assert audit_verify().ok


def test_batches_make_one_archive_each_and_they_chain(db, settings):
    settings.BANK_AUDIT_ARCHIVE_BATCH = 2
    seed(*(8 * YEAR for _ in range(5)))
    manifests = audit_retention_run()
    assert [(m["first_seq"], m["last_seq"]) for m in manifests] == [(1, 2), (3, 4), (5, 5)]
    assert manifests[1]["prev_hash"] == manifests[0]["last_hash"]
    assert AuditArchive.objects.count() == 3 and remaining() == []
    assert audit_verify().ok


def test_a_damaged_archive_keeps_its_rows(db, monkeypatch):
    seed(8 * YEAR, 8 * YEAR)
    real_read = audit_retention._read

    def damaged(name):
        data = real_read(name)
        return data if name.endswith(".json") else data[:-3] + b"xyz"

    monkeypatch.setattr(audit_retention, "_read", damaged)
    with pytest.raises(ArchiveError, match="digest"):
        audit_retention_run()
    assert remaining() == ["0", "1"] and not AuditArchive.objects.exists()


def _rewrite(archive_dir, name, change_events=None, change_manifest=None, resign=False):
    path, manifest_path = archive_dir / name, archive_dir / (name + ".manifest.json")
    manifest = json.loads(manifest_path.read_text())
    if change_events:
        lines = [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
        change_events(lines)
        data = gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in lines))
        path.write_bytes(data)
        manifest["sha256"] = hashlib.sha256(data).hexdigest()
    if change_manifest:
        change_manifest(manifest)
    if resign:  # as an insider holding the key could; the chain links still give it away
        manifest["mac"] = audit_retention._manifest_mac(manifest)
    manifest_path.write_text(json.dumps(manifest))


def test_archive_verification_finds_an_edited_event_a_forged_manifest_and_a_cut(
        db, archive_dir):
    seed(8 * YEAR, 8 * YEAR, 8 * YEAR)
    (manifest,) = audit_retention_run()
    name = manifest["name"]

    _rewrite(archive_dir, name, change_manifest=lambda m: m.update(events=2))
    with pytest.raises(ArchiveError, match="MAC"):
        audit_archive_verify(name)
    _rewrite(archive_dir, name, change_manifest=lambda m: m.update(events=3), resign=True)
    assert audit_archive_verify(name)["events"] == 3

    def edit(lines):
        lines[1]["detail"] = {"n": 99}

    _rewrite(archive_dir, name, change_events=edit, resign=True)
    # The file no longer has the digest its database record kept...
    with pytest.raises(ArchiveError, match="not the one its record describes"):
        audit_archive_verify(name)
    # ...and with the record changed too, the edited event's own link gives it away.
    new_digest = json.loads((archive_dir / (name + ".manifest.json")).read_text())["sha256"]
    AuditArchive.objects.filter(name=name).update(sha256=new_digest)
    with pytest.raises(ArchiveError, match="seq 2 was changed"):
        audit_archive_verify(name)
    with pytest.raises(CommandError, match="seq 2 was changed"):
        call_command("audit", "verify-archive", name, stdout=io.StringIO())


def test_a_deleted_archive_record_breaks_the_chain(db):
    seed(8 * YEAR, 8 * YEAR, YEAR)
    audit_retention_run()
    AuditArchive.objects.all().delete()  # on PostgreSQL the app's role cannot
    result = audit_verify()
    assert not result.ok and "jumps from 0 to 3" in result.problem


def test_manage_audit_retention_and_read_archive(db):
    seed(8 * YEAR, YEAR)
    out = io.StringIO()
    call_command("audit", "retention", "--dry-run", stdout=out)
    assert "seq 1-1 due" in out.getvalue() and remaining() == ["0", "1"]
    call_command("audit", "retention", stdout=out)
    assert "seq 1-1 archived and deleted" in out.getvalue() and remaining() == ["1"]
    read = io.StringIO()
    call_command("audit", "read-archive", "audit-000000000001-000000000001.jsonl.gz",
                 stdout=read)
    (line,) = read.getvalue().splitlines()
    assert json.loads(line)["detail"] == {"n": 0}


def test_retention_below_the_legal_minimum_is_refused_at_start_up(settings):
    from security.checks import check_audit_retention

    settings.BANK_AUDIT_RETENTION_DAYS = 365
    assert [e.id for e in check_audit_retention(None)] == ["bank.E030"]
    settings.BANK_AUDIT_RETENTION_DAYS = 7 * 365
    assert check_audit_retention(None) == []


def test_the_retention_task_stops_in_time_and_queues_the_rest(db, settings, monkeypatch):
    import itertools
    from types import SimpleNamespace

    from security.tasks import audit_retention_task

    settings.BANK_AUDIT_ARCHIVE_BATCH = 1
    seed(8 * YEAR, 8 * YEAR, 8 * YEAR, YEAR)
    # Each run: its start, a first stretch in time, then the clock is past its minute.
    clock = itertools.cycle([0.0, 0.0, 1000.0])
    monkeypatch.setattr(audit_retention, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    assert audit_retention_task.delay().get() == 1  # one stretch, then the next run queued
    assert AuditArchive.objects.count() == 3 and remaining() == ["3"]


# --- PostgreSQL: only the security-definer function deletes, and only what is due ----------

@pytest.fixture
def app_role(db):
    role = f"bank_app_test_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
    call_command("audit", "grant-app-role", role, stdout=io.StringIO())
    yield role
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        for table in ("security_auditevent", "security_auditchainkey"):
            cursor.execute(f"REVOKE ALL ON {table} FROM {role}")
            cursor.execute(f"REVOKE ALL ON SEQUENCE {table}_id_seq FROM {role}")
        cursor.execute(f"REVOKE ALL ON security_auditarchive FROM {role}")
        cursor.execute("REVOKE ALL ON FUNCTION bank_audit_purge(text, bigint, bigint, text, "
                       f"text, text, text) FROM {role}")
        cursor.execute(f"REVOKE ALL ON DATABASE {connection.settings_dict['NAME']} FROM {role}")
        cursor.execute(f"DROP ROLE {role}")


def _as_role(role, sql, params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def _hash(seq):
    return AuditEvent.objects.get(seq=seq).chain_hash


@pytest.mark.postgres
def test_the_apps_role_purges_only_through_the_function_and_only_what_is_due(db, app_role):
    seed(8 * YEAR, 8 * YEAR, 8 * YEAR, 6 * YEAR - timedelta(days=30))
    purge = "SELECT bank_audit_purge(%s, %s, %s, %s, %s, 'k', 'm')"
    # Not by hand, even setting the function's flag itself.
    with pytest.raises(Exception, match="permission denied"):
        _as_role(app_role, "SELECT set_config('bank.audit_purge', 'on', true); "
                 "DELETE FROM security_auditevent WHERE seq = 1", [])
    with pytest.raises(Exception, match="permission denied"):
        _as_role(app_role, "INSERT INTO security_auditarchive (name, first_seq, last_seq, "
                 "events, prev_hash, last_hash, sha256, purged_at) VALUES "
                 "('fake', 1, 3, 3, '', '', '', now())", [])
    # Not a stretch from the middle, not one with a wrong end, not younger than six years.
    for args, problem in (((2, 3, _hash(3)), "oldest stretch"),
                          ((1, 2, "0" * 64), "does not end where"),
                          ((1, 4, _hash(4)), "younger than the legal minimum")):
        with pytest.raises(Exception, match=problem):
            _as_role(app_role, purge, ["a", *args, "digest"])
    assert AuditEvent.objects.filter(event_type="SEEDED_EVENT").count() == 4
    # The due stretch, through the function: deleted and recorded.
    assert _as_role(app_role, purge, ["a", 1, 3, _hash(3), "digest"]) == [(3,)]
    assert remaining() == ["3"]
    assert AuditArchive.objects.get().last_seq == 3
    # Called by hand, without an archive and the key to sign its record: verify says so.
    result = audit_verify()
    assert not result.ok and result.breaks[0].at == "archive a"


@pytest.mark.postgres
def test_retention_runs_under_the_apps_role(db, app_role):
    seed(8 * YEAR, YEAR)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {app_role}")
        (manifest,) = audit_retention_run()
        cursor.execute("RESET ROLE")
    assert manifest["last_seq"] == 1 and remaining() == ["1"]


def test_a_hand_written_archive_record_does_not_hide_a_cut_off_start(db):
    seed(8 * YEAR, 8 * YEAR, YEAR)
    head = AuditEvent.objects.get(seq=2)
    # Someone with the database (not the key) deletes the start and writes a matching record.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM security_auditevent WHERE seq <= 2")
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")
    AuditArchive.objects.create(name="audit-000000000001-000000000002.jsonl.gz", first_seq=1,
                                last_seq=2, events=2, prev_hash="0" * 64,
                                last_hash=head.chain_hash, sha256="0" * 64, key="", mac="")
    result = audit_verify()
    assert not result.ok
    assert result.breaks[0].at == "archive audit-000000000001-000000000002.jsonl.gz"
    assert "MAC" in result.problem or "key" in result.problem


def test_verify_with_archives_reads_each_archive_back(db, archive_dir):
    seed(8 * YEAR, YEAR)
    (manifest,) = audit_retention_run()
    assert audit_verify(archives=True).ok
    (archive_dir / manifest["name"]).unlink()
    result = audit_verify(archives=True)
    assert not result.ok and "its archive does not verify" in result.problem
    assert audit_verify().ok  # without reading the files the records still chain
    with pytest.raises(CommandError, match="does not verify"):
        call_command("audit", "verify", "--archives", stdout=io.StringIO())


def test_an_archive_under_another_name_is_refused(db, archive_dir, settings):
    settings.BANK_AUDIT_ARCHIVE_BATCH = 1
    seed(8 * YEAR, 8 * YEAR)
    first, second = audit_retention_run()
    for suffix in ("", ".manifest.json"):
        (archive_dir / (second["name"] + suffix)).write_bytes(
            (archive_dir / (first["name"] + suffix)).read_bytes())
    with pytest.raises(ArchiveError, match="another archive's"):
        audit_archive_verify(second["name"])


def test_after_everything_was_archived_the_chain_goes_on_from_the_archive(db, archive_dir):
    seed(8 * YEAR, 8 * YEAR)
    (manifest,) = audit_retention_run()
    # The retention run's own event is the only one left; new events follow it.
    audit_record(actor=Actor.system("test"), event_type="LATER_EVENT")
    audit_seal()
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == [3, 4]
    assert audit_verify().ok
    # A stretch can never be archived twice under one name (the old file is the only copy).
    AuditArchive.objects.filter(name=manifest["name"]).update(first_seq=3)
    from security.audit_retention import Stretch, audit_archive_write

    with pytest.raises(ArchiveError, match="archived already"):
        audit_archive_write(Stretch(1, 2))


@pytest.mark.postgres
def test_a_temporary_table_cannot_shadow_the_trail_inside_the_purge_function(db, app_role):
    seed(8 * YEAR, 8 * YEAR, YEAR)
    # The app's role may not create temporary tables at all...
    with pytest.raises(Exception, match="permission denied"):
        _as_role(app_role, "CREATE TEMP TABLE security_auditevent (seq bigint)", [])
    # ...and a role that may still finds the function reads the real table: the shadow's
    # trigger never runs as the function's owner, and a young stretch stays.
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT TEMPORARY ON DATABASE {connection.settings_dict['NAME']} "
                       f"TO {app_role}")
    statements = [
        "CREATE TEMP TABLE security_auditevent (LIKE public.security_auditevent)",
        "INSERT INTO security_auditevent SELECT * FROM public.security_auditevent",
        "UPDATE security_auditevent SET occurred_at = now() - interval '20 years'",
        "CREATE FUNCTION pg_temp.shadowed() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN DELETE FROM public.security_auditevent; RETURN NULL; END $$",
        "CREATE TRIGGER shadow AFTER INSERT ON pg_temp.security_auditevent "
        "FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.shadowed()",
    ]
    with pytest.raises(Exception, match="younger than the legal minimum"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {app_role}")
        for sql in statements:
            cursor.execute(sql)
        cursor.execute("SELECT bank_audit_purge(%s, 1, 3, %s, 'x', 'k', 'm')",
                       ["audit-x", _hash(3)])
    assert AuditEvent.objects.filter(event_type="SEEDED_EVENT").count() == 3
