"""What OIDC says about the customer: ID tokens (OIDC Core 1.0 §2, §3.1.3.6), pairwise subject
identifiers (§8.1) and UserInfo claims (§5.3).

CDS security/_tokens.md: the ID token from the token endpoint is signed (PS256 or ES256,
FAPI 1.0 Adv §8.6) and carries no personal information. Its claims are exactly iss, sub, aud,
exp, iat, auth_time, acr and, when the authorization request had one, nonce.

CDS security/_identifiers_and_subject_types.md: `sub` is a pairwise pseudonymous identifier
(a random UUID per customer login and sector), and the registration's sector_identifier_uri
is honoured when it has one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken

from accounts.models import Customer, User
from bank.api.errors import CdrError
from security.consent.access import access_context_resolve
from security.crypto import token_digest
from security.oauth.endpoints import issuer
from security.oauth.errors import InsufficientScope, InvalidClient, InvalidToken
from security.oauth.jose import sign
from security.oauth.models import ClientRegistration, PairwiseSubject
from security.oauth.signing_keys import ALGORITHMS


def subject_sector(*, registration: ClientRegistration) -> str:
    """OIDC Core §8.1: the host of sector_identifier_uri, else of the registered redirect URIs.

    Worked out from the registration, never from one request's redirect_uri, so the ID token
    and UserInfo (which has no redirect_uri) always agree on `sub`.
    """
    if registration.sector_identifier_uri:
        host = urlsplit(registration.sector_identifier_uri).hostname
        if host:
            return host.lower()
    hosts = {
        (urlsplit(uri).hostname or "").lower() for uri in registration.redirect_uris if uri
    } - {""}
    if len(hosts) != 1:
        # §8.1: several redirect hosts without a sector_identifier_uri is a registration error.
        # Picking one would make `sub` change whenever the redirect list changes.
        raise InvalidClient(
            "The registration needs a sector_identifier_uri (its redirect URIs span hosts)."
        )
    return hosts.pop()


def pairwise_subject(*, user: User, registration: ClientRegistration) -> str:
    """The stable pairwise `sub` of this customer login for the client's sector."""
    sector = subject_sector(registration=registration)
    existing = PairwiseSubject.objects.filter(user=user, sector_identifier=sector).first()
    if existing is not None:
        return str(existing.sub)
    try:
        with transaction.atomic():
            created = PairwiseSubject.objects.create(user=user, sector_identifier=sector)
    except IntegrityError:
        # Two first-time requests raced; the other one's row wins so `sub` stays unique.
        created = PairwiseSubject.objects.get(user=user, sector_identifier=sector)
    return str(created.sub)


def id_token_sign(
    *,
    registration: ClientRegistration,
    user: User,
    auth_time: datetime,
    acr: str,
    nonce: str,
    lifetime: timedelta,
    now: datetime | None = None,
) -> str:
    """A signed ID token for the client, with the registration's id_token alg (FAPI §8.6)."""
    alg = registration.id_token_signed_response_alg or "PS256"
    if alg not in ALGORITHMS:
        # DCR only accepts PS256/ES256; anything else here is a corrupted registration.
        raise InvalidClient("The registration's id_token_signed_response_alg is not supported.")
    issued = now or timezone.now()
    iat = int(issued.timestamp())
    claims: dict[str, Any] = {
        "iss": issuer(),
        "sub": pairwise_subject(user=user, registration=registration),
        "aud": registration.client_id,
        "exp": iat + int(lifetime.total_seconds()),
        "iat": iat,
        "auth_time": int(auth_time.timestamp()),
        "acr": acr,
    }
    if nonce:
        claims["nonce"] = nonce
    return sign(claims, alg=alg)


# UserInfo (OIDC Core §5.3) -------------------------------------------------------------

def userinfo_claims(*, raw_token: str, presented_thumbprint: str | None) -> dict[str, str | int]:
    """OIDC Core §5.3.2 claims for a bearer access token presented on its own connection.

    The token goes through the resource server's own check (security.consent.access), so
    the certificate binding, arrangement and software-product rules are the same as for the
    CDR APIs. `sub` always; name, given_name, family_name and updated_at only with `profile`
    (the CDS profile-scope claims).
    """
    digest = token_digest(raw_token)  # DOT's token checksum
    token = AccessToken.objects.select_related("user").filter(token_checksum=digest).first()
    if token is None or token.is_expired() or token.user is None:
        raise InvalidToken("The access token is invalid or expired.")
    try:
        context = access_context_resolve(
            token=token, customer_present=False, presented_thumbprint=presented_thumbprint
        )
    except CdrError:
        # Unbound, wrong certificate, revoked/expired consent, inactive recipient, or not an
        # arrangement's token at all: for UserInfo each is simply an unusable token.
        raise InvalidToken("The access token cannot be used here.") from None
    if "openid" not in context.scopes:
        raise InsufficientScope("The access token was not granted the openid scope.")
    registration = ClientRegistration.objects.filter(
        application_id=token.application_id, status=ClientRegistration.Status.ACTIVE
    ).first()
    if registration is None:
        raise InvalidToken("The access token's client is not registered.")
    claims: dict[str, str | int] = {
        "sub": pairwise_subject(user=token.user, registration=registration)
    }
    if "profile" in context.scopes:
        customer = Customer.objects.get(pk=context.customer_id)
        claims.update(_profile_claims(user=token.user, customer=customer))
    return claims


def _profile_claims(*, user: User, customer: Customer) -> dict[str, str | int]:
    # The person who logged in: their own login names if set, else the customer's (a
    # person) or the organisation's agent (who acts for a business customer).
    given = user.first_name or customer.first_name or customer.agent_first_name
    family = user.last_name or customer.last_name or customer.agent_last_name
    claims: dict[str, str | int] = {
        "name": " ".join(part for part in (given, family) if part),
        "given_name": given,
        "family_name": family,
        "updated_at": int(customer.last_update_time.timestamp()),
    }
    return {name: value for name, value in claims.items() if value != ""}
