"""The signed request object pushed to PAR: RFC 9101 (JAR), FAPI 1.0 Advanced §5.2.2, CDR.

`request_object_validate` turns the `request` form field of a pushed authorization request
into `AuthorizationParameters`, the only authorization parameters the server ever uses
(FAPI 1.0 Adv 5.2.2-10, RFC 9101 §5: nothing outside the request object counts).

The JWT (invalid_request_object, RFC 9101 §6.2, when any of these fails):
- signed PS256 or ES256 (FAPI 1.0 Adv §8.6) with a key from the client's registered JWKS,
  and with the client's registered `request_object_signing_alg`: CDR DCR makes that field
  required, and OIDC Dynamic Client Registration §2 says request objects signed with any
  other algorithm MUST be rejected. Only a registration without it (never produced by our
  DCR) accepts either algorithm;
- `iss` and `client_id` = the authenticated client (RFC 9126 §3);
- `aud` = the issuer, as a string or in a list (FAPI 1.0 Adv 5.2.2-15);
- `exp` and `nbf` present, `exp - nbf` <= 60 min (5.2.2-13), `nbf` <= 60 min old (5.2.2-17);
- no nested `request` / `request_uri` (RFC 9101 §4).

The authorization parameters inside it (invalid_request, RFC 6749 §4.1.2.1, when missing or
wrong; invalid_scope for scope):
- `response_type` = "code" and `response_mode` = "jwt" (CDS authentication flows: code flow
  with JARM only; `code id_token` retired 12 May 2025);
- `redirect_uri`: exactly one of the registered URIs, compared as strings (FAPI 1.0 Baseline
  5.2.2-8/9/20), https, no fragment;
- `scope`: must contain `openid` (CDS consent). Scopes this server has never heard of are
  dropped, as OIDC Core 3.1.2.1 says ("Scope values used that are not understood by an
  implementation SHOULD be ignored"); scopes it knows but the client is not registered for,
  or that no authorization may carry (`cdr:registration`, admin scopes), are invalid_scope:
  silently narrowing those would show the customer a consent the recipient did not ask for;
- `nonce` required (FAPI 1.0 Baseline 5.2.2.2: openid flows), `state` optional; both kept
  verbatim and accepted long (FAPI-CHECKLIST row 22);
- PKCE: `code_challenge` of 43-128 base64url characters, `code_challenge_method` = "S256"
  (RFC 7636, FAPI 1.0 Adv 5.2.2-18);
- `claims.sharing_duration` (CDS request object): an integer number of seconds; negative fails,
  above one year is treated as one year, absent or 0 means once-off;
- `claims.cdr_arrangement_id`: an ACTIVE, unexpired arrangement of this same software product
  (unknown and foreign IDs answer alike); the customer check waits for the login
  (`security.oauth.authorization.authorization_decide`);
- `claims.id_token.acr`: the requested levels of assurance, recorded for the consent pages.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from security.consent.models import Arrangement, ArrangementStatus
from security.oauth.client_jwks import registration_jwks
from security.oauth.endpoints import issuer
from security.oauth.errors import InvalidRequest, InvalidRequestObject, InvalidScope
from security.oauth.jose import ALLOWED_ALGS, JoseError, keyset, verify
from security.oauth.models import ClientRegistration
from security.scopes import CDR_DATA_SCOPES

MAX_REQUEST_OBJECT_LIFETIME = 60 * 60  # exp - nbf, FAPI 1.0 Adv 5.2.2-13
MAX_NBF_AGE = 60 * 60  # FAPI 1.0 Adv 5.2.2-17
MAX_SHARING_DURATION = 31_536_000  # CDS: "one year" is 365 days of 24 hours
#: CDS levels of assurance (security/_levels_of_assurance.md), weakest first.
SUPPORTED_ACR = ("urn:cds.au:cdr:2", "urn:cds.au:cdr:3")
#: What an authorization request may ask for: OIDC scopes and CDR data scopes.
AUTHORIZATION_SCOPES = frozenset({"openid", "profile"}) | CDR_DATA_SCOPES
#: Scopes this server knows that belong to other grants (client credentials, the Register).
NON_AUTHORIZATION_SCOPES = frozenset(
    {"cdr:registration", "cdr-register:read", "admin:metrics.basic:read", "admin:metadata:update"}
)
# Grant.nonce is a 255-character column; state has no column, the cap only bounds the URL.
MAX_NONCE_LENGTH = 255
MAX_STATE_LENGTH = 2048
MAX_REQUEST_OBJECT_SIZE = 32 * 1024
_PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43,128}")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class AuthorizationParameters:
    """The validated authorization request, as stored with the pushed request."""

    client_id: str
    redirect_uri: str
    #: Granted-if-approved scopes, sorted; unknown ones already dropped.
    scopes: tuple[str, ...]
    #: The scope values as sent, so /authorize can check OIDC's duplicated `scope` against them.
    requested_scopes: tuple[str, ...]
    nonce: str
    state: str | None
    code_challenge: str
    code_challenge_method: str
    sharing_duration: int
    cdr_arrangement_id: str | None
    acr_values: tuple[str, ...]
    acr_essential: bool
    #: The OIDC `claims` request (OIDC Core §5.5), kept for the ID token and userinfo.
    claims: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    response_type: str = "code"
    response_mode: str = "jwt"

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)

    def to_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scopes": list(self.scopes),
            "requested_scopes": list(self.requested_scopes),
            "nonce": self.nonce,
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": self.code_challenge_method,
            "sharing_duration": self.sharing_duration,
            "cdr_arrangement_id": self.cdr_arrangement_id,
            "acr_values": list(self.acr_values),
            "acr_essential": self.acr_essential,
            "claims": self.claims,
            "response_type": self.response_type,
            "response_mode": self.response_mode,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuthorizationParameters:
        return cls(
            client_id=data["client_id"],
            redirect_uri=data["redirect_uri"],
            scopes=tuple(data["scopes"]),
            requested_scopes=tuple(data["requested_scopes"]),
            nonce=data["nonce"],
            state=data["state"],
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            sharing_duration=data["sharing_duration"],
            cdr_arrangement_id=data["cdr_arrangement_id"],
            acr_values=tuple(data["acr_values"]),
            acr_essential=data["acr_essential"],
            claims=data["claims"],
            response_type=data["response_type"],
            response_mode=data["response_mode"],
        )


def request_object_validate(
    *, request_object: str, registration: ClientRegistration, now: float | None = None
) -> AuthorizationParameters:
    """The authorization parameters of a request object the client signed, or an OAuthError."""
    now = time.time() if now is None else now
    if len(request_object) > MAX_REQUEST_OBJECT_SIZE:
        raise InvalidRequestObject("The request object is too large.")
    claims = _verified_claims(request_object, registration, now)
    if now - claims["nbf"] > MAX_NBF_AGE:
        raise InvalidRequestObject("The request object's nbf is more than 60 minutes old.")
    if "request" in claims or "request_uri" in claims:
        raise InvalidRequestObject("A request object must not contain request or request_uri.")
    if claims.get("client_id") != registration.client_id:
        raise InvalidRequestObject("The request object's client_id is not the client's.")

    if claims.get("response_type") != "code":
        raise InvalidRequest("response_type must be code.")
    if claims.get("response_mode") != "jwt":
        raise InvalidRequest("response_mode must be jwt (JARM).")
    redirect_uri = _redirect_uri(claims.get("redirect_uri"), registration)
    scopes, requested = _scopes(claims.get("scope"), registration)
    nonce = _required_text(claims, "nonce", MAX_NONCE_LENGTH)
    state = _optional_text(claims, "state", MAX_STATE_LENGTH)
    code_challenge = _pkce(claims)
    oidc_claims = claims.get("claims", {})
    if not isinstance(oidc_claims, dict):
        raise InvalidRequest("claims must be a JSON object.")
    acr_values, acr_essential = _acr(oidc_claims, claims.get("acr_values"))
    return AuthorizationParameters(
        client_id=registration.client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        requested_scopes=requested,
        nonce=nonce,
        state=state,
        code_challenge=code_challenge,
        code_challenge_method="S256",
        sharing_duration=_sharing_duration(oidc_claims.get("sharing_duration")),
        cdr_arrangement_id=_amended_arrangement_id(
            oidc_claims.get("cdr_arrangement_id"), registration
        ),
        acr_values=acr_values,
        acr_essential=acr_essential,
        claims=oidc_claims,
    )


def _verified_claims(
    token: str, registration: ClientRegistration, now: float
) -> dict[str, Any]:
    registered = registration.request_object_signing_alg
    algs = [registered] if registered else sorted(ALLOWED_ALGS)
    last_error: JoseError | None = None
    # A kid we do not know may be a key the recipient has just rotated in: fetch its JWKS
    # once more (registration_jwks rate-limits that), as client authentication does.
    for refresh in (False, True):
        try:
            keys = keyset(registration_jwks(registration, refresh=refresh))
            return verify(
                token, keys=keys, algs=algs, issuer=registration.client_id,
                audience=[issuer()], max_lifetime=MAX_REQUEST_OBJECT_LIFETIME,
                required=("exp", "nbf", "iss", "aud"), now=now,
            )
        except JoseError as exc:
            last_error = exc
            if "kid" not in str(exc) and "signature" not in str(exc):
                break  # a claims problem: a fresh JWKS would not change it
    raise InvalidRequestObject(f"The request object is not valid: {last_error}.")


def _redirect_uri(value: Any, registration: ClientRegistration) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequest("redirect_uri is required.")
    # Exact string comparison: no normalisation of case, slashes, ports or query.
    if value not in registration.redirect_uris:
        raise InvalidRequest("redirect_uri is not registered for this client.")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise InvalidRequest("redirect_uri is not a valid URI.") from None
    loopback_dev = settings.BANK_ALLOW_HTTP_CLIENT_URIS and parts.hostname in _LOOPBACK_HOSTS
    # Even a registered http URI is refused (FAPI 1.0 Baseline 5.2.2-20): the code travels
    # in it. Development may use a loopback recipient, the one RFC 8252 §7.3 exception.
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback_dev):
        raise InvalidRequest("redirect_uri must use https.")
    if parts.fragment or "#" in value:
        raise InvalidRequest("redirect_uri must not contain a fragment.")
    return value


def _scopes(
    value: Any, registration: ClientRegistration
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(scopes to grant if approved, sorted; the scope values as sent)."""
    if not isinstance(value, str):
        raise InvalidScope("scope is required and must contain openid.")
    requested = tuple(dict.fromkeys(value.split()))
    if "openid" not in requested:
        raise InvalidScope("scope must contain openid.")
    registered = set(registration.scope.split())
    known = [s for s in requested if s in AUTHORIZATION_SCOPES or s in NON_AUTHORIZATION_SCOPES]
    refused = [s for s in known if s in NON_AUTHORIZATION_SCOPES or s not in registered]
    if refused:
        raise InvalidScope("scope asks for scopes this client may not request.")
    return tuple(sorted(known)), requested


