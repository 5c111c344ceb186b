"""Auditing refused API requests: the one place a CDR error response becomes an audit event.

Every CDR API error leaves through bank.api.exception_handler, which calls
`refusal_audit(request, error, view_kwargs)`. The error says what the caller sees; this
module decides what the audit trail records:

- TOKEN_REJECTED: a bearer token was presented and refused (reason: unknown, expired,
  revoked, certificate, unbound, client_mismatch);
- RESOURCE_ACCESS_DENIED: the caller may not have this (reason: no_token, scope, foreign_id,
  consent_revoked, consent_expired, consent_pending, recipient_inactive, product_inactive,
  not_arrangement_token, forbidden);
- INPUT_REJECTED: a malformed request (bad header, field, version, page, body).

429s are audited by the rate limiter (once a minute per limit and caller) and 5xx are bugs
(logged), so neither is here. The events are refusals: they survive the request's rollback
(security/audit.py). Nothing the caller sent is copied into them except, for a probed
resource ID, a short digest (to count distinct IDs without keeping them).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from bank.api import errors
from security import audit
from security.client_ip import client_ip
from security.crypto import token_digest

TOKEN_REJECTED = "TOKEN_REJECTED"  # noqa: S105 - an event name
RESOURCE_ACCESS_DENIED = "RESOURCE_ACCESS_DENIED"
INPUT_REJECTED = audit.INPUT_REJECTED

logger = logging.getLogger("bank.audit")

#: Errors that mean "this ID is not yours (or does not exist)": answered like an unknown ID.
_FOREIGN_ID_ERRORS = (
    errors.InvalidBankingAccountError,
    errors.InvalidBankingAccountInBodyError,
    errors.InvalidResourceError,
)


@dataclass(frozen=True)
class TokenRejection:
    """Why the authentication layer refused a presented token (set on the request)."""

    reason: str
    software_product_id: str = ""
    arrangement_id: str = ""


def token_rejection_explain(raw_token: str) -> TokenRejection:
    """Why a token DOT did not accept was refused: revoked, expired or unknown.

    Only on the failure path; two indexed lookups by digest.
    """
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    from security.oauth.revocations import revoked_token_find

    digest = token_digest(raw_token)
    revoked = revoked_token_find(digest)
    if revoked is not None:
        return TokenRejection("revoked", revoked.software_product_id, revoked.arrangement_id)
    token = (AccessToken.objects.filter(token_checksum=digest)
             .values_list("expires", "binding__arrangement_id",
                          "binding__arrangement__software_product__software_product_id")
             .first())
    if token is None:
        return TokenRejection("unknown")
    expires, arrangement_id, product_id = token
    reason = "expired" if expires <= timezone.now() else "invalid"
    return TokenRejection(reason, product_id or "", "" if arrangement_id is None else
                          str(arrangement_id))


def bearer_token(request: HttpRequest) -> str | None:
    """The bearer token of the Authorization header, if that is what it carries."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _probed_id(view_kwargs: dict[str, Any]) -> str:
    """A short digest of the path's resource IDs: counts distinct probes, keeps none."""
    values = [str(value) for _, value in sorted(view_kwargs.items())]
    if not values:
        return ""
    return hashlib.sha256("\x1f".join(values).encode()).hexdigest()[:16]


def _classify(error: errors.CdrError, *, has_token: bool, authenticated: bool
              ) -> tuple[str, str] | None:
    """(event type, reason) for an error, or None if it is not audited here."""
    status = error.status_code
    if status == 429 or status >= 500:
        return None
    if status == 401:
        if has_token:
            return TOKEN_REJECTED, error.reason or "invalid"
        return RESOURCE_ACCESS_DENIED, "no_token"
    if isinstance(error, _FOREIGN_ID_ERRORS):
        # Probing customer data needs a consent; an unknown ID on a public endpoint (a
        # product) is only a bad request.
        return (RESOURCE_ACCESS_DENIED, "foreign_id") if authenticated else (
            INPUT_REJECTED, "unknown_id")
    if isinstance(error, errors.AdrStatusNotActiveError | errors.RevokedConsentError
                  | errors.InvalidConsentError):
        return RESOURCE_ACCESS_DENIED, error.reason or "consent"
    if status == 403:
        return RESOURCE_ACCESS_DENIED, error.reason or "forbidden"
    if isinstance(error, errors.UnavailableBankingAccountError | errors.UnavailableResourceError):
        return None  # the customer's own resource, no longer available: not a refusal
    return INPUT_REJECTED, error.reason or "invalid_input"


