"""The consent pages: what a customer sees between the recipient's PAR and the JARM redirect.

/authorize sends the browser to `/consent/<handle>` (security/oauth/views/authorize.py). Four
steps, each its own URL, each a GET that shows and a POST that acts and redirects (303):

1. `/consent/<handle>`           customer ID + password (security.login)
2. `/consent/<handle>/code`      the 6-digit code sent out of band: now LoA 3 (urn:cds.au:cdr:3)
3. `/consent/<handle>/accounts`  eligible accounts (skipped when no banking data is asked for)
4. `/consent/<handle>/confirm`   the data in the standard's language, the recipient, the
                                 sharing period, what an amendment changes; authorise or deny
and `/consent/<handle>/cancel` (POST) from any step: the recipient gets `access_denied`.

What the flow has established lives in the server-side session under a key derived from the
handle, so a login for one authorization never carries over to another, and the browser holds
nothing but the session and CSRF cookies (httpOnly, Secure, SameSite=Strict, 15 minutes:
bank/settings/base.py). The session key is rotated at each factor (session fixation). Every
page is `no-store`, cannot be framed, and has a CSP that allows only this origin's styles and
form posts to this origin and to the recipient's redirect origin (Chromium applies
`form-action` to the redirect that follows a form post).

The decision goes through the hand-over (`authorization_decide`), which checks everything
again: the accounts must be open and the customer's, the login fresh enough for the acr asked
for. How far each customer got is recorded (`authorization_stage_record`) for the CDR
abandonment metrics.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.choices import CustomerType
from accounts.models import Account, Customer, User
from accounts.selectors import accounts_eligible_for_sharing
from bank.api.formatting import masked_account_number
from security.client_ip import client_ip
from security.consent.forms import AccountSelectionForm, CodeForm, LoginForm
from security.consent.language import data_cluster_changes, data_clusters, sharing_period
from security.interaction import principal_bind
from security.login.services import (
    LoginError,
    LoginLocked,
    OtpClosed,
    OtpPurpose,
    binding_digest,
    login_password_check,
    otp_send,
    otp_verify,
)
from security.oauth.authorization import (
    AuthorizationDecisionInvalid,
    AuthorizationExpired,
    AuthorizationNotFound,
    AuthorizationUnavailable,
    PendingAuthorization,
    authorization_amended_arrangement,
    authorization_decide,
    authorization_pending_get,
    authorization_stage_record,
)
from security.oauth.jarm import see_other
from security.oauth.models import AuthorizationRequest

Stage = AuthorizationRequest.Stage

#: What the password + one-time code login achieves (security/_levels_of_assurance.md).
CONSENT_ACR = "urn:cds.au:cdr:3"
#: Handles are token_urlsafe(32): anything else is not worth a database query.
_HANDLE = re.compile(r"[A-Za-z0-9_-]{20,64}")


@dataclass
class Flow:
    """What the session remembers about one authorization in progress."""

    user_id: int | None = None
    code_id: int | None = None
    authenticated_at: float | None = None
    account_ids: list[int] = field(default_factory=list)
    accounts_chosen: bool = False
    notice: str = ""

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None and self.authenticated_at is not None


def _session_key(handle: str) -> str:
    return "consent:" + binding_digest(handle)[:32]


def _flow(request: HttpRequest, handle: str) -> Flow:
    data = request.session.get(_session_key(handle))
    return Flow(**data) if isinstance(data, dict) else Flow()


def _flow_save(request: HttpRequest, handle: str, flow: Flow) -> None:
    request.session[_session_key(handle)] = asdict(flow)


def _flow_clear(request: HttpRequest, handle: str) -> None:
    request.session.pop(_session_key(handle), None)


def _source_ip(request: HttpRequest) -> str | None:
    return client_ip(request)  # the customer's, behind the bank's own proxy too


# --- page plumbing -----------------------------------------------------------------------

ConsentView = Callable[[HttpRequest, PendingAuthorization], HttpResponse]


def consent_page(view: ConsentView) -> Callable[..., HttpResponse]:
    """Load the pending authorization (or show why there is none) and harden the response."""

    @wraps(view)
    def wrapper(request: HttpRequest, handle: str) -> HttpResponse:
        if not _HANDLE.fullmatch(handle):
            return _unavailable(request, AuthorizationNotFound())
        try:
            pending = authorization_pending_get(handle=handle)
            principal_bind(client=pending.software_product_id)
            response = view(request, pending)
        except AuthorizationUnavailable as exc:
            # Unknown, expired, or decided meanwhile (a second tab, a double submit).
            _flow_clear(request, handle)
            return _unavailable(request, exc)
        return _harden(response, form_targets=pending.redirect_origin)

    return wrapper


def _harden(response: HttpResponse, *, form_targets: str = "") -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    response["X-Frame-Options"] = "DENY"
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"form-action 'self' {form_targets}".rstrip() + "; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return response


def _unavailable(request: HttpRequest, exc: AuthorizationUnavailable) -> HttpResponse:
    expired = isinstance(exc, AuthorizationExpired)
    status = 404 if isinstance(exc, AuthorizationNotFound) else 410
    response = render(request, "consent/unavailable.html",
                      {"expired": expired, "brand_name": settings.BANK_BRAND_NAME}, status=status)
    return _harden(response)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a plain page instead of Django's, saying nothing about why."""
    return _harden(render(request, "consent/csrf_failure.html",
                          {"brand_name": settings.BANK_BRAND_NAME}, status=403))


