"""The authorization response as a signed JWT: JARM (OpenID FAPI "JWT Secured Authorization
Response Mode for OAuth 2.0") as FAPI 1.0 Advanced §5.2.2.2 and CDS authentication flows use it.

`response_mode=jwt` with `response_type=code` means `query.jwt` (JARM §2.3.4): the browser goes
to `redirect_uri?response=<JWT>`. The JWT is signed with the bank's key for the client's
registered `authorization_signed_response_alg` (CDS: PS256 when omitted) and carries `iss`,
`aud` (the client_id), `exp` and the response parameters: `code` and `state`, or `error`,
`error_description` and `state` (JARM §2.1, §2.3.1). It is not encrypted: CDS says the
response holds nothing confidential and advises against encryption.

RFC 9207 `iss` query parameter: with JARM the `iss` claim already gives the mix-up protection
(RFC 9207 §2.4: "an additional iss parameter outside the JWT is not necessary"), but our
issue asks for it beside `response` as well, and discovery advertises
`authorization_response_iss_parameter_supported`. `ISS_QUERY_PARAMETER` switches it; note
that the OpenID conformance suite's FAPI 1.0 JARM check `RejectNonJarmResponsesInUrlQuery`
fails a response carrying anything but `response` (JARM §2.1 puts every parameter in the JWT).

Every redirect here is 303 See Other (FAPI 2.0 5.3.2.2-10/11, FAPI-CHECKLIST row 17): a 307
would make the browser re-send a POSTed form (the customer's consent form) to the recipient.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.http import HttpResponse
from django.http.response import HttpResponseRedirectBase

from security.oauth import jose
from security.oauth.endpoints import issuer
from security.oauth.models import ClientRegistration

#: Seconds the response JWT is valid: long enough for a slow browser hop, short enough that
#: a leaked URL is soon useless (the code inside lives 60 s anyway).
JARM_LIFETIME = 120
DEFAULT_ALG = "PS256"  # CDS: when authorization_signed_response_alg is omitted
ISS_QUERY_PARAMETER = True


class HttpResponseSeeOther(HttpResponseRedirectBase):
    status_code = 303


def see_other(url: str) -> HttpResponse:
    """A 303 redirect that no cache keeps and that sends no Referer onwards."""
    response = HttpResponseSeeOther(url)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def jarm_redirect_url(
    *,
    registration: ClientRegistration,
    redirect_uri: str,
    state: str | None,
    code: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
    now: float | None = None,
) -> str:
    """Where to send the browser: `redirect_uri` (already validated) with the signed response.

    Exactly one of `code` and `error` is given. `redirect_uri` must be the one validated at
    PAR: this function trusts it.
    """
    if (code is None) == (error is None):
        raise ValueError("An authorization response carries either a code or an error.")
    now = time.time() if now is None else now
    claims: dict[str, object] = {
        "iss": issuer(),
        "aud": registration.client_id,
        "exp": int(now) + JARM_LIFETIME,
    }
    if code is not None:
        claims["code"] = code
    else:
        claims["error"] = error
        if error_description:
            claims["error_description"] = error_description
    if state is not None:
        claims["state"] = state
    alg = registration.authorization_signed_response_alg or DEFAULT_ALG
    if alg not in jose.ALLOWED_ALGS:
        # DCR only stores PS256/ES256; anything else is a corrupted row: fail, never downgrade.
        raise ValueError("authorization_signed_response_alg is not PS256 or ES256.")
    params = {"response": jose.sign(claims, alg=alg)}
    if ISS_QUERY_PARAMETER:
        params["iss"] = issuer()
    # Append rather than rebuild: a registered query string stays byte for byte as
    # registered (redirect URIs never carry a fragment; PAR refuses them).
    separator = "&" if "?" in redirect_uri else "?"
    return redirect_uri + separator + urlencode(params)
