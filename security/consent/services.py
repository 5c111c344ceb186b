"""Writes on arrangements and their tokens: validate, save, audit, in one transaction.

The authorization server issue calls these after the customer consents; today the demo
token command and the tests do. Tokens leave as raw strings exactly once (the return value);
only their SHA-256 digest is stored (DOT's RFC 9700 token storage).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken

from accounts.models import Account, Customer, User
from security import audit
from security.consent.models import AccessTokenBinding, Arrangement, ArrangementStatus
from security.recipients.models import SoftwareProduct
from security.scopes import CDR_DATA_SCOPES

ARRANGEMENT_CREATED = "ARRANGEMENT_CREATED"
ARRANGEMENT_REVOKED = "ARRANGEMENT_REVOKED"
ACCESS_TOKEN_ISSUED = "ACCESS_TOKEN_ISSUED"  # noqa: S105 - an event name, not a token

#: CDS security/_tokens.md: access tokens live between 2 and 10 minutes.
ACCESS_TOKEN_MIN_LIFETIME = timedelta(minutes=2)
ACCESS_TOKEN_MAX_LIFETIME = timedelta(minutes=10)


@transaction.atomic
def arrangement_create(
    *,
    customer: Customer,
    user: User | None,
    software_product: SoftwareProduct,
    scopes: Iterable[str],
    accounts: Iterable[Account],
    sharing_expires_at: datetime | None,
    actor: audit.Actor,
) -> Arrangement:
    """A new arrangement. `sharing_expires_at=None` is a once-off consent (CDS
    sharing_duration 0 or absent): it ends with its first access token's lifetime."""
    now = timezone.now()
    if sharing_expires_at is None:
        sharing_expires_at = now + ACCESS_TOKEN_MAX_LIFETIME
    elif sharing_expires_at <= now:
        raise ValidationError({"sharing_expires_at": "The sharing period has already ended."})
    scope_set = set(scopes)
    unknown = scope_set - CDR_DATA_SCOPES - {"openid", "profile"}
    if unknown:
        raise ValidationError({"scope": "Not a CDR data scope."})
    chosen = list(accounts)
    held = set(
        Account.objects.filter(account_holders__customer=customer).values_list("pk", flat=True)
    )
    if any(account.pk not in held for account in chosen):
        raise ValidationError({"accounts": "A customer can share only accounts they hold."})
    arrangement = Arrangement(
        customer=customer,
        user=user,
        software_product=software_product,
        scope=" ".join(sorted(scope_set)),
        sharing_expires_at=sharing_expires_at,
    )
    arrangement.full_clean()
    arrangement.save()
    arrangement.accounts.set(chosen)
    audit.audit_record(
        actor=actor,
        event_type=ARRANGEMENT_CREATED,
        subject_type="arrangement",
        subject_id=arrangement.pk,
        detail={
            "software_product_id": software_product.software_product_id,
            "scopes": sorted(scope_set),
            "accounts": len(chosen),
        },
    )
    return arrangement


@transaction.atomic
def arrangement_revoke(*, arrangement: Arrangement, actor: audit.Actor) -> Arrangement:
    if arrangement.status != ArrangementStatus.REVOKED:
        arrangement.status = ArrangementStatus.REVOKED
        arrangement.revoked_at = timezone.now()
        arrangement.save(update_fields=["status", "revoked_at"])
        # The tokens go too: a revoked consent leaves nothing usable behind.
        AccessToken.objects.filter(binding__arrangement=arrangement).delete()
        audit.audit_record(
            actor=actor,
            event_type=ARRANGEMENT_REVOKED,
            subject_type="arrangement",
            subject_id=arrangement.pk,
        )
    return arrangement


@transaction.atomic
def access_token_issue(
    *,
    arrangement: Arrangement,
    certificate_thumbprint: str,
    lifetime: timedelta = ACCESS_TOKEN_MAX_LIFETIME,
    actor: audit.Actor,
) -> tuple[str, AccessToken]:
    """A token for the arrangement: (raw token, stored row with its digest only).

    `certificate_thumbprint` is required, so that no caller issues an unbound token by
    omission: pass the client certificate's x5t#S256, or "" to issue a plain bearer token
    deliberately (which resource calls refuse where BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS).
    """
    if not ACCESS_TOKEN_MIN_LIFETIME <= lifetime <= ACCESS_TOKEN_MAX_LIFETIME:
        raise ValidationError("Access tokens live between 2 and 10 minutes.")
    if arrangement.status != ArrangementStatus.ACTIVE or arrangement.is_expired():
        raise ValidationError("Tokens are issued only for an active arrangement.")
    product = arrangement.software_product
    if product.client_id is None:
        raise ValidationError("The software product has no OAuth client at this bank.")
    raw = secrets.token_urlsafe(32)
    token = AccessToken(
        user=arrangement.user,
        application_id=product.client_id,
        token="",
        scope=arrangement.scope,
        expires=timezone.now() + lifetime,
    )
    token._raw_token = raw  # DOT stores only its SHA-256
    token.save()
    AccessTokenBinding.objects.create(
        access_token=token, arrangement=arrangement, certificate_thumbprint=certificate_thumbprint
    )
    audit.audit_record(
        actor=actor,
        event_type=ACCESS_TOKEN_ISSUED,
        subject_type="arrangement",
        subject_id=arrangement.pk,
        detail={"expires_in": int(lifetime.total_seconds()), "bound": bool(certificate_thumbprint)},
    )
    return raw, token