def _page(
    request: HttpRequest, pending: PendingAuthorization, template: str,
    context: dict[str, Any], *, step: int, status: int = 200,
) -> HttpResponse:
    return render(request, f"consent/{template}", {
        "pending": pending, "step": step, "steps": 4, "brand_name": settings.BANK_BRAND_NAME,
        "cancel_url": _url("consent:cancel", pending), **context,
    }, status=status)


def _url(name: str, pending: PendingAuthorization) -> str:
    return reverse(name, kwargs={"handle": pending.handle})


def _banking_requested(pending: PendingAuthorization) -> bool:
    return any(scope.startswith("bank:") for scope in pending.scopes)


def _user(flow: Flow) -> User | None:
    """The customer login this flow authenticated with both factors, if it still may act."""
    if flow.user_id is None or flow.authenticated_at is None:
        return None
    user = User.objects.select_related("customer").filter(pk=flow.user_id).first()
    if user is None or not user.is_active or user.customer is None:
        return None
    return user


def _customer(user: User) -> Customer:
    customer = user.customer
    if customer is None:  # _user() returns customer logins only
        raise PermissionDenied("Not a customer login.")
    return customer


def _next_step(pending: PendingAuthorization, flow: Flow) -> str:
    if flow.user_id is None:
        return _url("consent:login", pending)
    if not flow.authenticated:
        return _url("consent:code", pending)
    if _banking_requested(pending) and not flow.accounts_chosen:
        return _url("consent:accounts", pending)
    return _url("consent:confirm", pending)


# --- 1. customer ID and password ------------------------------------------------------------