def _required_text(claims: dict[str, Any], name: str, limit: int) -> str:
    value = _optional_text(claims, name, limit)
    if value is None:
        raise InvalidRequest(f"{name} is required.")
    return value


def _optional_text(claims: dict[str, Any], name: str, limit: int) -> str | None:
    """A string kept byte for byte (never trimmed or truncated), or None when absent."""
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{name} must be a non-empty string.")
    if len(value) > limit:
        raise InvalidRequest(f"{name} is longer than {limit} characters.")
    return value


def _pkce(claims: dict[str, Any]) -> str:
    challenge = claims.get("code_challenge")
    if not isinstance(challenge, str) or not challenge:
        raise InvalidRequest("code_challenge is required (PKCE).")
    if claims.get("code_challenge_method") != "S256":
        raise InvalidRequest("code_challenge_method must be S256.")
    if not _PKCE_CHALLENGE.fullmatch(challenge):
        raise InvalidRequest("code_challenge must be 43 to 128 base64url characters.")
    return challenge


def _sharing_duration(value: Any) -> int:
    if value is None:
        return 0
    # bool is an int in Python; JSON true is not a duration.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest("sharing_duration must be a number of seconds.")
    if isinstance(value, float) and not value.is_integer():
        raise InvalidRequest("sharing_duration must be a whole number of seconds.")
    if value < 0:
        raise InvalidRequest("sharing_duration must not be negative.")
    return min(int(value), MAX_SHARING_DURATION)


