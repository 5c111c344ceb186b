"""CDR Dynamic Client Registration (RFC 7591, RFC 7592 as CDS profiles them, cds_dcr.json).

POST /register carries a JWT (`Content-Type: application/jwt`) signed by the recipient,
embedding the CDR Register's software statement (SSA). Order of checks, each with the
RegistrationError code CDS lists (cds_dcr.json RegistrationError):

1. the SSA verifies against the Register's JWKS (BANK_REGISTER_JWKS_URI, cached, PS256 only),
   `iss` "cdr-register", unexpired, with the claims CDS requires
   -> `invalid_software_statement`;
2. the request verifies against a key at the SSA's `jwks_uri`; `iss` is the SSA's
   software_id; `aud` this issuer (or the registration endpoint's URL); exp, iat and a
   single-use jti -> `invalid_client_metadata`;
3. metadata: private_key_jwt with PS256/ES256, grant types within authorization_code,
   client_credentials and refresh_token, response_types ["code"], application_type web,
   PS256/ES256 for ID tokens, request objects and JARM -> `invalid_client_metadata`;
4. redirect_uris within the SSA's -> `invalid_redirect_uri`;
5. the software product (our copy of the Register, kept current by the status poll) and its
   recipient must be ACTIVE -> `unapproved_software_statement`;
6. one ACTIVE registration per software product -> `invalid_client_metadata`
   ("duplicate registrations for the same software_id", OIDC DCR §3.3 as the CDR Register
   documents it).

RFC 7591 §2.3: where the SSA and the request both carry a value, the SSA's wins; the request
only chooses within what the SSA allows (redirect URIs, scope). Fields we do not support are
ignored without error (CDS security/endpoints/_registration.md). Scopes are the SSA's that
this server supports.

GET/PUT/DELETE /register/{client_id} need a `cdr:registration` access token issued to that
same client (RFC 7592 §2; CDS: client credentials). DELETE follows RFC 7592 §2.3: the client
is gone and every grant and token it held is invalidated.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken
from oauth2_provider.settings import oauth2_settings

from security import audit, scopes
from security.crypto import token_digest
from security.oauth.client_jwks import fetch_jwks
from security.oauth.endpoints import endpoint_urls, issuer
from security.oauth.errors import AccessDenied, InsufficientScope, InvalidToken, OAuthError
from security.oauth.jose import JoseError, keyset, unverified_header_and_claims, verify
from security.oauth.models import ClientRegistration, UsedClientAssertion
from security.recipients.models import SoftwareProduct
from security.recipients.services import SoftwareProductConflictError, software_product_record

REGISTER_ISSUER = "cdr-register"
REGISTRATION_SCOPE = scopes.CDR_REGISTRATION
SOFTWARE_ROLE = "data-recipient-software-product"
SIGNING_ALGS = ("PS256", "ES256")
GRANT_TYPES = frozenset({"authorization_code", "client_credentials", "refresh_token"})
# A registration request is a one-shot message; this bounds how long its jti is remembered.
MAX_REQUEST_LIFETIME = 60 * 60
# CDS: the Register's IDs are UUIDs (cds_register.json maxLength 36).
MAX_ID_LENGTH = 36

REGISTER_JWKS_CACHE_KEY = "dcr:register-jwks"
REGISTER_JWKS_CACHE_SECONDS = 60 * 60
# An unknown kid makes us refetch, at most once a minute: bad SSAs cannot drive traffic.
REGISTER_JWKS_REFETCH_KEY = "dcr:register-jwks:refetched"
REGISTER_JWKS_REFETCH_SECONDS = 60

DUPLICATE = "Duplicate registrations for a given software_id are not valid."

CLIENT_REGISTERED = "CLIENT_REGISTERED"
CLIENT_REGISTRATION_UPDATED = "CLIENT_REGISTRATION_UPDATED"
CLIENT_REGISTRATION_DELETED = "CLIENT_REGISTRATION_DELETED"
CLIENT_REGISTRATION_REJECTED = "CLIENT_REGISTRATION_REJECTED"

_SSA_REQUIRED_STRINGS = (
    "jti", "legal_entity_id", "legal_entity_name", "org_id", "org_name", "client_name",
    "client_description", "client_uri", "logo_uri", "jwks_uri", "revocation_uri",
    "recipient_base_uri", "software_id", "software_roles", "scope",
)
_SSA_OPTIONAL_URIS = ("tos_uri", "policy_uri", "sector_identifier_uri")
_SSA_REQUIRED_URIS = ("client_uri", "logo_uri", "jwks_uri", "revocation_uri",
                      "recipient_base_uri")


# Errors (cds_dcr.json RegistrationError; OIDC Dynamic Client Registration §3.3) -----------
class RegistrationError(OAuthError):
    status = 400


class InvalidRedirectUri(RegistrationError):
    error = "invalid_redirect_uri"


class InvalidClientMetadata(RegistrationError):
    error = "invalid_client_metadata"


class InvalidSoftwareStatement(RegistrationError):
    error = "invalid_software_statement"


class UnapprovedSoftwareStatement(RegistrationError):
    error = "unapproved_software_statement"


class UnsupportedMediaType(RegistrationError):
    """The body is not `application/jwt` (CDS standards/_response-codes.md: 415)."""

    error = "invalid_client_metadata"
    status = 415


class RegistrationScopeMissing(InsufficientScope):
    """RFC 6750 §3.1: the token lacks `cdr:registration`."""

    challenge: ClassVar[str] = f'Bearer error="insufficient_scope", scope="{REGISTRATION_SCOPE}"'


# The validated request -------------------------------------------------------------------
@dataclass(frozen=True)
class RegistrationRequest:
    """A registration request that passed every check, with what the server grants."""

    software_statement: str
    ssa: dict[str, Any]
    jti: str
    expires: float
    jwks: dict[str, Any]
    redirect_uris: list[str]
    grant_types: list[str]
    scope: str
    token_endpoint_auth_signing_alg: str
    id_token_signed_response_alg: str
    request_object_signing_alg: str
    authorization_signed_response_alg: str

    @property
    def software_id(self) -> str:
        return str(self.ssa["software_id"])

    def metadata(self) -> dict[str, Any]:
        """RegistrationProperties (cds_dcr.json) minus client_id and client_id_issued_at."""
        ssa = self.ssa
        body: dict[str, Any] = {
            "client_name": ssa["client_name"],
            "client_description": ssa["client_description"],
            "client_uri": ssa["client_uri"],
            "legal_entity_id": ssa["legal_entity_id"],
            "legal_entity_name": ssa["legal_entity_name"],
            "org_id": ssa["org_id"],
            "org_name": ssa["org_name"],
            "redirect_uris": self.redirect_uris,
            "logo_uri": ssa["logo_uri"],
            "jwks_uri": ssa["jwks_uri"],
            "revocation_uri": ssa["revocation_uri"],
            "recipient_base_uri": ssa["recipient_base_uri"],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": self.token_endpoint_auth_signing_alg,
            "grant_types": self.grant_types,
            "response_types": ["code"],
            "application_type": "web",
            "id_token_signed_response_alg": self.id_token_signed_response_alg,
            "request_object_signing_alg": self.request_object_signing_alg,
            "authorization_signed_response_alg": self.authorization_signed_response_alg,
            "software_statement": self.software_statement,
            "software_id": ssa["software_id"],
            "software_roles": ssa["software_roles"],
            "scope": self.scope,
        }
        for name in _SSA_OPTIONAL_URIS:
            if ssa.get(name):
                body[name] = ssa[name]
        return body


def _https_only(uri: str) -> bool:
    return uri.startswith("https://") or (
        bool(settings.BANK_ALLOW_HTTP_CLIENT_URIS) and uri.startswith("http://")
    )


def supported_scopes() -> frozenset[str]:
    return frozenset(oauth2_settings.SCOPES) | {REGISTRATION_SCOPE}


# 1. The software statement -----------------------------------------------------------------
def register_jwks(*, refresh: bool = False) -> dict[str, Any]:
    """The Register's JWKS, cached for an hour; `refresh` refetches at most once a minute."""
    cached = cache.get(REGISTER_JWKS_CACHE_KEY)
    if cached is not None and (not refresh or cache.get(REGISTER_JWKS_REFETCH_KEY)):
        return dict(cached)
    uri = str(settings.BANK_REGISTER_JWKS_URI)
    if not uri:
        raise ImproperlyConfigured("Set BANK_REGISTER_JWKS_URI to verify software statements.")
    jwks = fetch_jwks(uri, configured=True)  # the Register's, set by the operator
    cache.set(REGISTER_JWKS_CACHE_KEY, jwks, REGISTER_JWKS_CACHE_SECONDS)
    cache.set(REGISTER_JWKS_REFETCH_KEY, True, REGISTER_JWKS_REFETCH_SECONDS)
    return jwks


