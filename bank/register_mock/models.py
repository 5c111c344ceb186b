"""What the mock Register knows: accredited recipients, their brands and software products.

Shapes and status enums follow cds_register.json 1.36.0 (RegisterDataRecipient,
DataRecipientBrandMetaData, SoftwareProductMetaData) and the SSA claims of the Register's
Get Software Statement Assertion. Identifiers are UUIDs, as the Register issues them.
Its access tokens are stored as SHA-256 digests, as the bank stores its own.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q


def _new_id() -> str:
    return str(uuid.uuid4())


class LegalEntityStatus(models.TextChoices):
    """cds_register.json DataRecipientStatus."""

    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    SURRENDERED = "SURRENDERED"


class BrandStatus(models.TextChoices):
    """cds_register.json DataRecipientBrandMetaData.status."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    REMOVED = "REMOVED"


class ProductStatus(models.TextChoices):
    """cds_register.json SoftwareProductStatus."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    REMOVED = "REMOVED"


class AccreditationLevel(models.TextChoices):
    UNRESTRICTED = "UNRESTRICTED"
    SPONSORED = "SPONSORED"


class RegisterLegalEntity(models.Model):
    """An accredited data recipient (the legal entity)."""

    legal_entity_id = models.CharField(max_length=36, unique=True, default=_new_id)
    legal_entity_name = models.CharField(max_length=200)
    accreditation_number = models.CharField(max_length=100, blank=True, default="")
    accreditation_level = models.CharField(
        max_length=12, choices=AccreditationLevel.choices, default=AccreditationLevel.UNRESTRICTED
    )
    logo_uri = models.URLField(max_length=1000)
    status = models.CharField(
        max_length=12, choices=LegalEntityStatus.choices, default=LegalEntityStatus.ACTIVE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["legal_entity_name", "id"]
        verbose_name = "legal entity"
        verbose_name_plural = "legal entities"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LegalEntityStatus.values),
                name="register_legal_entity_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_entity_name


class RegisterBrand(models.Model):
    """A data recipient brand: the SSA's `org_id` / `org_name`."""

    legal_entity = models.ForeignKey(
        RegisterLegalEntity, on_delete=models.CASCADE, related_name="brands"
    )
    brand_id = models.CharField(max_length=36, unique=True, default=_new_id)
    brand_name = models.CharField(max_length=200)
    logo_uri = models.URLField(max_length=1000)
    status = models.CharField(max_length=8, choices=BrandStatus.choices, default=BrandStatus.ACTIVE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand_name", "id"]
        verbose_name = "brand"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BrandStatus.values), name="register_brand_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.brand_name


class RegisterSoftwareProduct(models.Model):
    """A software product and everything its SSA asserts."""

    brand = models.ForeignKey(RegisterBrand, on_delete=models.CASCADE, related_name="products")
    software_product_id = models.CharField(max_length=36, unique=True, default=_new_id)
    client_name = models.CharField(max_length=200)
    client_description = models.CharField(max_length=4000)
    client_uri = models.URLField(max_length=1000)
    logo_uri = models.URLField(max_length=1000)
    tos_uri = models.URLField(max_length=1000, blank=True, default="")
    policy_uri = models.URLField(max_length=1000, blank=True, default="")
    redirect_uris = models.JSONField(default=list)
    sector_identifier_uri = models.URLField(max_length=1000, blank=True, default="")
    jwks_uri = models.URLField(max_length=1000)
    revocation_uri = models.URLField(max_length=1000)
    recipient_base_uri = models.URLField(max_length=1000)
    # Space-separated, as in the SSA's `scope` claim.
    scope = models.TextField()
    status = models.CharField(
        max_length=8, choices=ProductStatus.choices, default=ProductStatus.ACTIVE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client_name", "id"]
        verbose_name = "software product"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProductStatus.values), name="register_product_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.client_name

    def clean(self) -> None:
        uris = self.redirect_uris
        if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
            raise ValidationError({"redirect_uris": "A non-empty list of URIs."})
        validate = URLValidator(schemes=["https", "http"])
        for uri in uris:
            validate(uri)


class RegisterAccessToken(models.Model):
    """A `cdr-register:read` token issued to a software product (client credentials)."""

    digest = models.CharField(max_length=64, unique=True)
    software_product = models.ForeignKey(
        RegisterSoftwareProduct, on_delete=models.CASCADE, related_name="access_tokens"
    )
    scope = models.CharField(max_length=200)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "access token"

    def __str__(self) -> str:
        return f"Register token #{self.pk}"


class RegisterUsedAssertion(models.Model):
    """RFC 7523 §3: a client assertion's jti is accepted once."""

    client_id = models.CharField(max_length=36)
    jti = models.CharField(max_length=200)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "used client assertion"
        constraints = [
            models.UniqueConstraint(
                fields=["client_id", "jti"], name="register_assertion_jti_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Used assertion of {self.client_id}"
