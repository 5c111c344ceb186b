"""The authorization endpoint: OIDC Core §3.1.2 reached through PAR (RFC 9126 §4), FAPI 1.0 Adv.

The browser arrives with `client_id` and `request_uri` (from PAR) and nothing of substance:
CDS requires PAR for every authorization request and forbids the `request` parameter here.
OIDC Core §6.1 makes clients repeat `response_type` and `scope` (and RFC 6749 `redirect_uri`)
outside the request object; those are tolerated only when they agree with the pushed request
and are never used (see `TOLERATED_DUPLICATES` in security/oauth/authorization.py). Any other
parameter, a repeated one, or a request_uri that is unknown, expired, already used or another
client's ends here on a 400 error page: nothing was validated that could be redirected to,
and the page repeats none of the input.

On success the request_uri is spent (single use) and the browser is sent with a 303 to the
consent pages at `CONSENT_START_PATH`, carrying only the authorization's random handle.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.views.decorators.http import require_GET

from security.oauth.authorization import authorization_start
from security.oauth.errors import InvalidRequest, OAuthError
from security.oauth.jarm import see_other
from security.refusals import oauth_refusal_audit

#: Served by the consent pages (next issue): GET shows the pending authorization
#: (`authorization_pending_get`), the customer logs in, chooses accounts and decides
#: (`authorization_decide`). bank/urls.py must route this path to them.
CONSENT_START_PATH = "/consent/{handle}"

_ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorisation request not accepted</title>
</head><body><main><h1>We can't continue with this request</h1>
<p>The app or website that sent you here made a request we can't accept, or the link has
already been used or has expired. Please go back to it and start again.</p>
<p>Error code: {error}</p></main></body></html>
"""


@require_GET
def authorize_view(request: HttpRequest) -> HttpResponse:
    try:
        return _authorize(request)
    except OAuthError as exc:
        oauth_refusal_audit(request, exc, endpoint="authorize")
        return _error_page(exc)


def _authorize(request: HttpRequest) -> HttpResponse:
    query = request.GET
    if any(len(values) > 1 for _, values in query.lists()):
        raise InvalidRequest("A parameter is repeated.")
    client_id, request_uri = query.get("client_id"), query.get("request_uri")
    if not client_id or not request_uri:
        raise InvalidRequest("client_id and request_uri are required.")
    duplicates = {
        name: str(query[name]) for name in query if name not in ("client_id", "request_uri")
    }
    authorization = authorization_start(
        client_id=client_id, request_uri=request_uri, duplicates=duplicates
    )
    return see_other(CONSENT_START_PATH.format(handle=authorization.handle))


def _error_page(exc: OAuthError) -> HttpResponse:
    # Only the error code, which is ours: never a parameter value, a client name or a URI.
    response = HttpResponse(
        _ERROR_PAGE.format(error=escape(exc.error)), status=400,
        content_type="text/html; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    return response