def refusal_audit(
    request: HttpRequest | None, error: errors.CdrError, *, view_kwargs: dict[str, Any],
    endpoint: str = "",
) -> None:
    """Write the audit event for a refused CDR API request (see the module docstring)."""
    if request is None:
        return
    has_token = bearer_token(request) is not None
    context = getattr(request, "cdr", None)
    classified = _classify(error, has_token=has_token, authenticated=context is not None)
    if classified is None:
        return
    event_type, reason = classified
    rejection: TokenRejection | None = getattr(request, "token_rejection", None)
    product = (error.software_product_id or (rejection and rejection.software_product_id)
               or (context.software_product_id if context else ""))
    arrangement = (error.arrangement_id or (rejection and rejection.arrangement_id)
                   or (str(context.arrangement_pk) if context else ""))
    if event_type == TOKEN_REJECTED and rejection is not None and not error.reason:
        reason = rejection.reason
    subject_type, subject_id = ("", "")
    if reason == "foreign_id":
        # The path's IDs, or the body's refused ID that the error echoes.
        subject_type, subject_id = "resource_id", _probed_id(view_kwargs or {
            "body": str(error.detail)})
    elif arrangement:
        subject_type, subject_id = "arrangement", arrangement
    detail = {"reason": reason, "error_code": error.cds_code, "status": error.status_code,
              "method": request.method, "endpoint": endpoint}
    _record(request, event_type=event_type, product=product, arrangement=arrangement,
            subject_type=subject_type, subject_id=subject_id, detail=detail)


def _record(request: HttpRequest, *, event_type: str, product: str, arrangement: str,
            subject_type: str, subject_id: str, detail: dict[str, Any]) -> None:
    """One refusal event, or for a caller nobody identified (no client) one per source,
    kind and minute: anyone on the internet can send refused requests, and each row stays
    for years. Every refusal is logged either way."""
    source_ip = client_ip(request)
    if not product:
        from security.throttling.enforce import first_this_minute
        from security.throttling.policy import source_network

        key = (f"{settings.BANK_RATE_LIMIT_KEY_PREFIX}:refusal:{event_type}:"
               f"{detail.get('reason')}:{source_network(source_ip)}")
        if not first_this_minute(key):
            logger.info("refusal %s (not audited again this minute)", event_type,
                        extra={"event": "audit.refusal_sampled", "event_type": event_type,
                               "detail": detail})
            return
        detail = {**detail, "note": "anonymous: at most one event per source, kind and "
                                    "minute; the log has each"}
    audit.audit_record(
        actor=(audit.Actor(audit.ActorType.CLIENT, product) if product
               else audit.Actor(audit.ActorType.ANONYMOUS)),
        event_type=event_type, outcome=audit.Outcome.DENIED,
        subject_type=subject_type, subject_id=subject_id, source_ip=source_ip,
        software_product_id=product, arrangement_id=arrangement, detail=detail,
    )


TOKEN_REQUEST_REJECTED = "TOKEN_REQUEST_REJECTED"  # noqa: S105 - an event name
OAUTH_REQUEST_REJECTED = "OAUTH_REQUEST_REJECTED"


def oauth_refusal_audit(request: HttpRequest, error: Any, *, endpoint: str) -> None:
    """The audit event for a refused authorization-server request (token, PAR, revocation,
    introspection, authorize, userinfo): the OAuth error code and, when the code hides it
    from the caller, why (a revoked refresh token, another client's...). The client is the
    one client authentication bound, if it got that far."""
    from security.interaction import current_principal

    product = current_principal().get("client", "")
    try:
        _record(
            request,
            event_type=TOKEN_REQUEST_REJECTED if endpoint == "token" else OAUTH_REQUEST_REJECTED,
            product=product, arrangement="", subject_type="", subject_id="",
            detail={"endpoint": endpoint,
                    "error": getattr(error, "error", "") or getattr(error, "cds_code", ""),
                    "reason": getattr(error, "reason", ""),
                    "grant_type": _grant_type(request)},
        )
    except Exception:
        logger.exception("Auditing a refused %s request failed", endpoint)


#: Values echoed into the audit detail only if they are one of these (the caller chose them).
_GRANT_TYPES = frozenset({"authorization_code", "refresh_token", "client_credentials"})


def _grant_type(request: HttpRequest) -> str:
    value = request.POST.get("grant_type", "") if request.method == "POST" else ""
    return value if value in _GRANT_TYPES else ("other" if value else "")