@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
@consent_page
def login_view(request: HttpRequest, pending: PendingAuthorization) -> HttpResponse:
    flow = _flow(request, pending.handle)
    if flow.user_id is not None:
        return see_other(_next_step(pending, flow))
    form = LoginForm(request.POST if request.method == "POST" else None)
    error = flow.notice
    if flow.notice:
        flow.notice = ""
        _flow_save(request, pending.handle, flow)
    if request.method == "POST" and form.is_valid():
        try:
            user = login_password_check(
                identifier=form.cleaned_data["customer_id"],
                password=form.cleaned_data["password"], source_ip=_source_ip(request),
            )
            code = otp_send(
                user=user, binding=binding_digest(pending.handle),
                purpose=OtpPurpose(pending.software_product_name, pending.recipient_name),
                source_ip=_source_ip(request),
            )
        except LoginError as exc:
            error = exc.message
        else:
            # A new login in this browser: forget other flows (a shared device must not hand
            # the next person an earlier customer's half-finished consent), new session key,
            # new CSRF secret.
            for key in [k for k in request.session.keys() if k.startswith("consent:")]:
                del request.session[key]
            request.session.cycle_key()
            rotate_token(request)
            _flow_save(request, pending.handle, Flow(user_id=user.pk, code_id=code.pk))
            authorization_stage_record(handle=pending.handle, stage=Stage.AUTHENTICATION)
            return see_other(_url("consent:code", pending))
    elif request.method == "POST":
        error = "Enter your customer ID and password."
    return _page(request, pending, "login.html", {"form": form, "error": error}, step=1)


# --- 2. one-time code ------------------------------------------------------------------------


@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
@consent_page
def code_view(request: HttpRequest, pending: PendingAuthorization) -> HttpResponse:
    flow = _flow(request, pending.handle)
    if flow.user_id is None or flow.code_id is None or flow.authenticated:
        return see_other(_next_step(pending, flow))
    user = User.objects.select_related("customer").filter(pk=flow.user_id).first()
    if user is None or user.customer is None:
        _flow_clear(request, pending.handle)
        return see_other(_url("consent:login", pending))
    form = CodeForm(request.POST if request.method == "POST" else None)
    error, notice = "", ""
    binding = binding_digest(pending.handle)
    if request.method == "POST" and request.POST.get("action") == "resend":
        form = CodeForm()
        try:
            code = otp_send(user=user, binding=binding, source_ip=_source_ip(request),
                            purpose=OtpPurpose(pending.software_product_name,
                                               pending.recipient_name))
        except LoginError as exc:
            error = exc.message
        else:
            flow.code_id = code.pk
            _flow_save(request, pending.handle, flow)
            notice = "We've sent you a new code. Any earlier code no longer works."
    elif request.method == "POST" and form.is_valid():
        try:
            otp_verify(code_id=flow.code_id, user=user, binding=binding, acr=CONSENT_ACR,
                       code=form.cleaned_data["code"], source_ip=_source_ip(request))
        except (OtpClosed, LoginLocked) as exc:
            # Start again from the password: the flow's login is void.
            _flow_save(request, pending.handle, Flow(notice=exc.message))
            return see_other(_url("consent:login", pending))
        except LoginError as exc:
            error = exc.message
        else:
            request.session.cycle_key()
            flow.authenticated_at = time.time()
            flow.code_id = None
            _flow_save(request, pending.handle, flow)
            # Without banking data there is no account step: the next page is the decision.
            authorization_stage_record(
                handle=pending.handle,
                stage=Stage.ACCOUNT_SELECTION if _banking_requested(pending)
                else Stage.AUTHORISATION,
            )
            return see_other(_next_step(pending, flow))
    return _page(request, pending, "code.html", {
        "form": form, "error": error, "notice": notice, "sent_to": _masked_email(user),
    }, step=2)


def _masked_email(user: User) -> str:
    email = _customer(user).email_addresses.order_by("-is_preferred", "pk").first()
    if email is None or "@" not in email.address:
        return "your email address"
    local, domain = email.address.split("@", 1)
    return f"{local[:1]}{'•' * 4}@{domain}"


# --- 3. accounts -----------------------------------------------------------------------------


