"""The UserInfo endpoint (OIDC Core 1.0 §5.3; CDS security/endpoints/_userinfo.md).

GET or POST over mTLS with a bearer access token in the Authorization header only (FAPI R1,
RFC 6750 §2.1: never in the body or query). Errors follow RFC 6750 §3 (OIDC Core §5.3.3):
no token -> 401 with a bare challenge; an unusable token -> 401 `invalid_token`; a token
without `openid` -> 403 `insufficient_scope`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from security.mtls import presented_certificate_thumbprint
from security.oauth.errors import OAuthError
from security.oauth.id_token import userinfo_claims
from security.oauth.views.token import no_store
from security.refusals import oauth_refusal_audit

REALM = 'Bearer realm="cdr"'


def _bearer_token(request: HttpRequest) -> str | None:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    value = value.strip()
    # RFC 7235 §2.1: the scheme is case-insensitive (FAPI-CHECKLIST R4).
    return value if scheme.lower() == "bearer" and value else None


def _challenge(exc: OAuthError | None) -> HttpResponse:
    if exc is None:
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = REALM
        return no_store(response)
    response = JsonResponse(
        {"error": exc.error, "error_description": exc.description}, status=exc.status
    )
    header = f'{REALM}, error="{exc.error}"'
    if exc.error == "insufficient_scope":
        header += ', scope="openid"'
    response["WWW-Authenticate"] = header
    return no_store(response)


@csrf_exempt  # bearer-token API; no cookies involved
@require_http_methods(["GET", "POST"])
def userinfo_view(request: HttpRequest) -> HttpResponse:
    raw = _bearer_token(request)
    if raw is None:
        return _challenge(None)
    try:
        claims = userinfo_claims(
            raw_token=raw, presented_thumbprint=presented_certificate_thumbprint(request.META)
        )
    except OAuthError as exc:
        oauth_refusal_audit(request, exc, endpoint="userinfo")
        return _challenge(exc)
    return no_store(JsonResponse(claims))
