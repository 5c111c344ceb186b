"""The holder's CDR arrangement revocation endpoint (CDS
security/endpoints/_cdr_arrangement_revocation.md, "Data Holder hosted endpoint").

Client-authenticated (private_key_jwt) POST of the form parameter `cdr_arrangement_id`, the
only method a holder supports. 204 when the arrangement and all its tokens are revoked;
otherwise 422 Authorisation/InvalidArrangement in the CDS error format (Payload Conventions),
while client-authentication failures keep OAuth's `invalid_client` format (RFC 6749 §5.2).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bank.api.errors import CdrError
from security.oauth import tokens
from security.oauth.client_auth import client_authenticate
from security.oauth.errors import OAuthError
from security.oauth.views.token import form_parameters, no_store
from security.refusals import oauth_refusal_audit


@csrf_exempt  # a back-channel API authenticated by client assertion; no cookies involved
@require_POST
def arrangement_revocation_view(request: HttpRequest) -> HttpResponse:
    try:
        form = form_parameters(request)
        registration = client_authenticate(
            request, endpoint="cdr_arrangement_revocation_endpoint"
        )
        tokens.arrangement_revoke_by_recipient(
            registration=registration, cdr_arrangement_id=form.get("cdr_arrangement_id")
        )
    except OAuthError as exc:
        oauth_refusal_audit(request, exc, endpoint="arrangement_revocation")
        return exc.response()
    except CdrError as exc:
        oauth_refusal_audit(request, exc, endpoint="arrangement_revocation")
        return no_store(JsonResponse({"errors": [exc.as_error_object()]}, status=exc.status_code))
    return no_store(HttpResponse(status=204))
