"""Who is logged in to the dashboard, kept in the server-side session (nothing in the browser
but the session and CSRF cookies, with the consent pages' settings: httpOnly, Secure,
SameSite=Strict, 15 minutes at most: bank/settings/base.py).

The login is the consent pages' own (security/login: password, then a one-time code, LoA 3);
a login for the dashboard is kept apart from any consent flow, and the reverse. On top of the
session's 15 minutes, a login ends after DASHBOARD_IDLE_SECONDS without a page (default 5
minutes): a dashboard left open on a shared computer must not stay usable for long.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import rotate_token

from accounts.models import User
from security.login.services import binding_digest

_KEY = "dashboard"
DEFAULT_IDLE_SECONDS = 5 * 60


@dataclass
class DashboardLogin:
    user_id: int | None = None
    code_id: int | None = None
    #: A random value per login attempt: the one-time code is bound to it, so a code sent
    #: for a consent flow (or an earlier attempt) never logs in here.
    nonce: str = ""
    authenticated_at: float | None = None
    last_seen: float | None = None
    notice: str = ""

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None and self.authenticated_at is not None

    @property
    def binding(self) -> str:
        return binding_digest(f"dashboard:{self.nonce}")


def idle_seconds() -> int:
    return int(getattr(settings, "BANK_DASHBOARD_IDLE_SECONDS", DEFAULT_IDLE_SECONDS))


def login_get(request: HttpRequest) -> DashboardLogin:
    data = request.session.get(_KEY)
    if not isinstance(data, dict):
        return DashboardLogin()
    try:
        return DashboardLogin(**data)
    except TypeError:  # a shape from another release: start again
        return DashboardLogin()


def login_save(request: HttpRequest, login: DashboardLogin) -> None:
    request.session[_KEY] = asdict(login)


def login_start(request: HttpRequest, *, user: User) -> DashboardLogin:
    """After the password: a new session key and CSRF secret (session fixation), and a fresh
    state that knows the user but is not yet authenticated."""
    request.session.cycle_key()
    rotate_token(request)
    login = DashboardLogin(user_id=user.pk, nonce=secrets.token_urlsafe(16))
    login_save(request, login)
    return login


def login_complete(request: HttpRequest, login: DashboardLogin) -> None:
    """After the one-time code: authenticated from now on, under a new session key."""
    request.session.cycle_key()
    login.authenticated_at = login.last_seen = time.time()
    login.code_id = None
    login_save(request, login)


def login_end(request: HttpRequest, *, notice: str = "") -> None:
    """Log out of the dashboard: its state goes and the session gets a new key and CSRF
    secret (a consent flow in progress in the same browser is not the dashboard's to end)."""
    request.session.pop(_KEY, None)
    request.session.cycle_key()
    rotate_token(request)
    if notice:
        login_save(request, DashboardLogin(notice=notice))


def customer_user(request: HttpRequest) -> User | None:
    """The customer login of this session if it passed both factors, has not been idle too
    long and may still act; else None (and an idle login is ended)."""
    login = login_get(request)
    if not login.authenticated or login.user_id is None:
        return None
    now = time.time()
    if login.last_seen is None or now - login.last_seen > idle_seconds():
        login_end(request, notice="You were logged out because you were inactive for a while.")
        return None
    user = User.objects.select_related("customer").filter(pk=login.user_id).first()
    if user is None or not user.is_active or user.customer is None or user.is_staff:
        login_end(request)
        return None
    login.last_seen = now
    login_save(request, login)
    return user
