"""`manage.py keys status|rotate-dek|rotate-kek|retire KEY_ID|check-age`: the key custodian's
tool (security/encryption/rotation.py does the work; every change is audited)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from security import audit
from security.encryption import rotation
from security.encryption.models import DataKey, KeyRotation
from security.kms import key_manager

ACTOR = audit.Actor.system("manage.py keys")


class Command(BaseCommand):
    help = "Show, rotate and retire the encryption keys (data keys and key-encryption keys)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="Keys, their state and age; rotations.")
        status.add_argument("--count-rows", action="store_true",
                            help="Also count the rows each key encrypts (a full scan).")
        rotate = sub.add_parser("rotate-dek", help="New field data key; re-encrypt rows.")
        rotate.add_argument("--background", action="store_true",
                            help="Queue the re-encryption on Celery instead of running it here.")
        rotate.add_argument("--batch", type=int, default=rotation.BATCH)
        resume = sub.add_parser("resume", help="Carry on with unfinished rotations.")
        resume.add_argument("--batch", type=int, default=rotation.BATCH)
        sub.add_parser("rotate-kek", help="Re-wrap every data key under a new KEK.")
        retire = sub.add_parser("retire", help="Delete a rotated-out key no row uses.")
        retire.add_argument("key_id")
        retire.add_argument("--grace-seconds", type=int,
                            default=int(rotation.RETIRE_GRACE.total_seconds()),
                            help="Time since the rotation finished (default: 10 minutes).")
        sub.add_parser("check-age", help="Alert on keys older than BANK_KEY_MAX_AGE_DAYS.")
        retire_kek = sub.add_parser("retire-kek", help="Destroy a KEK no data key uses.")
        retire_kek.add_argument("label")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "status":
                self._status(count_rows=options["count_rows"])
            elif action == "rotate-dek":
                job = rotation.dek_rotate(actor=ACTOR)
                self.stdout.write(f"New data key {job.new_key_id} encrypts new writes; "
                                  f"{job.old_key_id} is now decrypt-only.")
                if options["background"]:
                    from security.encryption.tasks import key_rotation_continue

                    key_rotation_continue.delay(job.pk)
                    self.stdout.write("Re-encryption queued (see `keys status`).")
                else:
                    self._run(job.pk, options["batch"])
            elif action == "resume":
                for job in KeyRotation.objects.filter(state=KeyRotation.State.RUNNING):
                    self._run(job.pk, options["batch"])
            elif action == "rotate-kek":
                label = rotation.kek_rotate(actor=ACTOR)
                self.stdout.write(f"Every data key is now wrapped by {label}; no row changed. "
                                  "The previous KEK stays until `keys retire-kek LABEL`.")
            elif action == "retire-kek":
                rotation.kek_retire(label=options["label"], actor=ACTOR)
                self.stdout.write(f"Destroyed KEK {options['label']}.")
            elif action == "retire":
                rotation.dek_retire(key_id=options["key_id"], actor=ACTOR,
                                    grace=timedelta(seconds=options["grace_seconds"]))
                self.stdout.write(f"Retired {options['key_id']}: its key material is deleted.")
            elif action == "check-age":
                late = rotation.keys_age_check(max_age_days=settings.BANK_KEY_MAX_AGE_DAYS)
                self.stdout.write(f"{len(late)} key(s) past {settings.BANK_KEY_MAX_AGE_DAYS} "
                                  f"days{': ' + ', '.join(late) if late else ''}.")
        except (rotation.KeyInUse, DataKey.DoesNotExist) as exc:
            raise CommandError(str(exc) or "No such key.") from exc

    def _run(self, rotation_id: int, batch: int) -> None:
        steps = 0
        while not rotation.rotation_step(rotation_id, batch=batch):
            steps += 1
            if steps % 50 == 0:
                job = KeyRotation.objects.get(pk=rotation_id)
                self.stdout.write(f"  ... {job.rows_reencrypted:,} rows re-encrypted "
                                  f"(pass {job.passes})")
        job = KeyRotation.objects.get(pk=rotation_id)
        self.stdout.write(self.style.SUCCESS(
            f"Rotation done: {job.rows_reencrypted:,} rows re-encrypted in {job.passes} "
            f"pass(es). `keys retire {job.old_key_id}` deletes the old key."))

    def _status(self, *, count_rows: bool) -> None:
        now = timezone.now()
        manager = key_manager()
        self.stdout.write(f"Key manager: {manager.name}")
        customer_keys = DataKey.objects.filter(purpose=DataKey.Purpose.CUSTOMER)
        self.stdout.write(
            f"Customer keys: {customer_keys.filter(state='ACTIVE').count()} active, "
            f"{customer_keys.filter(state='DESTROYED').count()} destroyed (shredded)")
        for key in DataKey.objects.exclude(purpose=DataKey.Purpose.CUSTOMER).order_by(
                "purpose", "created_at"):
            line = (f"  {key.key_id}  {key.purpose:<12} {key.state:<13} "
                    f"{(now - key.created_at).days:>4} days  KEK {key.kek_label}")
            if count_rows and key.purpose != DataKey.Purpose.BLIND_INDEX:
                line += f"  rows {rotation.rows_using(key.key_id, purpose=key.purpose):,}"
            self.stdout.write(line)
        for job in KeyRotation.objects.all()[:5]:
            self.stdout.write(f"Rotation {job.old_key_id} -> {job.new_key_id}: {job.state}, "
                              f"{job.rows_reencrypted:,} rows, pass {job.passes}, "
                              f"started {job.started_at:%Y-%m-%d %H:%M}")
