"""Staff SSO views: start a sign-in (or a step-up), and its callback.

Thin subclasses of mozilla-django-oidc's views. What they add:
- `next` is a same-origin path only (the library also takes absolute URLs on allowed hosts);
- a step-up asks the IdP for a fresh login (`prompt=login`, `max_age=0`) and its state is
  remembered, so the callback demands a fresh `auth_time` for that sign-in only;
- on success the admin gate's marker is set (method "oidc", with the user and the
  StaffIdentity it came through) and the session key rotated. The marker's time is the IdP's
  `auth_time`, not ours: a silent sign-in riding an old IdP session must not pass the
  unmask step-up; only a step-up (a fresh `auth_time` demanded) makes it recent;
- the session's sign-in time is set at its first sign-in only, so silent re-sign-ins do not
  stretch the absolute session limit (security/staff/session.py);
- a callback that arrives cross-site without the session (SameSite=Strict) is bounced once
  through our own origin (bounce.py); an `error` answer is never bounced, and touches the
  session (the library logs out) only when its state is one this session is waiting for:
  otherwise anyone could log a member of staff out with a cross-site link;
- every refusal is audited with its reason class and shows one plain page: no detail that
  would help an attacker tell which check failed.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from security.client_ip import client_ip
from security.staff.session import (
    LAST_SEEN_KEY,
    SIGNED_IN_AT_KEY,
    marker_get,
    session_has_expired,
)
from security.staff_sso import errors
from security.staff_sso.bounce import bounce_response, callback_needs_bounce
from security.staff_sso.config import SECOND_FACTOR_SESSION_KEY, STEP_UP_STATES_SESSION_KEY
from security.staff_sso.errors import StaffSsoRefusedError
from security.staff_sso.services import staff_sso_login_record, staff_sso_refusal_record

DEFAULT_NEXT = "/admin/"
#: Step-ups a session may have in flight (tabs); older ones are forgotten.
_MAX_STEP_UP_STATES = 5


def safe_next_path(candidate: str | None) -> str:
    """`candidate` if it is a path on this site, else the admin's index."""
    if (candidate and candidate.startswith("/") and not candidate.startswith(("//", "/\\"))
            and url_has_allowed_host_and_scheme(candidate, allowed_hosts=set())):
        return candidate
    return DEFAULT_NEXT


def refusal_response(request: HttpRequest, reason: str) -> HttpResponse:
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    staff_sso_refusal_record(reason=reason, user_id=user_id,
                             step_up=bool(getattr(request, "staff_sso_step_up", False)),
                             source_ip=client_ip(request))
    return render(request, "staff_sso/refused.html", status=403)


class StaffSsoAuthenticateView(OIDCAuthenticationRequestView):
    """Redirects to the IdP with state, nonce and PKCE S256 kept in the session."""

    step_up = False

    def get(self, request: HttpRequest) -> HttpResponseBase:
        response = super().get(request)
        request.session["oidc_login_next"] = safe_next_path(request.GET.get("next"))
        if self.step_up:
            state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
            pending = request.session.get(STEP_UP_STATES_SESSION_KEY, [])
            request.session[STEP_UP_STATES_SESSION_KEY] = [
                *pending[-(_MAX_STEP_UP_STATES - 1):], state]
        return response

    def get_extra_params(self, request: HttpRequest) -> dict[str, Any]:
        params = dict(super().get_extra_params(request))
        if self.step_up:
            # OIDC Core §3.1.2.1: the IdP must authenticate the user again, now.
            params.update({"prompt": "login", "max_age": "0"})
        return params


class StaffSsoStepUpView(LoginRequiredMixin, StaffSsoAuthenticateView):
    """Re-authenticates the signed-in member of staff at the IdP (issue 9 step-up)."""

    step_up = True
    raise_exception = True  # no login redirect loop: a step-up needs a session


class StaffSsoCallbackView(OIDCAuthenticationCallbackView):
    """The IdP's redirect back: the library checks state, we check everything else."""

    def get(self, request: HttpRequest) -> HttpResponseBase:
        state = request.GET.get("state", "")
        if "error" in request.GET and not _state_pending(request, state):
            # Not an answer to a sign-in this session started: refuse, session untouched.
            return refusal_response(request, errors.STATE)
        if callback_needs_bounce(request):
            return bounce_response(request)
        pending = request.session.get(STEP_UP_STATES_SESSION_KEY, [])
        request.staff_sso_step_up = state in pending  # type: ignore[attr-defined]
        if state in pending:
            # Single-use like the state itself; the library saves the session next.
            request.session[STEP_UP_STATES_SESSION_KEY] = [s for s in pending if s != state]
        try:
            return super().get(request)
        except StaffSsoRefusedError as refusal:
            return refusal_response(request, refusal.reason)
        except SuspiciousOperation:  # the library: a state this session never issued
            return refusal_response(request, errors.STATE)
        except requests.RequestException:
            return refusal_response(request, errors.TOKEN_EXCHANGE)

    def login_failure(self) -> HttpResponse:
        reason = errors.IDP_ERROR if self.request.GET.get("error") else errors.STATE
        return refusal_response(self.request, reason)

    def login_success(self) -> HttpResponseBase:
        signed_in_at = _signed_in_at_to_keep(self.request, self.user)
        response = super().login_success()
        session = self.request.session
        now = int(time.time())
        session[SIGNED_IN_AT_KEY] = now if signed_in_at is None else signed_in_at
        session[LAST_SEEN_KEY] = now
        session[SECOND_FACTOR_SESSION_KEY] = {
            "method": "oidc", "at": self.request.staff_sso_auth_time,
            "user": self.user.pk, "identity": self.request.staff_sso_identity_id}
        # A new key for the newly privileged session, also after a step-up (same user, so
        # the library skipped login(), which would have rotated it).
        session.cycle_key()
        staff_sso_login_record(user=self.user, identity_id=self.request.staff_sso_identity_id,
                               step_up=self.request.staff_sso_step_up,
                               source_ip=client_ip(self.request))
        return response


def _state_pending(request: HttpRequest, state: str) -> bool:
    """Whether this session started the sign-in `state` names (read-only on the session)."""
    pending = request.session.get("oidc_states")
    return bool(state) and isinstance(pending, dict) and state in pending


def _signed_in_at_to_keep(request: HttpRequest, user: Any) -> int | None:
    """The sign-in time of the staff session `user` already has here, still within its
    limits; None when this sign-in starts a session (another user, none, or expired)."""
    current = getattr(request, "user", None)
    if (current is None or not current.is_authenticated or current.pk != user.pk
            or marker_get(request) is None or session_has_expired(request)):
        return None
    signed_in_at = request.session.get(SIGNED_IN_AT_KEY)
    return signed_in_at if type(signed_in_at) is int else None
