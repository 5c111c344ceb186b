"""The response headers every answer of the bank carries, in one place (one middleware).

Django's SecurityMiddleware already sets HSTS (two years, includeSubDomains, on every HTTPS
response), `X-Content-Type-Options: nosniff`, `Referrer-Policy` and
`Cross-Origin-Opener-Policy`; the clickjacking middleware `X-Frame-Options: DENY`. This adds
what Django has no setting for, without overriding a view that chose stricter or more specific
values (the consent pages' CSP names the recipient's origin as a form target; discovery and
JWKS are cacheable for five minutes so that key rotation is seen quickly):

- `Content-Security-Policy`: nothing at all may load for API (JSON) responses; HTML pages
  (the staff console) may load scripts, styles and images from the bank only; never framed.
- `Permissions-Policy`: every powerful browser feature denied.
- `Cross-Origin-Resource-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`.
- `Cache-Control: no-store` (and `Pragma: no-cache` for HTTP/1.0 caches) unless the view set
  its own, and always for a request that carried credentials: data and tokens are never kept
  by a browser or a shared cache.
- `Referrer-Policy: no-referrer` on everything but HTML pages, which keep Django's
  `same-origin`: under no-referrer browsers send `Origin: null` with a form POST, which the
  CSRF check rightly refuses (the consent pages and the staff console would stop working).
- `X-XSS-Protection: 0`: the checklist asks for the header; `0` is the safe value. The old
  filter of IE and early Chrome could be abused to delete parts of a page (XS-Leaks), every
  current browser has removed it, and the CSP above is the real protection (OWASP Secure
  Headers Project and MDN recommend `0`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "bluetooth", "browsing-topics", "camera", "display-capture",
    "document-domain", "encrypted-media", "fullscreen", "geolocation", "gyroscope", "hid",
    "idle-detection", "magnetometer", "microphone", "midi", "payment", "picture-in-picture",
    "publickey-credentials-get", "screen-wake-lock", "serial", "sync-xhr", "usb",
    "xr-spatial-tracking",
))
FIXED = {
    # Also set by Django's clickjacking middleware, but that one sits at the end of the chain
    # and never sees the answers of the middleware before it (static files, wrong listener).
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "X-XSS-Protection": "0",
}


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in FIXED.items():
            response[name] = value
        html = response.get("Content-Type", "").startswith("text/html")
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = PAGE_CSP if html else API_CSP
        if not html:
            response["Referrer-Policy"] = "no-referrer"
        meta = request.META
        credentialed = bool(meta.get("HTTP_AUTHORIZATION") or meta.get("HTTP_COOKIE"))
        if credentialed or "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        for name in ("Server", "X-Powered-By"):
            if name in response:
                del response[name]
        return response
