"""The pushed authorization request endpoint: RFC 9126 §2, as FAPI 1.0 Advanced and CDS use it.

POST only (405 otherwise), `application/x-www-form-urlencoded`, each parameter once. The body
holds the client's authentication (private_key_jwt, RFC 7523; the assertion's `aud` may be the
issuer or this endpoint's URL, RFC 9126 §2) and the signed `request` object, and nothing else:
FAPI 1.0 Adv 5.2.2-10 uses only the request object's parameters, so loose authorization
parameters beside it are refused (invalid_request) rather than silently ignored, which would
let a recipient believe a parameter took effect.

Errors are RFC 6749 §5.2 JSON bodies (RFC 9126 §2.3):
- invalid_client (401): no, malformed or failing client authentication;
- unauthorized_client (400): the client authenticated but may not ask for authorizations now
  (its software product or recipient is not ACTIVE at the Register, or it is not registered
  for the authorization_code grant). Not invalid_client: its credentials are fine, and
  invalid_client would tell it to fix them;
- invalid_request / invalid_request_object / invalid_scope: see security/oauth/request_object.py.

Success is 201 with `{"request_uri", "expires_in"}`, `Cache-Control: no-store`. The request_uri
holds 256 random bits (RFC 9126 §7.1) and expires in 90 s (CDS: between 10 and 90 s).
CSRF-exempt: recipients' servers call it, with no cookie and no browser session.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from security.oauth.client_auth import client_authenticate
from security.oauth.errors import InvalidRequest, OAuthError, UnauthorizedClient
from security.oauth.models import PushedAuthorizationRequest
from security.oauth.request_object import request_object_validate
from security.refusals import oauth_refusal_audit

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
REQUEST_URI_LIFETIME = timedelta(seconds=90)
#: The only form fields PAR takes: client authentication and the request object.
ALLOWED_FIELDS = frozenset({"client_assertion", "client_assertion_type", "client_id", "request"})


@csrf_exempt
@require_POST
def par_view(request: HttpRequest) -> HttpResponse:
    try:
        return _push(request)
    except OAuthError as exc:
        oauth_refusal_audit(request, exc, endpoint="par")
        return exc.response()


def _push(request: HttpRequest) -> HttpResponse:
    if request.content_type != "application/x-www-form-urlencoded":
        raise InvalidRequest("The body must be application/x-www-form-urlencoded.")
    if request.GET:
        raise InvalidRequest("Parameters go in the body, not the URL.")
    # Authenticate before looking at anything else (FAPI-CHECKLIST row 10): an anonymous
    # caller learns nothing about what the rest of its request would have done.
    registration = client_authenticate(request, endpoint="pushed_authorization_request_endpoint")
    if any(len(values) > 1 for _, values in request.POST.lists()):
        raise InvalidRequest("A parameter is repeated.")
    if set(request.POST) - ALLOWED_FIELDS:
        raise InvalidRequest("Authorization parameters must be inside the request object.")
    if not registration.software_product.is_active:
        raise UnauthorizedClient("The software product is not active at the CDR Register.")
    if "authorization_code" not in registration.grant_types:
        raise UnauthorizedClient("The client is not registered for the authorization_code grant.")
    request_object = request.POST.get("request")
    if not request_object:
        raise InvalidRequest("The signed request object (request) is required.")
    params = request_object_validate(request_object=request_object, registration=registration)
    pushed = PushedAuthorizationRequest.objects.create(
        request_uri=REQUEST_URI_PREFIX + secrets.token_urlsafe(32),
        registration=registration,
        parameters=params.to_json(),
        expires_at=timezone.now() + REQUEST_URI_LIFETIME,
    )
    response = JsonResponse(
        {"request_uri": pushed.request_uri,
         "expires_in": int(REQUEST_URI_LIFETIME.total_seconds())},
        status=201,
    )
    response["Cache-Control"] = "no-store"
    return response
