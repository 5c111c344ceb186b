"""The authorization in progress: from the browser's arrival at /authorize to the code.

OIDC Core §3.1.2 (authorization endpoint) with RFC 9126 §4 (request_uri from PAR), FAPI 1.0
Advanced §5.2.2, CDS security/_request_object.md (sharing_duration, cdr_arrangement_id).

The hand-over contract. The authorize view calls `authorization_start`; the consent pages (the
next issue) serve `CONSENT_START_PATH` (security/oauth/views/authorize.py) and use only:

- `authorization_pending_get(*, handle)` -> `PendingAuthorization`: what to show the customer.
- `authorization_decide(*, handle, user, approved, account_ids, acr, auth_time)` -> the URL to
  send the browser to with a 303 (`security.oauth.jarm.see_other`). A decline may pass
  `user=None` (the customer cancelled before logging in).

Both raise `AuthorizationUnavailable` (unknown, expired or already decided handle: show an
error page, never redirect); `authorization_decide` raises `AuthorizationDecisionInvalid` when
its inputs are wrong (accounts the customer does not hold, an acr below what was essential, a
login without a customer) and then leaves the request pending, so the page can ask again.
The token endpoint calls `authorization_amendment_complete` when it redeems a code.

Amending an arrangement (request object claim `cdr_arrangement_id`). The CDS asks for two
things at once: the recipient keeps the same cdr_arrangement_id, and the old arrangement's
tokens are revoked "only after successful authorisation", once a new set of tokens has been
provided. The design:

1. PAR accepts the ID only for an ACTIVE arrangement of the same software product.
2. `authorization_decide` checks that it belongs to the customer who just logged in (else the
   recipient gets `access_denied`, see below), then creates the NEW terms as a new Arrangement
   row (new scopes, accounts and sharing period; a fresh, never-disclosed ID) and records the
   old row in `GrantContext.replaces`. The old arrangement and its tokens are untouched: if
   the code is never redeemed, nothing the recipient holds has changed.
3. `authorization_amendment_complete`, called by the token endpoint in the transaction that
   redeems the code, before it issues tokens: revokes the old row's access and refresh tokens,
   marks the old row REVOKED (superseded), renames its ID to `superseded:<uuid>` and gives the
   new row the original cdr_arrangement_id. The recipient sees one arrangement whose ID never
   changed; the bank keeps each consent version as its own row, the record of what was
   agreed when (the CDR Rules' record keeping).
   It does not call `arrangement_revoke`: a supersession is not a revocation, and nothing that
   may later hang off revocation (notifying the recipient's revocation endpoint) may fire for
   an ID that lives on.
   If the old arrangement stopped being ACTIVE meanwhile (the customer withdrew it), the code
   is refused with invalid_grant rather than resurrecting a withdrawn ID.

Between steps 2 and 3 (at most the code's 60 s, or forever if the code is never redeemed) the
new row is ACTIVE with no tokens and an ID nobody outside the bank has seen; so is any
approved arrangement whose code is never redeemed. Views of a customer's arrangements should
leave out rows that are some GrantContext's unredeemed `arrangement`, and a housekeeping task
may revoke them once the code has expired.

Why `access_denied` when the arrangement is another customer's: `invalid_request` with a reason
would tell the recipient that the person who just logged in is not the consumer it holds the
arrangement for, a cross-consumer signal the bank has no need to give. `access_denied` says only
that this authorization did not happen.

Audit: AUTHORIZATION_APPROVED / AUTHORIZATION_DECLINED (actor: the customer; subject: the
arrangement, or the authorization request when there is none) and ARRANGEMENT_AMENDED. No
code, state, nonce or cdr_arrangement_id goes into the trail.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from accounts.models import Account, Customer, User
from accounts.selectors import accounts_eligible_for_sharing
from security import audit
from security.consent.models import Arrangement, ArrangementStatus
from security.consent.services import arrangement_create
from security.crypto import token_digest
from security.oauth.errors import InvalidGrant, InvalidRequest, InvalidRequestUri
from security.oauth.jarm import jarm_redirect_url
from security.oauth.models import (
    AuthorizationRequest,
    ClientRegistration,
    GrantContext,
    PushedAuthorizationRequest,
)
from security.oauth.request_object import SUPPORTED_ACR, AuthorizationParameters

AUTHORIZATION_REQUEST_LIFETIME = timedelta(minutes=10)
#: FAPI 2.0 5.3.2.1-11 / FAPI-CHECKLIST row 16: at most 60 s.
AUTHORIZATION_CODE_LIFETIME = timedelta(seconds=60)
#: An auth_time this far in the future is a clock problem, not a login.
AUTH_TIME_SKEW = timedelta(seconds=10)
#: CDS: reading CDR data needs LoA 2 at least.
MINIMUM_ACR = "urn:cds.au:cdr:2"

AUTHORIZATION_APPROVED = "AUTHORIZATION_APPROVED"
AUTHORIZATION_DECLINED = "AUTHORIZATION_DECLINED"
ARRANGEMENT_AMENDED = "ARRANGEMENT_AMENDED"

#: Parameters OIDC Core §6.1 makes clients repeat outside the request object ("values for
#: the response_type and client_id parameters MUST be included using the OAuth 2.0 request
#: syntax"; "a scope parameter MUST always be passed ... containing the openid scope value"),
#: plus redirect_uri (RFC 6749 §3.1.2.3). The OpenID conformance suite sends all of them with
#: PAR, and the CDS authorisation example sends `scope=openid`. They are never used: each must
#: agree with the pushed request or the request fails.
TOLERATED_DUPLICATES = frozenset({"response_type", "scope", "redirect_uri"})


class AuthorizationError(Exception):
    """Base of everything the hand-over raises."""


class AuthorizationUnavailable(AuthorizationError):
    """No pending authorization for this handle: show an error page, do not redirect."""


class AuthorizationNotFound(AuthorizationUnavailable):
    pass


class AuthorizationExpired(AuthorizationUnavailable):
    pass


class AuthorizationAlreadyDecided(AuthorizationUnavailable):
    pass


class AuthorizationDecisionInvalid(AuthorizationError):
    """The decision's inputs are not acceptable; the authorization stays pending."""