def ssa_verify(software_statement: str) -> dict[str, Any]:
    """The SSA's claims, verified (signature, iss, exp) and complete, or the CDS error."""
    claims: dict[str, Any] | None = None
    last_error: JoseError | None = None
    for refresh in (False, True):
        try:
            claims = verify(
                software_statement, keys=keyset(register_jwks(refresh=refresh)),
                algs=("PS256",), issuer=REGISTER_ISSUER, required=("iss", "iat", "exp", "jti"),
            )
            break
        except JoseError as exc:
            last_error = exc
            # A claims problem is not cured by the Register's newer keys.
            if "kid" not in str(exc) and "signature" not in str(exc):
                break
    if claims is None:
        raise InvalidSoftwareStatement(f"The software_statement is not valid: {last_error}.")
    for name in _SSA_REQUIRED_STRINGS:
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise InvalidSoftwareStatement(f"The software_statement has no {name}.")
    for name in ("software_id", "org_id", "legal_entity_id"):
        if len(claims[name]) > MAX_ID_LENGTH:
            raise InvalidSoftwareStatement(f"The software_statement's {name} is too long.")
    if claims["software_roles"] != SOFTWARE_ROLE:
        raise InvalidSoftwareStatement(f"software_roles must be {SOFTWARE_ROLE}.")
    uris = claims.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise InvalidSoftwareStatement("The software_statement has no redirect_uris.")
    for name in _SSA_REQUIRED_URIS:
        if not _https_only(claims[name]):
            raise InvalidSoftwareStatement(f"The software_statement's {name} must be https.")
    for name in _SSA_OPTIONAL_URIS:
        value = claims.get(name)
        if value is not None and (not isinstance(value, str) or not _https_only(value)):
            raise InvalidSoftwareStatement(f"The software_statement's {name} must be https.")
    return claims


