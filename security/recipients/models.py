"""Data recipients and software products, mirrored from the CDR Register.

The Register is the source of truth for their status (cds_register.json
getDataRecipientStatuses / getSoftwareProductStatuses); the Register-sync issue keeps these
rows current. A software product can be served only while it and its recipient are ACTIVE
(403 Authorisation/AdrStatusNotActive otherwise).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from oauth2_provider.settings import oauth2_settings


class RecipientStatus(models.TextChoices):
    """Register DataRecipientStatus (legal entity)."""

    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    SURRENDERED = "SURRENDERED"


class SoftwareProductStatus(models.TextChoices):
    """Register SoftwareProductStatus."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    REMOVED = "REMOVED"


class DataRecipient(models.Model):
    legal_entity_id = models.CharField(max_length=100, unique=True)
    legal_entity_name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=12, choices=RecipientStatus.choices, default=RecipientStatus.ACTIVE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["legal_entity_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RecipientStatus.values), name="recipient_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.legal_entity_name


class SoftwareProduct(models.Model):
    """One software product of a recipient. `client` is its OAuth client at this bank."""

    recipient = models.ForeignKey(
        DataRecipient, on_delete=models.PROTECT, related_name="software_products"
    )
    # The Register's ID: the stable identity that resource IDs are bound to.
    software_product_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    brand_name = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=SoftwareProductStatus.choices, default=SoftwareProductStatus.ACTIVE
    )
    client = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="software_product",
    )
    # The bank's own stop, set by staff: the Register poll rewrites `status`, so a local
    # suspension kept there would be undone within one poll.
    suspended_locally = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        permissions = [("suspend_softwareproduct",
                        "Can suspend or reactivate a software product at this bank")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SoftwareProductStatus.values),
                name="software_product_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return (
            self.status == SoftwareProductStatus.ACTIVE
            and not self.suspended_locally
            and self.recipient.status == RecipientStatus.ACTIVE
        )