@dataclass(frozen=True)
class PendingAuthorization:
    """What the consent pages show and ask about. Holds no secret and no redirect URI."""

    handle: str
    #: scheme://host[:port] of the redirect URI, for the pages' CSP `form-action` (the
    #: decision's 303 goes there); the full URI, with its path, stays with the server.
    redirect_origin: str
    client_id: str
    client_name: str
    software_product_id: str
    software_product_name: str
    recipient_name: str
    #: Scopes to ask the customer about (openid/profile included), sorted.
    scopes: tuple[str, ...]
    #: Seconds, capped at a year; 0 = once-off (an access token only).
    sharing_duration: int
    #: The recipient asked to amend one of its existing arrangements with this customer.
    amends_arrangement: bool
    #: Requested levels of assurance, supported ones only, in the recipient's order.
    requested_acr: tuple[str, ...]
    acr_essential: bool
    expires_at: datetime

    @property
    def once_off(self) -> bool:
        return self.sharing_duration == 0


# --- /authorize ----------------------------------------------------------------------------


def authorization_start(
    *, client_id: str, request_uri: str, duplicates: Mapping[str, str]
) -> AuthorizationRequest:
    """Consume the pushed request behind `request_uri` and open an authorization for it.

    RFC 9126 §4: the request_uri must be this client's, unexpired and never used before. It is
    consumed by a conditional UPDATE (one winner even under concurrent use) before anything
    else is checked, so a request that fails later cannot be retried with the same URI; a
    request_uri presented with another client's id is not consumed (its owner may still use
    it). Not @transaction.atomic on purpose: the consumption must survive a later failure (the
    view returns an error page, so the request transaction commits).
    """
    now = timezone.now()
    consumed = PushedAuthorizationRequest.objects.filter(
        request_uri=request_uri,
        registration__application__client_id=client_id,
        registration__status=ClientRegistration.Status.ACTIVE,
        used_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now)
    if consumed != 1:
        raise InvalidRequestUri("The request_uri is unknown, expired, used or not this client's.")
    pushed = PushedAuthorizationRequest.objects.select_related(
        "registration__software_product__recipient"
    ).get(request_uri=request_uri)
    if not pushed.registration.software_product.is_active:
        raise InvalidRequest("The client may not request authorizations now.")
    _check_duplicates(AuthorizationParameters.from_json(pushed.parameters), duplicates)
    return AuthorizationRequest.objects.create(
        handle=secrets.token_urlsafe(32),
        pushed=pushed,
        expires_at=now + AUTHORIZATION_REQUEST_LIFETIME,
    )


