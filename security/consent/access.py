"""Resolving an access token into the AccessContext every authenticated view receives.

The one place where "may this token read customer data now" is decided (STYLE.md §7):

1. the token must be for a CDR arrangement and presented on the connection it is bound to
   (RFC 8705; unbound tokens are refused unless BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS is
   relaxed, as dev and test do until TLS arrives): otherwise 401, as for any invalid token;
2. the software product and its recipient must be ACTIVE: 403 Authorisation/AdrStatusNotActive
   with the status in `detail` (standards/_errors.md);
3. the arrangement must be current: revoked or expired -> 403 Authorisation/RevokedConsent;
   not yet authorised by every holder -> 403 Authorisation/InvalidConsent.

Scopes are checked per endpoint by `security.permissions.HasCdrScope`.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.utils import timezone

from bank.api import errors
from security.consent.models import AccessTokenBinding, Arrangement, ArrangementStatus
from security.context import AccessContext
from security.recipients.models import RecipientStatus
from security.resource_ids import ResourceIds


def access_context_resolve(
    *, token: Any, customer_present: bool, presented_thumbprint: str | None
) -> AccessContext:
    binding = _binding_of(token)
    if binding is None:
        # A valid token that is not for customer data (e.g. a client-credentials token).
        raise errors.InvalidConsentError(
            "The access token is not for a CDR arrangement.", reason="not_arrangement_token")
    try:
        return _context_checked(binding, token=token, customer_present=customer_present,
                                presented_thumbprint=presented_thumbprint)
    except errors.CdrError as error:
        # The audit trail names whose token was refused and for which arrangement
        # (security/refusals.py); the caller sees none of it.
        error.software_product_id = binding.arrangement.software_product.software_product_id
        error.arrangement_id = str(binding.arrangement_id)
        raise


def _binding_of(token: Any) -> AccessTokenBinding | None:
    """The token's binding with its arrangement, software product and recipient: already
    loaded when the token came from the resource server's validator (one query for all of
    them, security/authentication.py), read here otherwise."""
    if type(token).binding.is_cached(token):
        try:
            return token.binding
        except AccessTokenBinding.DoesNotExist:
            return None
    return (
        AccessTokenBinding.objects.select_related("arrangement__software_product__recipient")
        .filter(access_token_id=token.pk)
        .first()
    )


def _context_checked(
    binding: AccessTokenBinding, *, token: Any, customer_present: bool,
    presented_thumbprint: str | None,
) -> AccessContext:
    if not binding.certificate_thumbprint:
        if settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS:
            # FAPI / CDS transport security: every resource call's token must be bound to
            # the client certificate of its connection; a plain bearer token is not enough.
            raise errors.NotAuthenticatedError(
                "The access token is not certificate-bound.", reason="unbound")
    elif not (
        presented_thumbprint
        and hmac.compare_digest(binding.certificate_thumbprint, presented_thumbprint)
    ):
        raise errors.NotAuthenticatedError(
            "The access token is bound to a client certificate this connection did not present.",
            reason="certificate",
        )

    arrangement = binding.arrangement
    product = arrangement.software_product
    if token.application_id is None or token.application_id != product.client_id:
        raise errors.NotAuthenticatedError(reason="client_mismatch")
    if product.recipient.status != RecipientStatus.ACTIVE:
        raise errors.AdrStatusNotActiveError(
            f"Data recipient status: {product.recipient.status}", reason="recipient_inactive")
    if not product.is_active:
        # A local suspension leaves the register's status ACTIVE: say which it is.
        status = "SUSPENDED" if product.suspended_locally else product.status
        raise errors.AdrStatusNotActiveError(
            f"Software product status: {status}", reason="product_inactive")

    if arrangement.status == ArrangementStatus.REVOKED:
        raise errors.RevokedConsentError("The consent has been revoked.", reason="consent_revoked")
    if arrangement.is_expired(timezone.now()):
        raise errors.RevokedConsentError("The consent has expired.", reason="consent_expired")
    if arrangement.status != ArrangementStatus.ACTIVE:
        raise errors.InvalidConsentError(
            "The consent is awaiting authorisation.", reason="consent_pending")

    return AccessContext(
        customer_id=arrangement.customer_id,
        software_product_id=product.software_product_id,
        arrangement_pk=arrangement.pk,
        # What the token carries and the arrangement still grants: a token never widens it.
        scopes=frozenset(token.scope.split()) & arrangement.scopes,
        # From the link table alone: no join, no ORDER BY (Account's default ordering).
        account_ids=frozenset(
            Arrangement.accounts.through.objects.filter(arrangement_id=arrangement.pk)
            .values_list("account_id", flat=True)
        ),
        customer_present=customer_present,
        certificate_thumbprint=binding.certificate_thumbprint,
        ids=ResourceIds(
            customer_key=str(arrangement.customer_id),
            software_product_id=product.software_product_id,
        ),
    )
