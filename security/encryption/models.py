"""Data keys: the only place a DEK is stored, and only wrapped by a KEK of the key manager.

A DEK encrypts field values (AES-256-GCM, security/encryption/keyring.py) or keys blind
indexes (HMAC-SHA256). Each ciphertext names the `key_id` of its DEK, so old and new keys
coexist during a rotation. A customer's personal data has a DEK of its own, wrapped by a KEK
of its own in the key manager: destroying that KEK (crypto-shredding) leaves the customer's
rows unreadable in the live database and in every backup, since no backup holds the KEK.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class DataKey(models.Model):
    class Purpose(models.TextChoices):
        FIELD = "FIELD", "field encryption"
        CUSTOMER = "CUSTOMER", "a customer's personal data"
        BLIND_INDEX = "BLIND_INDEX", "blind index (HMAC)"

    class State(models.TextChoices):
        ACTIVE = "ACTIVE", "encrypts new writes"
        DECRYPT_ONLY = "DECRYPT_ONLY", "rotated out; rows may still use it"
        RETIRED = "RETIRED", "no row uses it; key material deleted"
        DESTROYED = "DESTROYED", "crypto-shredded"

    #: Short, random, public: it appears in every ciphertext the key made.
    key_id = models.CharField(max_length=24, unique=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    #: The customer's row key for CUSTOMER keys (not a foreign key: the key must outlive an
    #: erased customer's row as a record that it was shredded).
    owner = models.UUIDField(null=True, blank=True, db_index=True)
    kek_label = models.CharField(max_length=64)
    wrapped = models.BinaryField(blank=True, default=b"")
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("rotate_keys", "Can start a data key rotation from the console")]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=[
                "ACTIVE", "DECRYPT_ONLY", "RETIRED", "DESTROYED"]), name="datakey_state_valid"),
            models.CheckConstraint(
                condition=Q(purpose="CUSTOMER", owner__isnull=False)
                | (~Q(purpose="CUSTOMER") & Q(owner__isnull=True)),
                name="datakey_owner_iff_customer"),
            # One key encrypts new writes per purpose (and per customer).
            models.UniqueConstraint(
                fields=["purpose"], condition=Q(state="ACTIVE", owner__isnull=True),
                name="datakey_one_active_per_purpose"),
            models.UniqueConstraint(
                fields=["owner"], condition=Q(state="ACTIVE", owner__isnull=False),
                name="datakey_one_active_per_owner"),
        ]

    def __str__(self) -> str:
        return f"Data key {self.key_id} ({self.purpose}, {self.state})"


class KeyRotation(models.Model):
    """A DEK rotation in progress or done: which key replaces which, and how far the
    re-encryption got (resumable: progress commits with each batch)."""

    class State(models.TextChoices):
        RUNNING = "RUNNING"
        DONE = "DONE"

    purpose = models.CharField(max_length=16, choices=DataKey.Purpose.choices)
    owner = models.UUIDField(null=True, blank=True)
    old_key_id = models.CharField(max_length=24)
    new_key_id = models.CharField(max_length=24)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    #: {"app_label.model": last primary key done} for the current pass.
    progress = models.JSONField(default=dict, blank=True)
    passes = models.PositiveIntegerField(default=1)
    rows_reencrypted = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Rotation {self.old_key_id} -> {self.new_key_id} ({self.state})"