def _check_duplicates(params: AuthorizationParameters, duplicates: Mapping[str, str]) -> None:
    unexpected = set(duplicates) - TOLERATED_DUPLICATES
    if unexpected:
        raise InvalidRequest("Authorization parameters must be sent in the pushed request only.")
    if "response_type" in duplicates and duplicates["response_type"] != params.response_type:
        raise InvalidRequest("response_type differs from the pushed request.")
    if "redirect_uri" in duplicates and duplicates["redirect_uri"] != params.redirect_uri:
        raise InvalidRequest("redirect_uri differs from the pushed request.")
    if "scope" in duplicates:
        scope = duplicates["scope"].split()
        if "openid" not in scope or not set(scope) <= set(params.requested_scopes):
            raise InvalidRequest("scope differs from the pushed request.")


# --- the consent pages' hand-over ----------------------------------------------------------


def authorization_pending_get(*, handle: str) -> PendingAuthorization:
    """The pending authorization behind `handle`, or AuthorizationUnavailable."""
    authorization = (
        AuthorizationRequest.objects.select_related(
            "pushed__registration__application",
            "pushed__registration__software_product__recipient",
        )
        .filter(handle=handle)
        .first()
    )
    authorization = _pending(authorization, timezone.now())
    params = AuthorizationParameters.from_json(authorization.pushed.parameters)
    registration = authorization.pushed.registration
    product = registration.software_product
    return PendingAuthorization(
        handle=authorization.handle,
        redirect_origin=_origin(params.redirect_uri),
        client_id=registration.client_id,
        client_name=registration.application.name,
        software_product_id=product.software_product_id,
        software_product_name=product.name,
        recipient_name=product.recipient.legal_entity_name,
        scopes=params.scopes,
        sharing_duration=params.sharing_duration,
        amends_arrangement=params.cdr_arrangement_id is not None,
        requested_acr=params.acr_values,
        acr_essential=params.acr_essential,
        expires_at=authorization.expires_at,
    )


#: The consent pages' stages, in order; `authorization_stage_record` only moves forward.
_PAGE_STAGES = (
    AuthorizationRequest.Stage.IDENTIFICATION,
    AuthorizationRequest.Stage.AUTHENTICATION,
    AuthorizationRequest.Stage.ACCOUNT_SELECTION,
    AuthorizationRequest.Stage.AUTHORISATION,
)


def authorization_stage_record(*, handle: str, stage: AuthorizationRequest.Stage) -> None:
    """Note how far the customer got (for the abandonment metrics). Forward only, and only
    while the authorization is pending: a late or replayed page cannot rewrite history."""
    if stage not in _PAGE_STAGES:
        raise ValueError(f"The consent pages do not record {stage}.")
    earlier = _PAGE_STAGES[: _PAGE_STAGES.index(stage)]
    AuthorizationRequest.objects.filter(
        handle=handle, status=AuthorizationRequest.Status.PENDING, stage__in=earlier,
        expires_at__gt=timezone.now(),
    ).update(stage=stage)


@dataclass(frozen=True)
class AmendedArrangement:
    """What the customer already shares under the arrangement a request wants to amend."""

    scopes: tuple[str, ...]
    account_ids: frozenset[int]
    sharing_expires_at: datetime | None
    created_at: datetime


def authorization_amended_arrangement(*, handle: str, user: User) -> AmendedArrangement | None:
    """For an amending request, the current terms of the arrangement it amends, if it is this
    customer's and still active; else None (a request for someone else's arrangement shows
    as a new consent, and `authorization_decide` refuses it with access_denied)."""
    pending = authorization_pending_get(handle=handle)
    if not pending.amends_arrangement or user.customer_id is None:
        return None
    authorization = AuthorizationRequest.objects.select_related(
        "pushed__registration__software_product").get(handle=handle)
    params = AuthorizationParameters.from_json(authorization.pushed.parameters)
    arrangement = (
        Arrangement.objects.filter(
            cdr_arrangement_id=params.cdr_arrangement_id,
            software_product=authorization.pushed.registration.software_product,
            customer_id=user.customer_id, status=ArrangementStatus.ACTIVE,
        ).prefetch_related("accounts").first()
    )
    if arrangement is None or arrangement.is_expired():
        return None
    return AmendedArrangement(
        scopes=tuple(sorted(arrangement.scope.split())),
        account_ids=frozenset(account.pk for account in arrangement.accounts.all()),
        sharing_expires_at=arrangement.sharing_expires_at,
        created_at=arrangement.created_at,
    )


