"""The audit trail: its events, hash-chained once sealed (security/audit_chain.py), and the
keys of that chain (wrapped by the key manager)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One security-relevant act: who did what to what, with which outcome."""

    class ActorType(models.TextChoices):
        CUSTOMER = "customer"
        STAFF = "staff"
        CLIENT = "client"
        SYSTEM = "system"
        ANONYMOUS = "anonymous"

    class Outcome(models.TextChoices):
        SUCCESS = "success"
        FAILURE = "failure"
        DENIED = "denied"

    # Set by audit_record (not auto_now_add): an event written again after its request's
    # rollback keeps the time it happened (security/audit.py).
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    event_type = models.CharField(max_length=64, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    # Pseudonymous references (ids, never names, emails or account numbers).
    actor_id = models.CharField(max_length=128, blank=True)
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=128, blank=True)
    interaction_id = models.CharField(max_length=36, blank=True, db_index=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    #: The data recipient's software product (Register ID) and the arrangement (row key) the
    #: act was about, when there is one.
    software_product_id = models.CharField(max_length=100, blank=True, db_index=True)
    arrangement_id = models.CharField(max_length=32, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    # The chain, written once by the sealer (audit_chain.py) and never again: position,
    # the previous event's hash, this event's HMAC-SHA256 and the key that made it.
    seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, editable=False)
    chain_key = models.CharField(max_length=40, blank=True, editable=False)
    sealed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        permissions = [("verify_audit_chain", "Can see and run the audit chain verification")]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            # The detector's windows: one event type over the last minutes.
            models.Index(fields=["event_type", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.event_type} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Audit events are append-only.")


class AuditChainKey(models.Model):
    """An HMAC key of the audit chain, wrapped by a key-encryption key in the key manager
    (the HSM in production): the database alone cannot recompute a hash."""

    label = models.CharField(max_length=40, unique=True)
    kek_label = models.CharField(max_length=64)
    wrapped = models.BinaryField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["active"], condition=models.Q(active=True),
                                               name="audit_chain_key_one_active")]

    def __str__(self) -> str:
        return f"Audit chain key {self.label}"


class ConfigSnapshot(models.Model):
    """The security-relevant configuration a component (web listener, worker, beat) last
    started with: non-secret values, and keyed digests of secrets, never a secret itself.
    security/config_audit.py compares each start with it to name what changed."""

    component = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=64)
    #: {"SETTING.path": value} for non-secret settings; secrets as "set" / "not set".
    values = models.JSONField(default=dict)
    #: {"SETTING.path": HMAC under SECRET_KEY} for secrets (a change shows, the value never).
    secret_digests = models.JSONField(default=dict)
    #: The CONFIG_LOADED event of that start (an id, not a foreign key to the audit trail).
    event_id = models.BigIntegerField(null=True)
    recorded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Configuration of {self.component}"


class AuditArchive(models.Model):
    """One stretch of the chain that aged out: archived, verified, then deleted.

    Written in the same transaction as the deletion (on PostgreSQL by the security-definer
    function bank_audit_purge, which the app's role may call but not imitate: the role can
    only read this table). `audit verify` starts the remaining chain from the newest one:
    its `last_hash` is the link the first remaining event must point at.
    """

    name = models.CharField(max_length=120, unique=True)
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField(unique=True)
    events = models.IntegerField()
    #: The link before the first archived event, and the last archived event's hash.
    prev_hash = models.CharField(max_length=64)
    last_hash = models.CharField(max_length=64)
    #: SHA-256 of the stored (compressed) archive.
    sha256 = models.CharField(max_length=64)
    #: HMAC over this record (security/audit_retention.py archive_record_mac) with a key
    #: derived from chain key `key`: a row written by hand (to hide a cut-off start of the
    #: chain) does not verify.
    key = models.CharField(max_length=40, default="")
    mac = models.CharField(max_length=64, default="")
    purged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["last_seq"]

    def __str__(self) -> str:
        return f"{self.name} (seq {self.first_seq}-{self.last_seq})"
