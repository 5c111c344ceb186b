"""The staff console's admin site: every page behind a second factor (issue 9).

`StaffAdminSite` is the project's `admin.site` (security/apps.py AuditedAdminConfig). It keeps
AuditedAdminSite's auditing and adds:

- **the gate** (`has_permission`, which `admin_view` asks before every admin page, the app
  index, history, password change, custom views and logout included): an active member of
  staff whose session carries the second-factor marker (security/staff/session.py); for
  "totp", also a confirmed django-otp device verified in this session; the session neither
  idle past BANK_STAFF_IDLE_SECONDS nor older than BANK_STAFF_SESSION_MAX_SECONDS. A
  password alone reaches no admin page;
- **the sign-in**: password and TOTP code in one form (StaffLoginForm), so no session ever
  holds a password-only staff login; the session key is rotated at sign-in; success and
  every failure are audited (reason class, never the code);
- **expiry**: an expired session is logged out (flushed) on its next admin request.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from security.admin_audit import AuditedAdminSite
from security.audit import Actor, ActorType, audit_record
from security.client_ip import client_ip
from security.staff.events import STAFF_LOGIN_SUCCEEDED, STAFF_SESSION_EXPIRED
from security.staff.forms import StaffLoginForm
from security.staff.session import (
    marker_get,
    session_has_expired,
    session_start,
    session_touch,
)


def staff_has_second_factor(request: HttpRequest) -> bool:
    """Whether this request's user may use the console: active staff, a valid unexpired
    second-factor marker and, for TOTP, the django-otp device verified in this session."""
    user = getattr(request, "user", None)
    if user is None or not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    marker = marker_get(request)
    if marker is None or session_has_expired(request):
        return False
    if marker["method"] == "totp":
        is_verified = getattr(user, "is_verified", None)
        return callable(is_verified) and bool(is_verified())
    # "oidc": set only by the staff SSO backend after its own checks (security/staff_sso);
    # session data lives on the server, so a client cannot forge it. Its StaffIdentity must
    # still map to this user (deleting the mapping ends the session).
    from security.staff_sso.services import oidc_marker_valid
    return oidc_marker_valid(request, marker)


class StaffLoginView(LoginView):
    """Django's LoginView, finishing a staff sign-in: the marker, the timers, the audit."""

    def form_valid(self, form: Any) -> HttpResponse:
        # auth.login() rotates the session key and, through django-otp's user_logged_in
        # receiver, stores the verified device; session_start() rotates it once more.
        response = super().form_valid(form)
        session_start(self.request, method="totp")
        user = form.get_user()
        audit_record(actor=Actor(ActorType.STAFF, str(user.pk)), event_type=STAFF_LOGIN_SUCCEEDED,
                     subject_type="staff_user", subject_id=user.pk,
                     source_ip=client_ip(self.request), detail={"method": "totp"})
        return response


class StaffAdminSite(AuditedAdminSite):
    login_form = StaffLoginForm
    login_template = "staff/login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and staff_has_second_factor(request)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        gated = super().admin_view(view, cacheable)

        @functools.wraps(gated)
        def with_session_limits(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            _end_expired_session(request)
            response = gated(request, *args, **kwargs)
            if staff_has_second_factor(request):
                session_touch(request)
            return response

        return with_session_limits

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None
              ) -> HttpResponse:
        """AdminSite.login with StaffLoginView (AdminSite.login hard-codes LoginView)."""
        _end_expired_session(request)
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": "Log in",
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        view = StaffLoginView.as_view(extra_context=context, authentication_form=self.login_form,
                                      template_name=self.login_template)
        return cast(HttpResponse, view(request))


def _end_expired_session(request: HttpRequest) -> None:
    """Log out a staff session past its idle or absolute limit (flushes the marker too)."""
    user = getattr(request, "user", None)
    if (user is None or not user.is_authenticated or marker_get(request) is None
            or not session_has_expired(request)):
        return
    audit_record(actor=Actor(ActorType.STAFF, str(user.pk)), event_type=STAFF_SESSION_EXPIRED,
                 subject_type="staff_user", subject_id=user.pk, source_ip=client_ip(request))
    auth_logout(request)
