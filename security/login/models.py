"""What customer login has to remember: failures per identifier, and one-time codes.

Neither table holds an identifier, a password or a code in clear: identifiers and codes are
keyed HMACs (services.py), so a database dump gives an attacker nothing to replay and no list
of who tried to log in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class LoginThrottle(models.Model):
    """Consecutive failures and lock-outs for one login identifier, known or not.

    Keyed by identifier, not by customer, so that an identifier nobody holds is throttled and
    locked exactly like a real one: the lock-out is no oracle for which identifiers exist.
    """

    identifier_digest = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    lockouts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Login throttle {self.identifier_digest[:12]}"


class OneTimeCode(models.Model):
    """A 6-digit code sent out of band, for one purpose and one flow (CDS credential
    requirements: a CDR OTP must not authorise anything else)."""

    class Purpose(models.TextChoices):
        CDR_AUTHORISATION = "CDR_AUTHORISATION"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="one_time_codes"
    )
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    # Digest of what the code is for (the authorization handle): a code sent for one consent
    # cannot complete another.
    binding = models.CharField(max_length=64)
    code_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when the code is used, replaced by a new one, or spent by too many attempts.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "binding"], name="otp_user_binding")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="otp_expires_after_created"
            ),
            # At most one usable code per login and flow, whatever races the senders run.
            models.UniqueConstraint(
                fields=["user", "binding"], condition=Q(closed_at__isnull=True),
                name="otp_one_open_per_flow",
            ),
        ]

    def __str__(self) -> str:
        return f"One-time code #{self.pk} ({self.purpose})"
