"""`manage.py audit seal | verify [--expect-head SEQ:HASH] | retention [--dry-run] |
verify-archive NAME | read-archive NAME | grant-app-role ROLE`."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from security.audit_chain import audit_seal, audit_verify

_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_CHAIN_COLUMNS = "seq, prev_hash, chain_hash, chain_key, sealed_at"


class Command(BaseCommand):
    help = "Seal and verify the audit trail's hash chain; restrict the app's database role."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("seal", help="seal every committed unsealed event now")
        verify = sub.add_parser("verify", help="check the whole chain; name the first break")
        verify.add_argument("--expect-head", metavar="SEQ:HASH",
                            help="an anchor from the logs: this event must still be in the chain")
        verify.add_argument("--archives", action="store_true",
                            help="also read back and verify every retention archive")
        retention = sub.add_parser(
            "retention", help="archive, verify and delete the events past retention")
        retention.add_argument("--dry-run", action="store_true",
                               help="only say which stretch is due")
        for name, text in (("verify-archive", "check an archive's manifest, digest and chain"),
                           ("read-archive", "print an archive's events as JSON lines")):
            sub.add_parser(name, help=text).add_argument("name")
        grant = sub.add_parser(
            "grant-app-role",
            help="PostgreSQL: let ROLE insert and read audit events, seal them, nothing else")
        grant.add_argument("role")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "seal":
            total = 0
            while sealed := audit_seal():
                total += sealed
            self.stdout.write(f"sealed {total} event(s)")
        elif action == "verify":
            self._verify(options.get("expect_head"), archives=options.get("archives", False))
        elif action in ("retention", "verify-archive", "read-archive"):
            self._retention(action, options)
        else:
            self._grant(options["role"])

    def _verify(self, expect: str | None, *, archives: bool = False) -> None:
        anchor = None
        if expect:
            seq, _, digest = expect.partition(":")
            if not seq.isdigit() or not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise CommandError("--expect-head is SEQ:HASH (the hash in hex).")
            anchor = (int(seq), digest)
        result = audit_verify(expect_head=anchor, archives=archives)
        head = f"seq {result.head[0]} {result.head[1]}" if result.head else "none"
        if not result.ok:
            for found in result.breaks[1:]:
                self.stderr.write(f"also broken at {found.at}: {found.problem}")
            raise CommandError(f"audit chain BROKEN at {result.broken_at}: {result.problem} "
                               f"({len(result.breaks)} broken link(s); {result.checked} "
                               "event(s) verified)")
        self.stdout.write(f"audit chain OK: {result.checked} event(s) verified, head {head}, "
                          f"{result.unsealed} not sealed yet")

    def _retention(self, action: str, options: dict[str, Any]) -> None:
        import json

        from security import audit_retention

        try:
            if action == "retention":
                for manifest in audit_retention.audit_retention_run(dry_run=options["dry_run"]):
                    verb = "due" if options["dry_run"] else "archived and deleted"
                    self.stdout.write(f"{manifest['name']}: seq {manifest['first_seq']}-"
                                      f"{manifest['last_seq']} {verb}")
            elif action == "verify-archive":
                manifest = audit_retention.audit_archive_verify(options["name"])
                self.stdout.write(f"{manifest['name']}: OK, {manifest['events']} event(s), "
                                  f"seq {manifest['first_seq']}-{manifest['last_seq']}")
            else:
                for record in audit_retention.audit_archive_read(options["name"]):
                    self.stdout.write(json.dumps(record, sort_keys=True))
        except audit_retention.ArchiveError as exc:
            raise CommandError(str(exc)) from exc

    def _grant(self, role: str) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL feature.")
        if not _ROLE.fullmatch(role):
            raise CommandError("A role name is lower-case letters, digits and underscores.")
        quoted = connection.ops.quote_name(role)
        # One transaction: the migration step re-runs this on every release while the previous
        # release serves as ROLE, and a REVOKE committed before its GRANT would refuse that
        # release's audit inserts for a moment.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"REVOKE ALL ON security_auditevent FROM {quoted}")
            cursor.execute(f"GRANT SELECT, INSERT ON security_auditevent TO {quoted}")
            cursor.execute(f"GRANT UPDATE ({_CHAIN_COLUMNS}) ON security_auditevent TO {quoted}")
            cursor.execute(
                f"REVOKE ALL ON SEQUENCE security_auditevent_id_seq FROM {quoted}")
            cursor.execute(
                f"GRANT USAGE ON SEQUENCE security_auditevent_id_seq TO {quoted}")
            # The chain's keys: read and add, never change or remove.
            cursor.execute(f"REVOKE ALL ON security_auditchainkey FROM {quoted}")
            cursor.execute(f"GRANT SELECT, INSERT ON security_auditchainkey TO {quoted}")
            cursor.execute(
                f"REVOKE ALL ON SEQUENCE security_auditchainkey_id_seq FROM {quoted}")
            cursor.execute(
                f"GRANT USAGE ON SEQUENCE security_auditchainkey_id_seq TO {quoted}")
            # Retention: only through the security-definer function, which also writes the
            # archive records (migrations/0008); the role reads them.
            cursor.execute(f"REVOKE ALL ON security_auditarchive FROM {quoted}")
            cursor.execute(f"GRANT SELECT ON security_auditarchive TO {quoted}")
            cursor.execute("GRANT EXECUTE ON FUNCTION bank_audit_purge(text, bigint, "
                           f"bigint, text, text, text, text) TO {quoted}")
            # No temporary tables: one cannot then even try to shadow a table a
            # security-definer function uses (migrations/0010 names pg_temp last anyway).
            database = connection.ops.quote_name(connection.settings_dict["NAME"])
            cursor.execute(f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC")
            cursor.execute(f"REVOKE TEMPORARY ON DATABASE {database} FROM {quoted}")
        self.stdout.write(f"{role}: may insert, read and seal audit events and run the "
                          "retention purge; may not change or delete them")