# 2.-4. The registration request -----------------------------------------------------------
def registration_request_validate(request_jwt: str) -> RegistrationRequest:
    try:
        _, unverified = unverified_header_and_claims(request_jwt)
    except JoseError as exc:
        raise InvalidClientMetadata("The registration request is not a JWT.") from exc
    software_statement = unverified.get("software_statement")
    if not isinstance(software_statement, str) or not software_statement:
        raise InvalidSoftwareStatement("The software_statement is missing.")
    ssa = ssa_verify(software_statement)

    try:
        jwks = fetch_jwks(ssa["jwks_uri"])
        keys = keyset(jwks)
    except JoseError as exc:
        raise InvalidClientMetadata(f"The jwks_uri of the software_statement: {exc}.") from exc
    try:
        claims = verify(
            request_jwt, keys=keys, issuer=ssa["software_id"],
            audience={issuer(), *endpoint_urls("registration_endpoint")},
            required=("iss", "aud", "iat", "exp", "jti"), max_lifetime=MAX_REQUEST_LIFETIME,
        )
    except JoseError as exc:
        raise InvalidClientMetadata(f"The registration request is not valid: {exc}.") from exc
    jti = claims["jti"]
    if not isinstance(jti, str) or not 1 <= len(jti) <= 200:
        raise InvalidClientMetadata("The registration request's jti is missing or too long.")
    if claims.get("software_id", ssa["software_id"]) != ssa["software_id"]:
        raise InvalidClientMetadata("software_id differs from the software_statement's.")

    if claims.get("token_endpoint_auth_method") != "private_key_jwt":
        raise InvalidClientMetadata("token_endpoint_auth_method must be private_key_jwt.")
    algs = {
        name: _alg(claims, name, default=None)
        for name in ("token_endpoint_auth_signing_alg", "id_token_signed_response_alg",
                     "request_object_signing_alg")
    }
    jarm_alg = _alg(claims, "authorization_signed_response_alg", default="PS256")

    grant_types = claims.get("grant_types", ["authorization_code"])  # RFC 7591 §2 default
    if (not isinstance(grant_types, list) or not grant_types
            or not all(isinstance(g, str) for g in grant_types)):
        raise InvalidClientMetadata("grant_types must be a list of grant types.")
    unsupported = set(grant_types) - GRANT_TYPES
    if unsupported:
        raise InvalidClientMetadata(
            f"grant_types may only contain {', '.join(sorted(GRANT_TYPES))}."
        )
    # The hybrid flow (`code id_token`) was retired in 2025: the code flow only.
    if claims.get("response_types", ["code"]) != ["code"]:
        raise InvalidClientMetadata('response_types must be ["code"].')
    if claims.get("application_type", "web") != "web":
        raise InvalidClientMetadata("application_type must be web.")

    redirect_uris = claims.get("redirect_uris", ssa["redirect_uris"])
    if (not isinstance(redirect_uris, list) or not redirect_uris
            or not all(isinstance(u, str) for u in redirect_uris)):
        raise InvalidRedirectUri("redirect_uris must be a list of URIs.")
    for uri in redirect_uris:
        shown = uri[:200]  # the client's own value, echoed, but never at any length
        if uri not in ssa["redirect_uris"]:
            raise InvalidRedirectUri(
                f"The redirect_uri '{shown}' is not valid as it is not included in the "
                "software_statement."
            )
        if not _https_only(uri):
            raise InvalidRedirectUri(f"The redirect_uri '{shown}' must be https.")
    hosts = {urlsplit(uri).hostname for uri in redirect_uris}
    if len(hosts) > 1 and not ssa.get("sector_identifier_uri"):
        # OIDC Core §8.1: pairwise subjects need one sector; without a sector_identifier_uri
        # the redirect URIs must share a host, or no code could ever be redeemed.
        raise InvalidClientMetadata(
            "redirect_uris on more than one host need a sector_identifier_uri."
        )

    return RegistrationRequest(
        software_statement=software_statement,
        ssa=ssa,
        jti=jti,
        expires=float(claims["exp"]),
        jwks=jwks,
        redirect_uris=list(dict.fromkeys(redirect_uris)),
        grant_types=list(dict.fromkeys(grant_types)),
        scope=_granted_scope(ssa["scope"], claims.get("scope")),
        token_endpoint_auth_signing_alg=str(algs["token_endpoint_auth_signing_alg"]),
        id_token_signed_response_alg=str(algs["id_token_signed_response_alg"]),
        request_object_signing_alg=str(algs["request_object_signing_alg"]),
        authorization_signed_response_alg=jarm_alg,
    )


