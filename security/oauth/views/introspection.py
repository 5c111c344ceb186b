"""The introspection endpoint (RFC 7662 §2; CDS security/endpoints/_token_introspection.md).

Client-authenticated POST. Only the caller's own live refresh tokens are active; access and
ID tokens are never introspected (CDS MUST NOT), and anything else is `{"active": false}`
with 200, as RFC 7662 §2.2 answers for a token the caller may not see.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from security.oauth import tokens
from security.oauth.client_auth import client_authenticate
from security.oauth.errors import InvalidRequest, OAuthError
from security.oauth.views.token import form_parameters, no_store
from security.refusals import oauth_refusal_audit


@csrf_exempt  # a back-channel API authenticated by client assertion; no cookies involved
@require_POST
def introspection_view(request: HttpRequest) -> HttpResponse:
    try:
        form = form_parameters(request)
        registration = client_authenticate(request, endpoint="introspection_endpoint")
        token = form.get("token")
        if not token:
            raise InvalidRequest("token is required.")
        body = tokens.refresh_token_introspect(registration=registration, token=token)
    except OAuthError as exc:
        oauth_refusal_audit(request, exc, endpoint="introspection")
        return exc.response()
    return no_store(JsonResponse(body))