@transaction.atomic
def authorization_decide(
    *,
    handle: str,
    user: User | None,
    approved: bool,
    account_ids: list[int],
    acr: str,
    auth_time: datetime,
) -> str:
    """Record the customer's decision; the JARM redirect URL for the browser (send a 303).

    `user` is the login that authenticated at `acr` (urn:cds.au:cdr:2 or :3) at `auth_time`;
    `account_ids` are internal Account keys the customer selected. A decline may come before
    any login (the customer cancels on the login page): `user=None` is accepted only then,
    and `account_ids`, `acr` and `auth_time` are ignored. Single use: a second call for the
    same handle raises AuthorizationAlreadyDecided.
    """
    now = timezone.now()
    authorization = _claim(handle, now, approved=approved)
    pushed = authorization.pushed
    registration = pushed.registration
    params = AuthorizationParameters.from_json(pushed.parameters)

    if not approved:
        customer_id = user.customer_id if user is not None else None
        actor = (
            audit.Actor(audit.ActorType.CUSTOMER, str(customer_id))
            if customer_id is not None
            else audit.Actor(audit.ActorType.ANONYMOUS)
        )
        _audit_declined(actor, authorization, registration, reason="customer_declined")
        AuthorizationRequest.objects.filter(pk=authorization.pk).update(
            stage=AuthorizationRequest.Stage.REJECTED
        )
        return _error_url(registration, params, "access_denied", "The customer declined.")

    customer = _customer_of(user)
    actor = audit.Actor(audit.ActorType.CUSTOMER, str(customer.pk))
    _check_authentication(params, acr, auth_time, now)
    accounts = _selected_accounts(customer, account_ids, params)
    product = registration.software_product
    if registration.status != ClientRegistration.Status.ACTIVE or not product.is_active:
        return _refuse(authorization, actor, registration, params, "unauthorized_client",
                       "The client may not receive authorizations now.", "recipient_inactive")
    replaces = None
    if params.cdr_arrangement_id is not None:
        replaces = _amendable(params.cdr_arrangement_id, product.pk, customer)
        if replaces is None:
            return _refuse(authorization, actor, registration, params, "access_denied",
                           "The arrangement cannot be amended.", "amendment_refused")

    sharing_expires_at = (
        now + timedelta(seconds=params.sharing_duration) if params.sharing_duration else None
    )
    try:
        arrangement = arrangement_create(
            customer=customer, user=user, software_product=product, scopes=params.scopes,
            accounts=accounts, sharing_expires_at=sharing_expires_at, actor=actor,
        )
    except ValidationError as exc:
        raise AuthorizationDecisionInvalid("The arrangement could not be created.") from exc
    code = secrets.token_urlsafe(32)  # 256 bits (FAPI-CHECKLIST row 25)
    grant = Grant.objects.create(
        user=user,
        # Digest at rest, like every token: the raw code leaves only in the JARM response.
        code=token_digest(code),
        application=registration.application,
        expires=now + AUTHORIZATION_CODE_LIFETIME,
        redirect_uri=params.redirect_uri,
        scope=params.scope,
        code_challenge=params.code_challenge,
        code_challenge_method=Grant.CODE_CHALLENGE_S256,
        nonce=params.nonce,
        claims=json.dumps(params.claims),
    )
    GrantContext.objects.create(
        grant=grant, arrangement=arrangement, auth_time=auth_time, acr=acr,
        sharing_duration=params.sharing_duration, replaces=replaces,
        authorization_request=authorization,
    )
    AuthorizationRequest.objects.filter(pk=authorization.pk).update(
        stage=AuthorizationRequest.Stage.CODE_ISSUED
    )
    audit.audit_record(
        actor=actor,
        event_type=AUTHORIZATION_APPROVED,
        subject_type="arrangement",
        subject_id=arrangement.pk,
        detail={
            "software_product_id": product.software_product_id,
            "scopes": list(params.scopes),
            "accounts": len(accounts),
            "sharing_duration": params.sharing_duration,
            "acr": acr,
            "amends_arrangement": replaces.pk if replaces is not None else None,
        },
    )
    return jarm_redirect_url(
        registration=registration, redirect_uri=params.redirect_uri, state=params.state,
        code=code,
    )