def _alg(claims: dict[str, Any], name: str, *, default: str | None) -> str:
    value = claims.get(name, default)
    if value not in SIGNING_ALGS:
        raise InvalidClientMetadata(
            f"The '{name}' claim value must be one of '{','.join(SIGNING_ALGS)}'."
        )
    return str(value)


def _granted_scope(ssa_scope: str, requested: Any) -> str:
    """The SSA's scopes this server supports, narrowed to the request's `scope` if it has one.
    Unsupported scopes are dropped, not refused (CDS)."""
    supported = supported_scopes()
    wanted = set(requested.split()) if isinstance(requested, str) else None
    granted = [s for s in dict.fromkeys(ssa_scope.split())
               if s in supported and (wanted is None or s in wanted)]
    if not granted:
        raise InvalidClientMetadata("None of the requested scopes is supported.")
    return " ".join(granted)


def _consume_jti(request: RegistrationRequest) -> None:
    try:
        with transaction.atomic():
            UsedClientAssertion.objects.create(
                client_id=f"register:{request.software_id}", jti=request.jti,
                expires_at=datetime.fromtimestamp(request.expires, UTC),
            )
    except IntegrityError:
        raise InvalidClientMetadata("The registration request has been used before.") from None


def _product_for(request: RegistrationRequest, actor: audit.Actor) -> SoftwareProduct:
    ssa = request.ssa
    try:
        product = software_product_record(
            software_product_id=ssa["software_id"], name=ssa["client_name"],
            brand_name=ssa["org_name"], legal_entity_id=ssa["legal_entity_id"],
            legal_entity_name=ssa["legal_entity_name"], actor=actor,
        )
    except SoftwareProductConflictError as exc:
        raise UnapprovedSoftwareStatement(str(exc)) from exc
    except ValidationError as exc:
        raise InvalidSoftwareStatement("The software_statement's names are not acceptable.") \
            from exc
    if not product.is_active:
        raise UnapprovedSoftwareStatement(
            f"The software product is not active at the CDR Register (product {product.status}, "
            f"recipient {product.recipient.status})."
        )
    return product


