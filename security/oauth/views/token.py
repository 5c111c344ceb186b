"""The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6; RFC 7636 §4.6; RFC 8705 §3).

POST, form-encoded, with private_key_jwt client authentication over mTLS. The grants are
`authorization_code`, `refresh_token` and `client_credentials`; any other grant type
(password, implicit, device code, token exchange...) is `unsupported_grant_type`. The work is
in security.oauth.tokens; this view parses, authenticates, dispatches and answers with
`Cache-Control: no-store` (RFC 6749 §5.1).

Token issuance is deliberately not oauthlib's flow through DOT's TokenView: CDS needs
things oauthlib's token endpoint has no hook for (cdr_arrangement_id in the body, refresh
tokens that expire with the sharing period and never rotate, none for once-off consents,
certificate binding, replay revocation). DOT's models and digest storage are used as is.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from security.mtls import presented_certificate_thumbprint
from security.oauth import register_client, tokens
from security.oauth.client_auth import client_authenticate, client_authenticate_transport
from security.oauth.errors import (
    InvalidRequest,
    OAuthError,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from security.oauth.models import ClientRegistration
from security.refusals import oauth_refusal_audit

FORM = "application/x-www-form-urlencoded"

_Exchange = Callable[[ClientRegistration, QueryDict, str | None], tokens.TokenResponse]


def form_parameters(request: HttpRequest) -> QueryDict:
    """The form body of an OAuth back-channel POST (RFC 6749 §3.2).

    Only `application/x-www-form-urlencoded`; a parameter sent twice is refused (§3.1, §3.2:
    "MUST NOT be included more than once"), so no two parsers can read different values.
    """
    if request.content_type != FORM:
        raise InvalidRequest(f"The request body must be {FORM}.")
    for _, values in request.POST.lists():
        if len(values) > 1:
            raise InvalidRequest("A parameter is repeated.")
    return request.POST


def no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _authorization_code(
    registration: ClientRegistration, form: QueryDict, thumbprint: str | None
) -> tokens.TokenResponse:
    return tokens.authorization_code_exchange(
        registration=registration,
        code=form.get("code"),
        redirect_uri=form.get("redirect_uri"),
        code_verifier=form.get("code_verifier"),
        presented_thumbprint=thumbprint,
    )


def _refresh_token(
    registration: ClientRegistration, form: QueryDict, thumbprint: str | None
) -> tokens.TokenResponse:
    return tokens.refresh_token_exchange(
        registration=registration,
        refresh_token=form.get("refresh_token"),
        scope=form.get("scope"),
        presented_thumbprint=thumbprint,
    )


def _client_credentials(
    registration: ClientRegistration, form: QueryDict, thumbprint: str | None
) -> tokens.TokenResponse:
    return tokens.client_credentials_exchange(
        registration=registration, scope=form.get("scope"), presented_thumbprint=thumbprint
    )


_GRANTS: dict[str, _Exchange] = {
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
    "client_credentials": _client_credentials,
}


@csrf_exempt  # a back-channel API authenticated by client assertion; no cookies involved
@require_POST
def token_view(request: HttpRequest) -> HttpResponse:
    try:
        form = form_parameters(request)
        if register_client.is_register_assertion(form):
            # The CDR Register (admin scopes only): not a DCR client, its own module.
            client_authenticate_transport(request)
            result = register_client.register_token_issue(
                form=form, presented_thumbprint=presented_certificate_thumbprint(request.META)
            )
            return no_store(JsonResponse(result.as_body()))
        registration = client_authenticate(request, endpoint="token_endpoint")
        grant_type = form.get("grant_type")
        if not grant_type:
            raise InvalidRequest("grant_type is required.")
        exchange = _GRANTS.get(grant_type)
        if exchange is None:
            raise UnsupportedGrantType("Supported: authorization_code, refresh_token, "
                                       "client_credentials.")
        if grant_type not in registration.grant_types:
            raise UnauthorizedClient("The client is not registered for this grant type.")
        tokens.client_token_eligibility_check(registration=registration)
        result = exchange(registration, form, presented_certificate_thumbprint(request.META))
    except OAuthError as exc:
        oauth_refusal_audit(request, exc, endpoint="token")
        return exc.response()
    return no_store(JsonResponse(result.as_body()))