_ORIGIN = re.compile(r"https?://(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?")


def _origin(uri: str) -> str:
    """scheme://host[:port] of a redirect URI, rebuilt from its parts (never its userinfo)
    and allow-listed, since it goes into a CSP header: "" if it has anything unusual."""
    parts = urlsplit(uri)
    try:
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    return origin if _ORIGIN.fullmatch(origin) else ""


def _pending(authorization: AuthorizationRequest | None, now: datetime) -> AuthorizationRequest:
    if authorization is None:
        raise AuthorizationNotFound("No such authorization.")
    if authorization.status != AuthorizationRequest.Status.PENDING:
        raise AuthorizationAlreadyDecided("This authorization has already been decided.")
    if authorization.expires_at <= now:
        raise AuthorizationExpired("This authorization has expired.")
    return authorization


def _claim(handle: str, now: datetime, *, approved: bool) -> AuthorizationRequest:
    """Mark the authorization decided, or raise: exactly one decision ever wins.

    A conditional UPDATE, so two concurrent decisions cannot both pass (the loser's
    transaction rolls back whatever it created). A refusal later in the same decision
    rewrites the status to DECLINED.
    """
    statuses = AuthorizationRequest.Status
    status = statuses.APPROVED if approved else statuses.DECLINED
    claimed = AuthorizationRequest.objects.filter(
        handle=handle, status=AuthorizationRequest.Status.PENDING, expires_at__gt=now
    ).update(status=status, decided_at=now)
    authorization = (
        AuthorizationRequest.objects.select_related(
            "pushed__registration__application",
            "pushed__registration__software_product__recipient",
        )
        .filter(handle=handle)
        .first()
    )
    if claimed != 1:
        _pending(authorization, now)  # raises the precise reason
        raise AuthorizationAlreadyDecided("This authorization has already been decided.")
    if authorization is None:  # pragma: no cover - the UPDATE just matched it
        raise AuthorizationNotFound("No such authorization.")
    return authorization


def _customer_of(user: User | None) -> Customer:
    customer = user.customer if user is not None and user.is_active else None
    if customer is None:
        raise AuthorizationDecisionInvalid("Only an active customer login can approve.")
    return customer


def _acr_rank(acr: str) -> int:
    return SUPPORTED_ACR.index(acr)


def _check_authentication(
    params: AuthorizationParameters, acr: str, auth_time: datetime, now: datetime
) -> None:
    if acr not in SUPPORTED_ACR or _acr_rank(acr) < _acr_rank(MINIMUM_ACR):
        raise AuthorizationDecisionInvalid("The authentication level is not acceptable.")
    # OIDC Core §5.5.1.1: an essential acr not met is a failed authentication. A higher
    # level than the lowest requested one satisfies it (LoA 3 includes LoA 2).
    if params.acr_essential and _acr_rank(acr) < min(map(_acr_rank, params.acr_values)):
        raise AuthorizationDecisionInvalid("The customer must authenticate at a higher level.")
    if timezone.is_naive(auth_time) or auth_time > now + AUTH_TIME_SKEW:
        raise AuthorizationDecisionInvalid("auth_time must be an aware time in the past.")


def _selected_accounts(
    customer: Customer, account_ids: list[int], params: AuthorizationParameters
) -> list[Account]:
    wanted = set(account_ids)
    accounts = list(accounts_eligible_for_sharing(customer=customer).filter(pk__in=wanted))
    if len(accounts) != len(wanted):
        raise AuthorizationDecisionInvalid("A customer can share only open accounts they hold.")
    if not accounts and any(scope.startswith("bank:") for scope in params.scopes):
        raise AuthorizationDecisionInvalid("Banking data needs at least one account.")
    return accounts


