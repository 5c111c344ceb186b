"""The token revocation endpoint (RFC 7009 §2; CDS security/endpoints/_token_revocation.md).

Client-authenticated POST with `token` and an optional `token_type_hint`. Access and refresh
tokens are both supported (CDS MUST). The answer is 200 with an empty body whether or not
anything was revoked (RFC 7009 §2.2); what revoking each kind takes with it is documented
on security.oauth.tokens.token_revoke.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from security.oauth import tokens
from security.oauth.client_auth import client_authenticate
from security.oauth.errors import InvalidRequest, OAuthError
from security.oauth.views.token import form_parameters, no_store
from security.refusals import oauth_refusal_audit


@csrf_exempt  # a back-channel API authenticated by client assertion; no cookies involved
@require_POST
def revocation_view(request: HttpRequest) -> HttpResponse:
    try:
        form = form_parameters(request)
        registration = client_authenticate(request, endpoint="revocation_endpoint")
        token = form.get("token")
        if not token:
            raise InvalidRequest("token is required.")
        tokens.token_revoke(
            registration=registration, token=token, token_type_hint=form.get("token_type_hint")
        )
    except OAuthError as exc:
        oauth_refusal_audit(request, exc, endpoint="revocation")
        return exc.response()
    return no_store(HttpResponse(status=200))