@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
@consent_page
def accounts_view(request: HttpRequest, pending: PendingAuthorization) -> HttpResponse:
    flow = _flow(request, pending.handle)
    user = _user(flow)
    if user is None or not _banking_requested(pending):
        return see_other(_next_step(pending, flow))
    eligible = list(accounts_eligible_for_sharing(customer=_customer(user)))
    amended = authorization_amended_arrangement(handle=pending.handle, user=user)
    choices = [(account.pk, _account_label(account)) for account in eligible]
    if request.method == "POST":
        form = AccountSelectionForm(request.POST, choices=choices)
        if form.is_valid():
            flow.account_ids = sorted(form.cleaned_data["accounts"])
            flow.accounts_chosen = True
            _flow_save(request, pending.handle, flow)
            authorization_stage_record(handle=pending.handle, stage=Stage.AUTHORISATION)
            return see_other(_url("consent:confirm", pending))
    else:
        initial = flow.account_ids or (sorted(amended.account_ids) if amended else [])
        form = AccountSelectionForm(initial={"accounts": initial}, choices=choices)
    return _page(request, pending, "accounts.html", {
        "form": form, "accounts": eligible, "amended": amended,
    }, step=3)


def _account_label(account: Account) -> str:
    masked = masked_account_number(account.bsb, account.account_number)
    return f"{account.nickname or account.display_name} {masked}"


# --- 4. confirm ------------------------------------------------------------------------------


@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
@consent_page
def confirm_view(request: HttpRequest, pending: PendingAuthorization) -> HttpResponse:
    flow = _flow(request, pending.handle)
    user = _user(flow)
    if user is None or (_banking_requested(pending) and not flow.accounts_chosen):
        return see_other(_next_step(pending, flow))
    error = ""
    if request.method == "POST":
        if request.POST.get("action") != "authorise":
            return _decline(request, pending, user)
        try:
            url = authorization_decide(
                handle=pending.handle, user=user, approved=True, account_ids=flow.account_ids,
                acr=CONSENT_ACR,
                auth_time=datetime.fromtimestamp(flow.authenticated_at or 0, tz=UTC),
            )
        except AuthorizationDecisionInvalid:
            # E.g. an account closed since it was chosen: choose again.
            flow.accounts_chosen = False
            _flow_save(request, pending.handle, flow)
            error = "Something changed since you chose your accounts. Please check them again."
        else:
            _flow_clear(request, pending.handle)
            return see_other(url)
    return _page(request, pending, "confirm.html", {
        **_confirm_context(pending, user, flow), "error": error,
    }, step=4)


def _confirm_context(pending: PendingAuthorization, user: User, flow: Flow) -> dict[str, Any]:
    organisation = _customer(user).customer_type == CustomerType.ORGANISATION
    accounts = list(Account.objects.filter(pk__in=flow.account_ids).order_by("pk"))
    context: dict[str, Any] = {
        "clusters": data_clusters(pending.scopes, organisation=organisation),
        "accounts": [_account_label(account) for account in accounts],
        "sharing": sharing_period(pending.sharing_duration, now=timezone.now()),
        "amendment": None,
    }
    amended = authorization_amended_arrangement(handle=pending.handle, user=user)
    if amended is not None:
        chosen = set(flow.account_ids)
        before = Account.objects.filter(pk__in=amended.account_ids).order_by("pk")
        context["amendment"] = {
            "clusters": data_cluster_changes(amended.scopes, pending.scopes,
                                             organisation=organisation),
            "accounts_added": [
                _account_label(a) for a in accounts if a.pk not in amended.account_ids
            ],
            "accounts_removed": [_account_label(a) for a in before if a.pk not in chosen],
            "current_end": amended.sharing_expires_at,
        }
    return context


# --- cancel ----------------------------------------------------------------------------------


@transaction.non_atomic_requests
@require_POST
@consent_page
def cancel_view(request: HttpRequest, pending: PendingAuthorization) -> HttpResponse:
    return _decline(request, pending, _user(_flow(request, pending.handle)))


def _decline(
    request: HttpRequest, pending: PendingAuthorization, user: User | None
) -> HttpResponse:
    url = authorization_decide(handle=pending.handle, user=user, approved=False,
                               account_ids=[], acr="", auth_time=timezone.now())
    _flow_clear(request, pending.handle)
    return see_other(url)
