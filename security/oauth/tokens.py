"""Tokens: issuance at the token endpoint and their life afterwards.

Grants (RFC 6749): `authorization_code` (§4.1.3, with PKCE S256, RFC 7636 §4.6),
`refresh_token` (§6) and `client_credentials` (§4.4, for `cdr:registration` only).
Access tokens are certificate-bound (RFC 8705 §3); refresh tokens are revoked with RFC 7009
and introspected with RFC 7662 (CDS: refresh tokens only).

CDS security/_tokens.md sets the rest: access tokens live 2-10 minutes (BANK_ACCESS_TOKEN_SECONDS),
codes are single use, refresh tokens are never rotated and expire with the sharing duration, and
a once-off consent (sharing_duration 0) gets no refresh token.

Tokens are DOT rows (AccessToken, RefreshToken) holding only the SHA-256 of the token
(RFC 9700 §4.14 storage); the raw value leaves exactly once, in the token response. They are
128+ bit random strings (`secrets.token_urlsafe(32)`: 256 bits, FAPI BASE 5.2.2-16).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from accounts.models import User
from bank.api.errors import InvalidArrangementError
from bank.queries import unique_row
from security import audit, scopes
from security.consent import services as consent_services
from security.consent.models import AccessTokenBinding, Arrangement, ArrangementStatus
from security.crypto import token_digest
from security.oauth.authorization import (
    authorization_amendment_complete,
    authorization_code_redeemed,
)
from security.oauth.errors import (
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    UnauthorizedClient,
)
from security.oauth.id_token import id_token_sign
from security.oauth.models import (
    ClientRegistration,
    ClientTokenBinding,
    GrantContext,
    RefreshTokenContext,
    UsedAuthorizationCode,
)
from security.oauth.tasks import arrangement_revocation_notify

# Audit event types (STYLE.md §11). The access-token one is shared with the consent services.
ACCESS_TOKEN_ISSUED = consent_services.ACCESS_TOKEN_ISSUED
REFRESH_TOKEN_ISSUED = "REFRESH_TOKEN_ISSUED"  # noqa: S105 - event names, not secrets
ACCESS_TOKEN_REFRESHED = "ACCESS_TOKEN_REFRESHED"  # noqa: S105 - an event name
CLIENT_TOKEN_ISSUED = "CLIENT_TOKEN_ISSUED"  # noqa: S105
AUTHORIZATION_CODE_REDEEMED = "AUTHORIZATION_CODE_REDEEMED"
AUTHORIZATION_CODE_REFUSED = "AUTHORIZATION_CODE_REFUSED"
AUTHORIZATION_CODE_REPLAYED = "AUTHORIZATION_CODE_REPLAYED"
TOKEN_REVOKED = "TOKEN_REVOKED"  # noqa: S105
ARRANGEMENT_TOKENS_REVOKED = "ARRANGEMENT_TOKENS_REVOKED"

#: The one scope a client_credentials token may carry: managing the client's own DCR
#: registration (cds_dcr.json GET/PUT/DELETE /register/{clientId}).
CDR_REGISTRATION_SCOPE = scopes.CDR_REGISTRATION

#: FAPI-CHECKLIST row 16: a code is exchanged within 60 s of being issued, whatever
#: `Grant.expires` says.
CODE_MAX_AGE = timedelta(seconds=60)
#: RFC 7636 §4.1: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
_CODE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_INVALID_CODE = "The authorization code is invalid, expired or already used."
_INVALID_REFRESH = "The refresh token is invalid, expired or revoked."


@dataclass(frozen=True)
class TokenResponse:
    """RFC 6749 §5.1 successful response, plus CDS's cdr_arrangement_id."""

    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None
    id_token: str | None = None
    cdr_arrangement_id: str | None = None

    def as_body(self) -> dict[str, str | int]:
        body: dict[str, str | int] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        for name in ("refresh_token", "id_token", "cdr_arrangement_id"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        return body


@dataclass(frozen=True)
class IssuedAccessToken:
    raw: str
    row: Any  # DOT AccessToken
    expires_in: int


def access_token_lifetime() -> timedelta:
    """BANK_ACCESS_TOKEN_SECONDS, refused outside CDS's 2-10 minutes rather than clamped."""
    seconds = settings.BANK_ACCESS_TOKEN_SECONDS
    lifetime = timedelta(seconds=seconds) if isinstance(seconds, int) else None
    if lifetime is None or not (
        consent_services.ACCESS_TOKEN_MIN_LIFETIME
        <= lifetime
        <= consent_services.ACCESS_TOKEN_MAX_LIFETIME
    ):
        raise ImproperlyConfigured("BANK_ACCESS_TOKEN_SECONDS must be between 120 and 600.")
    return lifetime


def certificate_binding_thumbprint(*, presented_thumbprint: str | None) -> str:
    """The x5t#S256 to bind new access tokens to ('' = unbound, only where relaxed).

    With BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS a request without a client certificate is
    refused with `invalid_request`, not `invalid_client`: the client did authenticate
    (private_key_jwt; CDS forbids tls_client_auth), so RFC 8705 §2's invalid_client for a
    failed mTLS *authentication* does not apply. What is missing is the certificate that
    RFC 8705 §3 binds the token to, a required part of the request, and FAPI 1.0 Adv 5.2.2-5
    forbids issuing an unbound token instead. (The OIDF FAPI conformance test for this case
    accepts either error.)
    """
    if presented_thumbprint:
        return presented_thumbprint
    if settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS:
        raise InvalidRequest(
            "A client certificate is required: access tokens are bound to it (RFC 8705)."
        )
    return ""


def client_token_eligibility_check(*, registration: ClientRegistration) -> None:
    """Tokens go only to a software product the Register lists as ACTIVE, with an ACTIVE
    recipient (CDS: stop disclosure once the Register says otherwise)."""
    if not registration.software_product.is_active:
        raise UnauthorizedClient("The software product or its data recipient is not active.")


def _client_actor(registration: ClientRegistration) -> audit.Actor:
    return audit.Actor(audit.ActorType.CLIENT, registration.client_id)


def _arrangement_usable(arrangement: Arrangement, now: datetime) -> bool:
    return arrangement.status == ArrangementStatus.ACTIVE and not arrangement.is_expired(now)


# Issuance ------------------------------------------------------------------------------
def access_token_create(
    *,
    application_id: int,
    user: User | None,
    scope: str,
    lifetime: timedelta,
) -> IssuedAccessToken:
    raw = secrets.token_urlsafe(32)
    token = AccessToken(
        user=user,
        application_id=application_id,
        token="",
        scope=scope,
        expires=timezone.now() + lifetime,
    )
    # Set directly rather than through DOT's set_token_value so that the digest-only storage
    # does not depend on COMPLIANT_BCP_RFC9700_TOKEN_STORAGE staying on.
    token._raw_token = raw
    token.save()
    return IssuedAccessToken(raw=raw, row=token, expires_in=int(lifetime.total_seconds()))


@transaction.atomic
def arrangement_access_token_issue(
    *,
    arrangement: Arrangement,
    user: User,
    scope: str,
    certificate_thumbprint: str,
    actor: audit.Actor,
    grant: str = "authorization_code",
) -> IssuedAccessToken:
    """An access token for an active arrangement, bound to `certificate_thumbprint`.

    Its lifetime is BANK_ACCESS_TOKEN_SECONDS, cut short if the sharing period ends first: a
    token never outlives its consent, and `expires_in` says so (deterministic expiry,
    CDS security/_tokens.md).
    """
    now = timezone.now()
    ends = arrangement.sharing_expires_at
    if ends is None or not _arrangement_usable(arrangement, now):
        raise InvalidGrant("The arrangement is not active.")
    lifetime = min(access_token_lifetime(), ends - now)
    lifetime = timedelta(seconds=int(lifetime.total_seconds()))
    if lifetime < timedelta(seconds=1):
        raise InvalidGrant("The arrangement is not active.")
    product = arrangement.software_product
    if product.client_id is None:
        raise InvalidGrant("The arrangement's software product has no client here.")
    issued = access_token_create(
        application_id=product.client_id, user=user, scope=scope, lifetime=lifetime
    )
    AccessTokenBinding.objects.create(
        access_token=issued.row,
        arrangement=arrangement,
        certificate_thumbprint=certificate_thumbprint,
    )
    audit.audit_record(
        actor=actor,
        event_type=ACCESS_TOKEN_REFRESHED if grant == "refresh_token" else ACCESS_TOKEN_ISSUED,
        subject_type="arrangement",
        subject_id=arrangement.pk,
        software_product_id=product.software_product_id,
        arrangement_id=arrangement.pk,
        # The certificate's thumbprint is public (it is in every token's cnf); the detector
        # notices a known client turning up with a new one.
        detail={"expires_in": issued.expires_in, "bound": bool(certificate_thumbprint),
                "cert_thumbprint": certificate_thumbprint, "grant": grant},
    )
    return issued


@transaction.atomic
def refresh_token_issue(
    *,
    arrangement: Arrangement,
    user: User,
    access_token: Any,
    actor: audit.Actor,
) -> str:
    """A refresh token that ends with the sharing period (CDS: exp = sharing duration)."""
    if arrangement.sharing_expires_at is None:
        raise InvalidGrant("The arrangement has no sharing period.")
    raw = secrets.token_urlsafe(32)
    refresh = RefreshToken(
        user=user,
        application_id=access_token.application_id,
        token="",
        access_token=access_token,
    )
    refresh._raw_token = raw  # digest only at rest, as for access tokens
    refresh.save()
    RefreshTokenContext.objects.create(
        refresh_token=refresh,
        arrangement=arrangement,
        expires_at=arrangement.sharing_expires_at,
    )
    audit.audit_record(
        actor=actor,
        event_type=REFRESH_TOKEN_ISSUED,
        subject_type="arrangement",
        subject_id=arrangement.pk,
        detail={"expires_at": arrangement.sharing_expires_at.isoformat()},
    )
    return raw


# authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6) -----------------------------------
def _pkce_s256_matches(*, code_verifier: str | None, code_challenge: str) -> bool:
    if not code_verifier or not _CODE_VERIFIER.fullmatch(code_verifier):
        return False
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(computed, code_challenge)


def _code_problem(
    *, grant: Any, context: GrantContext, redirect_uri: str | None, code_verifier: str | None
) -> str | None:
    """Why this code cannot be redeemed, or None."""
    now = timezone.now()
    if grant.is_expired() or now - grant.created > CODE_MAX_AGE:
        return "The authorization code has expired."
    # RFC 6749 §4.1.3: PAR always carries redirect_uri, so it is required and must be equal.
    if not redirect_uri or redirect_uri != grant.redirect_uri:
        return "redirect_uri does not match the authorization request."
    if grant.code_challenge_method != Grant.CODE_CHALLENGE_S256 or not grant.code_challenge:
        return "The authorization request had no S256 code_challenge."
    if not _pkce_s256_matches(code_verifier=code_verifier, code_challenge=grant.code_challenge):
        return "code_verifier does not match the code_challenge."
    if not _arrangement_usable(context.arrangement, now):
        return "The arrangement is no longer active."
    return None


def _code_replay_respond(*, code: str, actor: audit.Actor) -> None:
    """FAPI-CHECKLIST row 15 (RFC 6749 §4.1.2, §10.5): a code seen again means it leaked, so
    every token of the arrangement it was issued for is revoked. The caller refuses the
    request afterwards; this runs first and in its own transaction so the revocation stays
    even though the request fails."""
    used = (
        UsedAuthorizationCode.objects.select_related("arrangement")
        .filter(code_digest=token_digest(code))
        .first()
    )
    if used is None:
        return
    arrangement_tokens_revoke(
        arrangement=used.arrangement, actor=actor, reason="authorization_code_replayed"
    )
    audit.audit_record(
        actor=actor,
        event_type=AUTHORIZATION_CODE_REPLAYED,
        outcome=audit.Outcome.DENIED,
        subject_type="arrangement",
        subject_id=used.arrangement_id,
    )


def authorization_code_exchange(
    *,
    registration: ClientRegistration,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
    presented_thumbprint: str | None,
) -> TokenResponse:
    """Redeem a code once: access token (bound), refresh token (unless once-off), ID token.

    A failed redirect_uri/PKCE/expiry check burns the code: it is a one-shot credential and
    a wrong verifier means a broken client or someone holding a stolen code, so no second
    guess is allowed. A code presented by another client is refused without being burnt,
    so that client cannot deny the real one its exchange.

    The writes made on the way to a refusal (burning the code, revoking after a replay, the
    denial audit rows) happen outside the atomic block that issues tokens, and the token
    view *returns* the error instead of raising it, so ATOMIC_REQUESTS commits them. A
    caller that wraps this in its own transaction must do the same.
    """
    # Checked before the code is touched: a missing certificate must not burn the code.
    thumbprint = certificate_binding_thumbprint(presented_thumbprint=presented_thumbprint)
    if not code:
        raise InvalidRequest("code is required.")
    actor = _client_actor(registration)
    grant = (
        Grant.objects.select_related("context__arrangement__software_product", "user")
        .filter(code=token_digest(code))  # codes are stored as digests (authorization.py)
        .first()
    )
    context = getattr(grant, "context", None) if grant is not None else None
    if grant is None or context is None:
        _code_replay_respond(code=code, actor=actor)
        raise InvalidGrant(_INVALID_CODE)
    if (
        grant.application_id != registration.application_id
        or context.arrangement.software_product_id != registration.software_product_id
    ):
        audit.audit_record(
            actor=actor, event_type=AUTHORIZATION_CODE_REFUSED, outcome=audit.Outcome.DENIED,
            subject_type="arrangement", subject_id=context.arrangement_id,
            detail={"reason": "another client's code"},
        )
        raise InvalidGrant(_INVALID_CODE)
    problem = _code_problem(
        grant=grant, context=context, redirect_uri=redirect_uri, code_verifier=code_verifier
    )
    if problem is not None:
        Grant.objects.filter(pk=grant.pk).delete()
        audit.audit_record(
            actor=actor, event_type=AUTHORIZATION_CODE_REFUSED, outcome=audit.Outcome.DENIED,
            subject_type="arrangement", subject_id=context.arrangement_id,
            detail={"reason": problem},
        )
        raise InvalidGrant(problem)
    try:
        return _code_redeem(
            grant=grant, context=context, registration=registration, thumbprint=thumbprint,
            actor=actor,
        )
    except IntegrityError:
        # A concurrent request redeemed the same code first (UsedAuthorizationCode is
        # unique): that is a replay too.
        _code_replay_respond(code=code, actor=actor)
        raise InvalidGrant(_INVALID_CODE) from None


@transaction.atomic
def _code_redeem(
    *,
    grant: Any,
    context: GrantContext,
    registration: ClientRegistration,
    thumbprint: str,
    actor: audit.Actor,
) -> TokenResponse:
    # The digest row is the single-use lock: its unique constraint makes a concurrent
    # second redemption fail here, and it outlives the Grant to recognise a replay.
    UsedAuthorizationCode.objects.create(
        code_digest=grant.code, arrangement_id=context.arrangement_id  # already the digest
    )
    deleted, _ = Grant.objects.filter(pk=grant.pk).delete()
    if not deleted:
        raise IntegrityError("authorization code already redeemed")
    # The amendment hand-over (security.oauth.authorization): with `replaces` set it revokes
    # the old arrangement's tokens, supersedes it and gives the new row its
    # cdr_arrangement_id (CDS: the ID stays, the old tokens go only after the new
    # authorisation succeeds). Here, in the redeeming transaction and before any token is
    # issued, so an amendment that fails leaves the old tokens alone.
    arrangement = authorization_amendment_complete(grant_context=context, actor=actor)
    authorization_code_redeemed(grant_context=context)
    scope = arrangement.scope
    access = arrangement_access_token_issue(
        arrangement=arrangement, user=grant.user, scope=scope,
        certificate_thumbprint=thumbprint, actor=actor,
    )
    refresh = None
    if context.sharing_duration > 0:
        refresh = refresh_token_issue(
            arrangement=arrangement, user=grant.user, access_token=access.row, actor=actor
        )
    id_token = None
    if "openid" in arrangement.scopes:
        id_token = id_token_sign(
            registration=registration, user=grant.user, auth_time=context.auth_time,
            acr=context.acr, nonce=grant.nonce, lifetime=access_token_lifetime(),
        )
    audit.audit_record(
        actor=actor, event_type=AUTHORIZATION_CODE_REDEEMED,
        subject_type="arrangement", subject_id=arrangement.pk,
        detail={"refresh_token_issued": refresh is not None},
    )
    return TokenResponse(
        access_token=access.raw, expires_in=access.expires_in, scope=scope,
        refresh_token=refresh, id_token=id_token,
        cdr_arrangement_id=arrangement.cdr_arrangement_id,
    )


# refresh_token (RFC 6749 §6) -----------------------------------------------------------
def _live_refresh_token(
    *, registration: ClientRegistration, raw: str
) -> tuple[Any, RefreshTokenContext] | None:
    """The caller's own, unrevoked, unexpired refresh token of a usable arrangement."""
    refresh = unique_row(
        RefreshToken.objects.select_related(
            "context__arrangement__software_product__recipient", "user")
        .filter(
            token_checksum=token_digest(raw),
            application_id=registration.application_id,
            revoked__isnull=True,
        )
    )
    context = getattr(refresh, "context", None) if refresh is not None else None
    if refresh is None or context is None:
        return None
    now = timezone.now()
    if context.expires_at <= now or not _arrangement_usable(context.arrangement, now):
        return None
    # A product suspended (by the register or locally by staff) is refused here too, so
    # introspection reports its refresh tokens inactive and refresh fails.
    if not context.arrangement.software_product.is_active:
        return None
    return refresh, context


def _refresh_refusal_reason(*, registration: ClientRegistration, raw: str) -> str:
    """Why a refresh token was refused, for the audit trail (the caller sees one answer)."""
    from security.oauth.revocations import revoked_token_find

    digest = token_digest(raw)
    if revoked_token_find(digest) is not None:
        return "revoked"
    row = (RefreshToken.objects.filter(token_checksum=digest)
           .values_list("application_id", "revoked", "context__expires_at").first())
    if row is None:
        return "unknown"
    application_id, revoked, expires_at = row
    if application_id != registration.application_id:
        return "other_client"
    if revoked is not None:
        return "revoked"
    if expires_at is None or expires_at <= timezone.now():
        return "expired"
    return "arrangement_inactive"


def refresh_token_exchange(
    *,
    registration: ClientRegistration,
    refresh_token: str | None,
    scope: str | None,
    presented_thumbprint: str | None,
) -> TokenResponse:
    """A new access token; the same refresh token back (CDS: MUST NOT rotate).

    No ID token: OIDC Core §12.2 lets a refresh response omit it, and one issued now would
    need the original authentication's auth_time and acr (§12.2), which are kept only with
    the code (GrantContext) and go with it.

    The new access token is bound to the certificate of *this* request: the refresh token
    itself is sender-constrained by client authentication (RFC 8705 §4 leaves refresh-token
    binding optional for confidential clients), which lets a recipient roll its transport
    certificate without re-consent.
    """
    thumbprint = certificate_binding_thumbprint(presented_thumbprint=presented_thumbprint)
    if not refresh_token:
        raise InvalidRequest("refresh_token is required.")
    live = _live_refresh_token(registration=registration, raw=refresh_token)
    if live is None:
        raise InvalidGrant(_INVALID_REFRESH,
                           reason=_refresh_refusal_reason(registration=registration,
                                                          raw=refresh_token))
    refresh, context = live
    arrangement = context.arrangement
    granted = arrangement.scopes
    if scope is None:
        scopes = granted
    else:
        # RFC 6749 §6: a narrower scope may be asked for, never a wider one.
        scopes = frozenset(scope.split())
        if not scopes or not scopes <= granted:
            raise InvalidScope("The scope exceeds what the arrangement grants.")
    actor = _client_actor(registration)
    with transaction.atomic():
        access = arrangement_access_token_issue(
            arrangement=arrangement, user=refresh.user, scope=" ".join(sorted(scopes)),
            certificate_thumbprint=thumbprint, actor=actor, grant="refresh_token",
        )
        # DOT's one-to-one link follows the latest access token; older ones stay valid
        # until they expire and are found through their binding to the arrangement.
        refresh.access_token = access.row
        refresh.save(update_fields=["access_token", "updated"])
    return TokenResponse(
        access_token=access.raw, expires_in=access.expires_in, scope=access.row.scope,
        refresh_token=refresh_token, cdr_arrangement_id=arrangement.cdr_arrangement_id,
    )


# client_credentials (RFC 6749 §4.4) ----------------------------------------------------
@transaction.atomic
def client_credentials_exchange(
    *,
    registration: ClientRegistration,
    scope: str | None,
    presented_thumbprint: str | None,
) -> TokenResponse:
    """A token for managing the client's own registration, and nothing else.

    It has no arrangement (no AccessTokenBinding), so the CDR resource API refuses it
    (security.consent.access: Authorisation/InvalidConsent). No refresh token (RFC 6749
    §4.4.3, CDS client authentication).
    """
    # The token endpoint's transport rule holds for every grant; this token's binding lives
    # in ClientTokenBinding (AccessTokenBinding is for tokens of an arrangement).
    thumbprint = certificate_binding_thumbprint(presented_thumbprint=presented_thumbprint)
    if frozenset((scope or "").split()) != {CDR_REGISTRATION_SCOPE}:
        raise InvalidScope(f"client_credentials is only for the {CDR_REGISTRATION_SCOPE} scope.")
    if CDR_REGISTRATION_SCOPE not in registration.scope.split():
        raise InvalidScope(f"The registration does not include {CDR_REGISTRATION_SCOPE}.")
    issued = access_token_create(
        application_id=registration.application_id, user=None, scope=CDR_REGISTRATION_SCOPE,
        lifetime=access_token_lifetime(),
    )
    ClientTokenBinding.objects.create(
        access_token=issued.row, certificate_thumbprint=thumbprint
    )
    audit.audit_record(
        actor=_client_actor(registration), event_type=CLIENT_TOKEN_ISSUED,
        subject_type="client", subject_id=registration.client_id,
        detail={"scope": CDR_REGISTRATION_SCOPE, "expires_in": issued.expires_in,
                "cert_thumbprint": thumbprint},
    )
    return TokenResponse(
        access_token=issued.raw, expires_in=issued.expires_in, scope=CDR_REGISTRATION_SCOPE
    )


# Revocation (RFC 7009) and introspection (RFC 7662) ------------------------------------
@transaction.atomic
def arrangement_tokens_revoke(
    *, arrangement: Arrangement, actor: audit.Actor, reason: str
) -> None:
    """Every access and refresh token of the arrangement; the arrangement itself stays."""
    access, _ = AccessToken.objects.filter(binding__arrangement=arrangement).delete()
    refresh, _ = RefreshToken.objects.filter(context__arrangement=arrangement).delete()
    audit.audit_record(
        actor=actor, event_type=ARRANGEMENT_TOKENS_REVOKED,
        subject_type="arrangement", subject_id=arrangement.pk,
        detail={"reason": reason, "deleted_rows": access + refresh},
    )


@transaction.atomic
def token_revoke(
    *, registration: ClientRegistration, token: str, token_type_hint: str | None
) -> None:
    """RFC 7009 §2.1: revoke the caller's own access or refresh token; otherwise nothing.

    - A refresh token takes every access token of its arrangement with it (§2.1 SHOULD:
      "all access tokens based on the same authorization grant").
    - An access token goes alone (§2.1 MAY revoke the refresh token; we do not). With no
      rotation the refresh token is the arrangement's lifeline; ending sharing is what the
      CDR arrangement revocation endpoint is for, and an access-token clean-up must not
      silently do it.
    - Another client's token, an unknown one or an unknown hint: nothing happens and the
      caller still gets 200 (§2.2). Answering differently would tell a client whether a
      string it holds is someone else's live token.
    """
    digest = token_digest(token)
    actor = _client_actor(registration)
    lookups = (_access_token_revoke, _refresh_token_revoke)
    if token_type_hint == "refresh_token":  # noqa: S105 - an RFC 7009 hint value
        lookups = (_refresh_token_revoke, _access_token_revoke)
    for revoke in lookups:
        if revoke(registration=registration, digest=digest, actor=actor):
            return


def _access_token_revoke(
    *, registration: ClientRegistration, digest: str, actor: audit.Actor
) -> bool:
    deleted, _ = AccessToken.objects.filter(
        token_checksum=digest, application_id=registration.application_id
    ).delete()
    if deleted:
        audit.audit_record(
            actor=actor, event_type=TOKEN_REVOKED, subject_type="client",
            subject_id=registration.client_id, detail={"token_type": "access_token"},
        )
    return bool(deleted)


def _refresh_token_revoke(
    *, registration: ClientRegistration, digest: str, actor: audit.Actor
) -> bool:
    refresh = (
        RefreshToken.objects.select_related("context")
        .filter(token_checksum=digest, application_id=registration.application_id,
                revoked__isnull=True)
        .first()
    )
    if refresh is None:
        return False
    context = getattr(refresh, "context", None)
    if context is not None:
        AccessToken.objects.filter(
            binding__arrangement_id=context.arrangement_id,
            application_id=registration.application_id,
        ).delete()
    elif refresh.access_token_id is not None:
        AccessToken.objects.filter(pk=refresh.access_token_id).delete()
    refresh.delete()
    audit.audit_record(
        actor=actor, event_type=TOKEN_REVOKED, subject_type="client",
        subject_id=registration.client_id, detail={"token_type": "refresh_token"},
    )
    return True


def refresh_token_introspect(
    *, registration: ClientRegistration, token: str
) -> dict[str, bool | int | str]:
    """RFC 7662 §2.2 for the caller's own live refresh token; `{"active": false}` for
    anything else, access and ID tokens included (CDS: MUST NOT be introspectable).
    Never `username` (CDS)."""
    live = _live_refresh_token(registration=registration, raw=token)
    if live is None:
        return {"active": False}
    _, context = live
    return {
        "active": True,
        "exp": int(context.expires_at.timestamp()),
        "scope": context.arrangement.scope,
        "cdr_arrangement_id": context.arrangement.cdr_arrangement_id,
    }


# Arrangement revocation ----------------------------------------------------------------
@transaction.atomic
def arrangement_revoke_by_recipient(
    *, registration: ClientRegistration, cdr_arrangement_id: str | None
) -> Arrangement:
    """CDS cdr_arrangement_revocation endpoint: the recipient withdraws the consent.

    Only the calling software product's own arrangements; unknown, someone else's or already
    ended -> 422 Authorisation/InvalidArrangement (the same answer, so IDs cannot be probed).
    No notification goes back: CDS exempts withdrawals initiated by the recipient.
    """
    arrangement = None
    if cdr_arrangement_id:
        arrangement = (
            Arrangement.objects.select_for_update()
            .filter(
                cdr_arrangement_id=cdr_arrangement_id,
                software_product_id=registration.software_product_id,
            )
            .first()
        )
    if arrangement is None or arrangement.status in (
        ArrangementStatus.REVOKED,
        ArrangementStatus.EXPIRED,
    ):
        raise InvalidArrangementError(
            "The cdr_arrangement_id is unknown, not this client's, or already ended."
        )
    return _arrangement_revoke(arrangement=arrangement, actor=_client_actor(registration))


def _arrangement_revoke(*, arrangement: Arrangement, actor: audit.Actor) -> Arrangement:
    # The consent service deletes the access tokens; refresh tokens are ours to remove
    # (CDS: "Consent revocation MUST also revoke associated refresh and/or access tokens").
    consent_services.arrangement_revoke(arrangement=arrangement, actor=actor)
    RefreshToken.objects.filter(context__arrangement=arrangement).delete()
    return arrangement


@transaction.atomic
def arrangement_revoke_by_holder(*, arrangement: Arrangement, actor: audit.Actor) -> Arrangement:
    """The customer (or staff) withdrew the consent at the bank: revoke it and its tokens,
    then tell the recipient (CDS: the holder MUST call <RecipientBaseUri>/arrangements/revoke).

    The notice is queued only after commit: a rolled-back revocation must not be announced,
    and the task gets the arrangement's pk only, never a token.
    """
    locked = Arrangement.objects.select_for_update().get(pk=arrangement.pk)
    if locked.status == ArrangementStatus.REVOKED:
        return locked
    _arrangement_revoke(arrangement=locked, actor=actor)
    transaction.on_commit(lambda: arrangement_revocation_notify.delay(locked.pk))
    return locked
