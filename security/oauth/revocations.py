"""Noting revoked tokens before their rows go (for "used after revocation").

Every path that revokes a live token deletes its row: RFC 7009 revocation, arrangement
revocation by the customer, recipient or staff, a replayed code, an amendment, a deleted
registration. One pre_delete receiver per token model sees them all, whatever the path, and
keeps the token's digest until the token would have expired (models.RevokedToken). Rows
that housekeeping deletes after they expired are not noted: they were not revoked.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import pre_delete
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from security.oauth.models import ClientRegistration, RevokedToken


def _software_product_id(application_id: int | None) -> str:
    if application_id is None:
        return ""
    return (ClientRegistration.objects.filter(application_id=application_id)
            .values_list("software_product__software_product_id", flat=True).first() or "")


def _note(*, digest: str, kind: str, application_id: int | None, arrangement_id: Any,
          expires_at: Any) -> None:
    if not digest:
        return
    RevokedToken.objects.get_or_create(
        token_digest=digest,
        defaults={
            "kind": kind, "expires_at": expires_at,
            "software_product_id": _software_product_id(application_id),
            "arrangement_id": "" if arrangement_id is None else str(arrangement_id),
        },
    )


def _access_token_deleted(sender: Any, instance: AccessToken, **kwargs: Any) -> None:
    if instance.expires is None or instance.expires <= timezone.now():
        return
    binding = getattr(instance, "binding", None)  # RelatedObjectDoesNotExist is an AttributeError
    _note(digest=instance.token_checksum, kind=RevokedToken.Kind.ACCESS,
          application_id=instance.application_id,
          arrangement_id=getattr(binding, "arrangement_id", None),
          expires_at=instance.expires)


def _refresh_token_deleted(sender: Any, instance: RefreshToken, **kwargs: Any) -> None:
    from security.oauth.models import RefreshTokenContext

    context = RefreshTokenContext.objects.filter(refresh_token_id=instance.pk).first()
    if context is None or context.expires_at <= timezone.now():
        return
    _note(digest=instance.token_checksum, kind=RevokedToken.Kind.REFRESH,
          application_id=instance.application_id, arrangement_id=context.arrangement_id,
          expires_at=context.expires_at)


def revocation_receivers_connect() -> None:
    pre_delete.connect(_access_token_deleted, sender=AccessToken,
                       dispatch_uid="bank.revoked_access_token")
    pre_delete.connect(_refresh_token_deleted, sender=RefreshToken,
                       dispatch_uid="bank.revoked_refresh_token")


def revoked_token_find(digest: str) -> RevokedToken | None:
    return RevokedToken.objects.filter(token_digest=digest).first()