def _application_fields(application: Application, request: RegistrationRequest) -> None:
    application.name = request.ssa["client_name"][:255]
    application.redirect_uris = " ".join(request.redirect_uris)
    # DOT keeps one grant type per application; the full list is the registration's, and
    # the token endpoint checks it there.
    application.authorization_grant_type = (
        Application.GRANT_AUTHORIZATION_CODE if "authorization_code" in request.grant_types
        else Application.GRANT_CLIENT_CREDENTIALS
    )
    try:
        application.full_clean()
    except ValidationError as exc:
        # DOT checks the redirect URIs' schemes (ALLOWED_REDIRECT_URI_SCHEMES) and form.
        if "redirect_uris" in exc.message_dict:
            raise InvalidRedirectUri("The redirect_uris are not acceptable.") from exc
        raise InvalidClientMetadata("The client metadata is not acceptable.") from exc


def _registration_fields(registration: ClientRegistration, request: RegistrationRequest) -> None:
    ssa = request.ssa
    registration.redirect_uris = request.redirect_uris
    registration.jwks_uri = ssa["jwks_uri"]
    registration.jwks = request.jwks
    registration.jwks_fetched_at = timezone.now()
    registration.recipient_base_uri = ssa["recipient_base_uri"]
    registration.sector_identifier_uri = ssa.get("sector_identifier_uri", "")
    registration.scope = request.scope
    registration.grant_types = request.grant_types
    registration.id_token_signed_response_alg = request.id_token_signed_response_alg
    registration.authorization_signed_response_alg = request.authorization_signed_response_alg
    registration.request_object_signing_alg = request.request_object_signing_alg


def _registration_save(registration: ClientRegistration) -> None:
    try:
        # Constraints are the database's job below; a clash there is a duplicate.
        registration.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise InvalidSoftwareStatement(
            "The software_statement's URIs are not acceptable here."
        ) from exc
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as exc:
        raise InvalidClientMetadata(DUPLICATE) from exc


def _response_metadata(registration: ClientRegistration, request: RegistrationRequest) -> None:
    registration.metadata = {
        "client_id": registration.application.client_id,
        "client_id_issued_at": int(registration.application.created.timestamp()),
        **request.metadata(),
    }


# 5.-6. Services ---------------------------------------------------------------------------
@transaction.atomic
def registration_create(*, request_jwt: str, actor: audit.Actor) -> ClientRegistration:
    """POST /register: a new client for the SSA's software product."""
    request = registration_request_validate(request_jwt)
    product = _product_for(request, actor)
    # The product row is locked (software_product_record), so this check and the insert
    # below cannot interleave with another registration of the same product.
    if ClientRegistration.objects.filter(
        software_product=product, status=ClientRegistration.Status.ACTIVE
    ).exists():
        raise InvalidClientMetadata(DUPLICATE)
    _consume_jti(request)
    application = Application(
        client_type=Application.CLIENT_CONFIDENTIAL,
        # private_key_jwt only: a random secret that is hashed and never shown to anyone,
        # so no secret-based authentication can ever succeed for this client.
        client_secret=generate_client_secret(),
        hash_client_secret=True,
        # ID tokens are signed by security.oauth.jose with the registered PS256/ES256, not
        # by DOT's RS256/HS256 machinery.
        algorithm=Application.NO_ALGORITHM,
    )
    _application_fields(application, request)
    application.save()
    product.client = application
    product.save(update_fields=["client", "updated_at"])
    registration = ClientRegistration(application=application, software_product=product)
    _registration_fields(registration, request)
    _response_metadata(registration, request)
    _registration_save(registration)
    audit.audit_record(
        actor=actor, event_type=CLIENT_REGISTERED, subject_type="client_registration",
        subject_id=registration.pk,
        detail={"software_product_id": product.software_product_id,
                "client_id": application.client_id, "scope": request.scope.split(),
                "grant_types": request.grant_types},
    )
    return registration


@transaction.atomic
def registration_update(
    *, registration: ClientRegistration, request_jwt: str, actor: audit.Actor
) -> ClientRegistration:
    """PUT /register/{client_id}: the same checks; the client_id stays."""
    request = registration_request_validate(request_jwt)
    registration = ClientRegistration.objects.select_for_update().select_related(
        "application", "software_product").get(pk=registration.pk)
    if request.software_id != registration.software_product.software_product_id:
        raise InvalidSoftwareStatement("The software_statement is for another software product.")
    _product_for(request, actor)
    _consume_jti(request)
    application = registration.application
    _application_fields(application, request)
    application.save()
    _registration_fields(registration, request)
    _response_metadata(registration, request)
    _registration_save(registration)
    audit.audit_record(
        actor=actor, event_type=CLIENT_REGISTRATION_UPDATED, subject_type="client_registration",
        subject_id=registration.pk,
        detail={"software_product_id": request.software_id, "client_id": application.client_id,
                "scope": request.scope.split(), "grant_types": request.grant_types},
    )
    return registration


