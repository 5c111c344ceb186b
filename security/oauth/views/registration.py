"""The registration endpoint and its management URL (CDS DCR, cds_dcr.json; RFC 7591/7592).

Thin views: parse the media type and the bearer token, call security.oauth.dcr, answer in
the DCR's OAuth-style JSON. Refusals are returned, not raised, so that the refusal's audit
row commits while everything the failed service wrote has been rolled back.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from security import audit
from security.mtls import presented_certificate_thumbprint
from security.oauth import dcr
from security.oauth.errors import InvalidToken, OAuthError

JWT_MEDIA_TYPE = "application/jwt"


def _request_jwt(request: HttpRequest) -> str:
    if (request.content_type or "").lower() != JWT_MEDIA_TYPE:
        raise dcr.UnsupportedMediaType(f"Content-Type must be {JWT_MEDIA_TYPE}.")
    try:
        return request.body.decode("ascii").strip()
    except UnicodeDecodeError:
        raise dcr.InvalidClientMetadata("The registration request is not a JWT.") from None


def _registration_response(body: dict[str, object], status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _error_response(exc: OAuthError) -> HttpResponse:
    response = exc.response()
    if isinstance(exc, InvalidToken):
        response["WWW-Authenticate"] = 'Bearer realm="cdr", error="invalid_token"'
    elif isinstance(exc, dcr.RegistrationScopeMissing):
        response["WWW-Authenticate"] = exc.challenge
    return response


@csrf_exempt
@require_http_methods(["POST"])
def registration_view(request: HttpRequest) -> HttpResponse:
    actor = audit.Actor(audit.ActorType.ANONYMOUS)
    try:
        if settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS and not presented_certificate_thumbprint(
            request.META
        ):
            # CDS: /register is an mTLS endpoint; the SSA is the credential, the certificate
            # the channel.
            raise dcr.InvalidClientMetadata("A client certificate is required (mTLS).")
        registration = dcr.registration_create(request_jwt=_request_jwt(request), actor=actor)
    except OAuthError as exc:
        dcr.registration_rejection_record(error=exc, actor=actor)
        return _error_response(exc)
    return _registration_response(dcr.registration_body(registration), 201)


@csrf_exempt
@require_http_methods(["GET", "PUT", "DELETE"])
def registration_detail_view(request: HttpRequest, client_id: str) -> HttpResponse:
    try:
        registration = dcr.registration_access_check(
            client_id=client_id,
            authorization=request.headers.get("Authorization"),
            presented_thumbprint=presented_certificate_thumbprint(request.META),
        )
        # From here on the caller is known: the client the token was issued to.
        actor = audit.Actor(audit.ActorType.CLIENT, registration.client_id)
        if request.method == "GET":
            return _registration_response(dcr.registration_body(registration), 200)
        if request.method == "PUT":
            updated = dcr.registration_update(
                registration=registration, request_jwt=_request_jwt(request), actor=actor
            )
            return _registration_response(dcr.registration_body(updated), 200)
        dcr.registration_delete(registration=registration, actor=actor)
        return HttpResponse(status=204)
    except OAuthError as exc:
        # The path's client_id is only the subject: an unauthenticated caller chose it.
        dcr.registration_rejection_record(
            error=exc, actor=audit.Actor(audit.ActorType.ANONYMOUS), client_id=client_id[:128]
        )
        return _error_response(exc)
