"""The staff session: the second-factor marker (issue 9 contract) and its time limits.

`request.session["staff_second_factor"] = {"method": "totp" | "oidc", "at": <epoch seconds>}`
is set after a TOTP verification (here) or an OIDC sign-in (security/staff_sso). Beside it
this module keeps when the session signed in and when it was last used, so an idle session
(BANK_STAFF_IDLE_SECONDS, sliding) and an old one (BANK_STAFF_SESSION_MAX_SECONDS) end
whatever the session backend's own expiry says.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest

MARKER_KEY = "staff_second_factor"
SIGNED_IN_AT_KEY = "staff_signed_in_at"
LAST_SEEN_KEY = "staff_last_seen"
METHODS = frozenset({"totp", "oidc"})


def _now() -> int:
    return int(time.time())


def marker_set(request: HttpRequest, *, method: str) -> None:
    """Record a second factor verified just now (a sign-in or a step-up); a new session key,
    so a key seen before the factor (fixation, a shoulder-surfed cookie) is worthless after."""
    if method not in METHODS:
        raise ValueError(f"Unknown second-factor method: {method}")
    request.session.cycle_key()
    now = _now()
    request.session[MARKER_KEY] = {"method": method, "at": now}
    request.session[LAST_SEEN_KEY] = now


def session_start(request: HttpRequest, *, method: str) -> None:
    """A staff sign-in completed with its second factor: the absolute cap counts from now."""
    request.session[SIGNED_IN_AT_KEY] = _now()
    marker_set(request, method=method)


def marker_get(request: HttpRequest) -> dict[str, Any] | None:
    """The marker if it is well formed, else None (fail closed on anything odd)."""
    marker = request.session.get(MARKER_KEY)
    if (not isinstance(marker, dict) or marker.get("method") not in METHODS
            or not isinstance(marker.get("at"), int)):
        return None
    return marker


def marker_is_fresh(request: HttpRequest) -> bool:
    """Whether the second factor is recent enough for a step-up protected action."""
    marker = marker_get(request)
    return (marker is not None
            and _now() - int(marker["at"]) <= settings.BANK_STAFF_STEP_UP_SECONDS)


def session_has_expired(request: HttpRequest) -> bool:
    """Idle longer than allowed or signed in too long ago. A session signed in elsewhere
    (the OIDC sign-in sets only the marker) counts both from the marker's time."""
    marker = marker_get(request)
    if marker is None:
        return True
    signed_in_at = request.session.get(SIGNED_IN_AT_KEY, marker["at"])
    last_seen = request.session.get(LAST_SEEN_KEY, marker["at"])
    if not isinstance(signed_in_at, int) or not isinstance(last_seen, int):
        return True
    now = _now()
    return (now - last_seen > settings.BANK_STAFF_IDLE_SECONDS
            or now - signed_in_at > settings.BANK_STAFF_SESSION_MAX_SECONDS)


def session_touch(request: HttpRequest) -> None:
    """Slide the idle timeout (saving the session also slides the backend's expiry)."""
    request.session[LAST_SEEN_KEY] = _now()
