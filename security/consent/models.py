"""CDR arrangements and the link from each access token to its arrangement.

An arrangement is the customer's consent to share chosen accounts and data clusters (scopes)
with one software product until `sharing_expires_at` (security/_consent.md). Tokens are
DOT's; `AccessTokenBinding` adds what DOT's token has no column for: the arrangement and the
RFC 8705 certificate thumbprint the token is bound to.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from accounts.models import Account, Customer
from security.recipients.models import SoftwareProduct


class ArrangementStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    #: Awaiting another account holder's approval: not yet usable (InvalidConsent).
    PENDING = "PENDING"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


def new_cdr_arrangement_id() -> str:
    # 122 random bits: non-guessable, collision-resistant, says nothing about the customer
    # (security/_identifiers_and_subject_types.md).
    return str(uuid.uuid4())


class Arrangement(models.Model):
    cdr_arrangement_id = models.CharField(
        max_length=64, unique=True, default=new_cdr_arrangement_id, editable=False
    )
    # CASCADE: the demo reset deletes customers; a real bank never deletes one with accounts
    # (Account holders are PROTECTed), so no live consent can disappear this way.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="arrangements")
    # The login that gave the consent (for a business customer, one of its nominated users).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="arrangements",
    )
    software_product = models.ForeignKey(
        SoftwareProduct, on_delete=models.PROTECT, related_name="arrangements"
    )
    scope = models.TextField(help_text="Granted scopes, space-separated.")
    accounts = models.ManyToManyField(Account, related_name="arrangements", blank=True)
    status = models.CharField(
        max_length=8, choices=ArrangementStatus.choices, default=ArrangementStatus.ACTIVE
    )
    created_at = models.DateTimeField(default=timezone.now)
    # A once-off consent ends with its first token's lifetime (services.arrangement_create
    # sets it); a row without an end is treated as expired (fail closed).
    sharing_expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # When a resource call last used one of its tokens, to the minute (shown on the customer's
    # dashboard): security.dashboard.usage writes it at most once a minute per arrangement.
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("revoke_arrangement", "Can revoke an arrangement from the console")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ArrangementStatus.values), name="arrangement_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ArrangementStatus.REVOKED) | Q(revoked_at__isnull=False),
                name="arrangement_revoked_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "software_product"], name="arrangement_cust_product"),
        ]

    def __str__(self) -> str:
        # Pseudonymous: the cdr_arrangement_id is the recipient's handle, kept out of logs.
        return f"Arrangement #{self.pk} ({self.status})"

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def is_expired(self, now: datetime | None = None) -> bool:
        if self.status == ArrangementStatus.EXPIRED:
            return True
        expires = self.sharing_expires_at
        return expires is None or (now or timezone.now()) >= expires


class AccessTokenBinding(models.Model):
    """What an access token is for: its arrangement and its certificate binding."""

    access_token = models.OneToOneField(
        oauth2_settings.ACCESS_TOKEN_MODEL,
        on_delete=models.CASCADE,
        related_name="binding",
    )
    arrangement = models.ForeignKey(
        Arrangement, on_delete=models.CASCADE, related_name="token_bindings"
    )
    # RFC 8705 §3.1 cnf.x5t#S256: base64url SHA-256 of the client certificate (43 chars).
    certificate_thumbprint = models.CharField(max_length=43, blank=True, default="")

    def __str__(self) -> str:
        return f"Binding of token #{self.access_token_id}"