def _amended_arrangement_id(value: Any, registration: ClientRegistration) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidRequest("cdr_arrangement_id must be a string.")
    arrangement = Arrangement.objects.filter(
        cdr_arrangement_id=value,
        software_product=registration.software_product,
        status=ArrangementStatus.ACTIVE,
    ).first()
    # One answer for unknown, another product's, revoked and expired: no oracle for IDs.
    if arrangement is None or arrangement.is_expired():
        raise InvalidRequest("cdr_arrangement_id does not name an active arrangement.")
    return value


def _acr(oidc_claims: dict[str, Any], acr_values: Any) -> tuple[tuple[str, ...], bool]:
    """Requested levels of assurance (OIDC Core §5.5.1.1), the supported ones only."""
    id_token = oidc_claims.get("id_token", {})
    if not isinstance(id_token, dict):
        raise InvalidRequest("claims.id_token must be a JSON object.")
    request = id_token.get("acr")
    if request is None:
        # OIDC Core §3.1.2.1 acr_values: voluntary, space-separated, in preference order.
        if acr_values is None:
            return (), False
        if not isinstance(acr_values, str):
            raise InvalidRequest("acr_values must be a string.")
        return tuple(v for v in acr_values.split() if v in SUPPORTED_ACR), False
    if not isinstance(request, dict):
        raise InvalidRequest("claims.id_token.acr must be a JSON object.")
    essential = request.get("essential", False) is True
    if "values" in request:
        values = request["values"]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InvalidRequest("claims.id_token.acr.values must be a list of strings.")
    elif isinstance(request.get("value"), str):
        values = [request["value"]]
    else:
        values = []
    supported = tuple(v for v in dict.fromkeys(values) if v in SUPPORTED_ACR)
    # OIDC Core §5.5.1.1: an essential acr that cannot be met fails the authentication;
    # refusing here tells the recipient now rather than after the customer logs in.
    if essential and values and not supported:
        raise InvalidRequest("None of the essential acr values is supported.")
    return supported, essential and bool(supported)