def _amendable(cdr_arrangement_id: str, product_pk: int, customer: Customer) -> Arrangement | None:
    """The arrangement to amend, if it is still this customer's, this product's and active."""
    arrangement = (
        Arrangement.objects.select_for_update()
        .filter(cdr_arrangement_id=cdr_arrangement_id, software_product_id=product_pk)
        .first()
    )
    if (
        arrangement is None
        or arrangement.customer_id != customer.pk
        or arrangement.status != ArrangementStatus.ACTIVE
        or arrangement.is_expired()
    ):
        return None
    return arrangement


def _error_url(
    registration: ClientRegistration, params: AuthorizationParameters, error: str, description: str
) -> str:
    return jarm_redirect_url(
        registration=registration, redirect_uri=params.redirect_uri, state=params.state,
        error=error, error_description=description,
    )


def _refuse(
    authorization: AuthorizationRequest,
    actor: audit.Actor,
    registration: ClientRegistration,
    params: AuthorizationParameters,
    error: str,
    description: str,
    reason: str,
) -> str:
    """The server, not the customer, turns the authorization down: DECLINED, audited."""
    AuthorizationRequest.objects.filter(pk=authorization.pk).update(
        status=AuthorizationRequest.Status.DECLINED
    )
    _audit_declined(actor, authorization, registration, reason=reason)
    return _error_url(registration, params, error, description)


def _audit_declined(
    actor: audit.Actor,
    authorization: AuthorizationRequest,
    registration: ClientRegistration,
    *,
    reason: str,
) -> None:
    audit.audit_record(
        actor=actor,
        event_type=AUTHORIZATION_DECLINED,
        outcome=audit.Outcome.DENIED,
        subject_type="authorization_request",
        subject_id=authorization.pk,
        detail={
            "software_product_id": registration.software_product.software_product_id,
            "reason": reason,
        },
    )


# --- the token endpoint's part -------------------------------------------------------------


def authorization_code_redeemed(*, grant_context: GrantContext) -> None:
    """The code became tokens: the authorization is complete (not abandoned)."""
    if grant_context.authorization_request_id is not None:
        AuthorizationRequest.objects.filter(pk=grant_context.authorization_request_id).update(
            stage=AuthorizationRequest.Stage.COMPLETED
        )


@transaction.atomic
def authorization_amendment_complete(
    *, grant_context: GrantContext, actor: audit.Actor
) -> Arrangement:
    """The arrangement to issue tokens for, after applying an amendment if this code makes one.

    The token endpoint calls this in the transaction that redeems the code, before it issues
    tokens (see the module docstring). Without `replaces` it returns the code's arrangement.
    Raises InvalidGrant if the arrangement being amended is no longer active.
    """
    new = Arrangement.objects.select_for_update().get(pk=grant_context.arrangement_id)
    if grant_context.replaces_id is None:
        return new
    old = Arrangement.objects.select_for_update().filter(pk=grant_context.replaces_id).first()
    if (
        old is None
        or old.status != ArrangementStatus.ACTIVE
        or old.is_expired()
        or old.customer_id != new.customer_id
        or old.software_product_id != new.software_product_id
        or new.status != ArrangementStatus.ACTIVE
    ):
        raise InvalidGrant("The arrangement being amended is no longer active.")
    now = timezone.now()
    live = RefreshToken.objects.filter(context__arrangement=old, revoked__isnull=True)
    for refresh_token in live:
        refresh_token.revoke()  # DOT's revoke also removes the access token it was issued with
    AccessToken.objects.filter(binding__arrangement=old).delete()
    cdr_arrangement_id = old.cdr_arrangement_id
    # Old first: the ID column is unique, so it must be free before the new row takes it.
    Arrangement.objects.filter(pk=old.pk).update(
        cdr_arrangement_id=f"superseded:{uuid.uuid4()}",
        status=ArrangementStatus.REVOKED,
        revoked_at=now,
    )
    Arrangement.objects.filter(pk=new.pk).update(cdr_arrangement_id=cdr_arrangement_id)
    audit.audit_record(
        actor=actor,
        event_type=ARRANGEMENT_AMENDED,
        subject_type="arrangement",
        subject_id=new.pk,
        detail={"replaces": old.pk},
    )
    new.refresh_from_db()
    return new
