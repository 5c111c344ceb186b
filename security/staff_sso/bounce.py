"""The callback's same-site bounce: a SameSite=Strict session cookie and an IdP on another site.

The IdP returns the browser to the callback with a navigation started on the IdP's site.
Browsers attach a SameSite=Strict cookie only to same-site requests (draft RFC 6265bis,
"Same-site and Cross-site Requests": a redirect chain through another site is cross-site),
so the callback runs without the session that holds the sign-in's state, nonce and PKCE
verifier. Rather than weaken the cookie to Lax for the whole console, the callback
answers such a request once with a page that navigates to the same URL from our own origin
(a meta refresh, no script: the page CSP allows none inline). That second request is
same-site and carries the cookie.

Loops and abuse: the bounced URL carries BOUNCE_PARAM, and a request that has it is never
bounced again: without the state it is refused like any unknown state. The page repeats only
what is already in its own URL (a single-use code and state), is never stored (no-store),
sends no Referer on, and sets no cookie (it does not write to the session: a new session
cookie would replace the one the browser did not send). The access log names the path only
(bank/gunicorn_tls.py), never the query.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

#: Marks a callback request as the bounce's own, so it is bounced at most once.
BOUNCE_PARAM = "sso_bounced"


def callback_needs_bounce(request: HttpRequest) -> bool:
    """A callback with a state this session does not hold, not bounced before, and not an
    `error` answer (bouncing one would let a cross-site link end a session: the library
    logs out on an error; the callback refuses an error whose state it does not hold).

    Read-only on the session: reading an empty session creates no cookie.
    """
    state = request.GET.get("state")
    if not state or BOUNCE_PARAM in request.GET or "error" in request.GET:
        return False
    pending = request.session.get("oidc_states")
    return not (isinstance(pending, dict) and state in pending)


def bounce_response(request: HttpRequest) -> HttpResponse:
    """The page that re-requests this callback URL from our own origin, once."""
    query = request.GET.copy()
    query[BOUNCE_PARAM] = "1"
    # Rebuilt from the parsed query: percent-encoded, so nothing in it can end the meta
    # refresh's URL early; the template escapes it for the attribute.
    target = f"{request.path}?{query.urlencode()}"
    response = render(request, "staff_sso/bounce.html", {"target": target})
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    # The code and state stay out of any Referer, even our own.
    response["Referrer-Policy"] = "no-referrer"
    return response