@transaction.atomic
def registration_delete(*, registration: ClientRegistration, actor: audit.Actor) -> None:
    """DELETE /register/{client_id} (RFC 7592 §2.3): the registration ends, and every code,
    token and ID token of the client goes with it. Arrangements stay: they belong to the
    customer and the software product, and the consent side decides their fate."""
    registration = ClientRegistration.objects.select_for_update().select_related(
        "application").get(pk=registration.pk)
    registration.status = ClientRegistration.Status.DELETED
    registration.save(update_fields=["status", "updated_at"])
    application = registration.application
    counts = {
        "access_tokens": AccessToken.objects.filter(application=application).delete()[0],
        "refresh_tokens": RefreshToken.objects.filter(application=application).delete()[0],
        "grants": Grant.objects.filter(application=application).delete()[0],
        "id_tokens": IDToken.objects.filter(application=application).delete()[0],
    }
    # Nothing can redirect to or authenticate as this client any more: client_auth accepts
    # ACTIVE registrations only, and the application keeps neither redirect URIs nor a
    # secret anyone knows.
    application.redirect_uris = ""
    application.client_secret = generate_client_secret()
    application.save(update_fields=["redirect_uris", "client_secret", "updated"])
    audit.audit_record(
        actor=actor, event_type=CLIENT_REGISTRATION_DELETED, subject_type="client_registration",
        subject_id=registration.pk,
        detail={"client_id": application.client_id, "removed": counts},
    )


# Registration management authorization (RFC 7592 §2, CDS cdr:registration) ---------------
def registration_access_check(
    *, client_id: str, authorization: str | None, presented_thumbprint: str | None
) -> ClientRegistration:
    """The ACTIVE registration at `client_id`, if the bearer token is a live
    `cdr:registration` token of that same client.

    401 (InvalidToken): no, unknown or expired token, or no such client (cds_dcr.json:
    "unknown or invalid Client or invalid access token"); 403: a token of another client
    (AccessDenied) or without `cdr:registration` (InsufficientScope).
    """
    scheme, _, raw = (authorization or "").partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw:
        raise InvalidToken("A bearer access token is required.")
    token = (
        AccessToken.objects.select_related("application")
        .filter(token_checksum=token_digest(raw))
        .first()
    )
    if token is None or token.is_expired():
        raise InvalidToken("The access token is invalid or expired.")
    binding = getattr(token, "client_binding", None) or getattr(token, "binding", None)
    bound_to = binding.certificate_thumbprint if binding is not None else ""
    if not bound_to and settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS:
        raise InvalidToken("The access token is not certificate-bound.")
    if binding is not None and binding.certificate_thumbprint and not (
        presented_thumbprint
        and hmac.compare_digest(binding.certificate_thumbprint, presented_thumbprint)
    ):
        # RFC 8705: a certificate-bound token only counts on the connection it is bound to.
        raise InvalidToken("The access token is bound to another client certificate.")
    registration = (
        ClientRegistration.objects.select_related("application", "software_product__recipient")
        .filter(application__client_id=client_id, status=ClientRegistration.Status.ACTIVE)
        .first()
    )
    if registration is None:
        raise InvalidToken("Unknown client.")
    if token.application_id != registration.application_id:
        raise AccessDenied("The access token was not issued to this client.")
    if REGISTRATION_SCOPE not in token.scope.split():
        raise RegistrationScopeMissing(f"The access token does not carry {REGISTRATION_SCOPE}.")
    return registration


def registration_body(registration: ClientRegistration) -> dict[str, Any]:
    """The RegistrationProperties body last returned for this registration."""
    return dict(registration.metadata)


def registration_rejection_record(
    *, error: OAuthError, actor: audit.Actor, client_id: str = ""
) -> None:
    """Audit a refused registration call. Called after the service's transaction rolled
    back, so the row survives (the view returns rather than raises)."""
    audit.audit_record(
        actor=actor, event_type=CLIENT_REGISTRATION_REJECTED, outcome=audit.Outcome.DENIED,
        subject_type="client_registration", subject_id=client_id,
        detail={"error": error.error, "status": error.status},
    )

