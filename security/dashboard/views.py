"""The customer's data-sharing dashboard (CDR Rules: the data holder's consumer dashboard).

Pages, each a GET that shows and a POST that acts and redirects (303):

- `/dashboard/login`, `/dashboard/login/code`: the consent pages' login (security/login:
  customer ID and password, then a one-time code by email: LoA 3), with their forms;
- `/dashboard/`: every arrangement of the customer, with its status;
- `/dashboard/arrangements/<pk>`: one arrangement in full, with its amendment history;
- `/dashboard/arrangements/<pk>/stop`: what stopping means, and the button that does it
  (`arrangement_revoke_by_holder`: the arrangement and its tokens are revoked, the recipient
  is told through the Celery task, the customer is the audited actor);
- `/dashboard/logout` (POST).

URLs carry the arrangement's row key, never its cdr_arrangement_id (the handle the recipient
presents to revoke it); every lookup is scoped to the logged-in customer, so someone else's
key gets the same 404 as a key that does not exist. Pages are `no-store`, cannot be framed and
post forms to this origin only, like the consent pages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Customer, User
from security.audit import Actor, ActorType
from security.client_ip import client_ip
from security.consent.forms import CodeForm, LoginForm
from security.consent.views import CONSENT_ACR, _harden
from security.dashboard import selectors
from security.dashboard.session import (
    customer_user,
    login_complete,
    login_end,
    login_get,
    login_save,
    login_start,
)
from security.login.services import (
    LoginError,
    LoginLocked,
    OtpClosed,
    OtpPurpose,
    login_password_check,
    otp_send,
    otp_verify,
)
from security.oauth.jarm import HttpResponseSeeOther
from security.oauth.tokens import arrangement_revoke_by_holder

#: What the one-time code email says the code is for.
OTP_USE = "manage your data sharing"
#: The value of the stop page's button: a POST without it changes nothing.
STOP_CONFIRMATION = "stop-sharing"

DashboardView = Callable[..., HttpResponse]


def _page(request: HttpRequest, template: str, context: dict[str, Any], *,
          status: int = 200, logged_in: bool = False) -> HttpResponse:
    return _harden(render(request, f"dashboard/{template}", {
        "brand_name": settings.BANK_BRAND_NAME, "logged_in": logged_in, **context},
        status=status))


def _see_other(name: str, **kwargs: Any) -> HttpResponse:
    # A page of this site: the same-origin Referer policy the pages have (unlike the consent
    # pages' redirects to a recipient, which send none).
    return _harden(HttpResponseSeeOther(reverse(name, kwargs=kwargs or None)))


def _not_found(request: HttpRequest) -> HttpResponse:
    # Someone else's arrangement and one that does not exist get the same answer.
    return _page(request, "not_found.html", {}, status=404, logged_in=True)


def customer_page(view: DashboardView) -> Callable[..., HttpResponse]:
    """Only for a customer logged in with both factors: anyone else goes to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = customer_user(request)
        if user is None or user.customer is None:
            return _see_other("dashboard:login")
        return view(request, user.customer, user, *args, **kwargs)

    return wrapper


def _customer_actor(customer: Customer) -> Actor:
    return Actor(ActorType.CUSTOMER, str(customer.pk))


# --- login -----------------------------------------------------------------------------


@transaction.non_atomic_requests  # a failed login and its audit row must not roll back
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if customer_user(request) is not None:
        return _see_other("dashboard:arrangements")
    login = login_get(request)
    error = login.notice
    if login.notice:
        login.notice = ""
        login_save(request, login)
    form = LoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = login_password_check(
                identifier=form.cleaned_data["customer_id"],
                password=form.cleaned_data["password"], source_ip=client_ip(request))
            login = login_start(request, user=user)
            code = otp_send(user=user, binding=login.binding, source_ip=client_ip(request),
                            purpose=OtpPurpose("", settings.BANK_BRAND_NAME, use=OTP_USE))
        except LoginError as exc:
            login_end(request)
            error = exc.message
        else:
            login.code_id = code.pk
            login_save(request, login)
            return _see_other("dashboard:code")
    elif request.method == "POST":
        error = "Enter your customer ID and password."
    return _page(request, "login.html", {"form": form, "error": error})


@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
def code_view(request: HttpRequest) -> HttpResponse:
    login = login_get(request)
    if login.authenticated:
        return _see_other("dashboard:arrangements")
    user = (User.objects.select_related("customer").filter(pk=login.user_id).first()
            if login.user_id is not None and login.code_id is not None else None)
    if user is None or user.customer is None:
        return _see_other("dashboard:login")
    form = CodeForm(request.POST if request.method == "POST" else None)
    error, notice = "", ""
    if request.method == "POST" and request.POST.get("action") == "resend":
        form = CodeForm()
        try:
            code = otp_send(user=user, binding=login.binding, source_ip=client_ip(request),
                            purpose=OtpPurpose("", settings.BANK_BRAND_NAME, use=OTP_USE))
        except LoginError as exc:
            error = exc.message
        else:
            login.code_id = code.pk
            login_save(request, login)
            notice = "We've sent you a new code. Any earlier code no longer works."
    elif request.method == "POST" and form.is_valid():
        try:
            otp_verify(code_id=login.code_id or 0, user=user, binding=login.binding,
                       acr=CONSENT_ACR, code=form.cleaned_data["code"],
                       source_ip=client_ip(request))
        except (OtpClosed, LoginLocked) as exc:
            login_end(request, notice=exc.message)  # start again from the password
            return _see_other("dashboard:login")
        except LoginError as exc:
            error = exc.message
        else:
            login_complete(request, login)
            return _see_other("dashboard:arrangements")
    return _page(request, "code.html", {"form": form, "error": error, "notice": notice})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    login_end(request, notice="You have logged out.")
    return _see_other("dashboard:login")


# --- arrangements ----------------------------------------------------------------------


@require_GET
@customer_page
def arrangements_view(request: HttpRequest, customer: Customer, user: User) -> HttpResponse:
    sharing = selectors.sharing_list_for_customer(customer=customer)
    return _page(request, "arrangements.html", {
        "active": [s for s in sharing if s.can_stop],
        "ended": [s for s in sharing if not s.can_stop],
        "stopped": request.session.pop("dashboard:stopped", ""),
    }, logged_in=True)


@require_GET
@customer_page
def arrangement_view(request: HttpRequest, customer: Customer, user: User,
                     pk: int) -> HttpResponse:
    sharing = selectors.sharing_get_for_customer(customer=customer, pk=pk)
    if sharing is None:
        return _not_found(request)
    return _page(request, "arrangement.html", {"sharing": sharing}, logged_in=True)


@require_http_methods(["GET", "POST"])
@customer_page
def stop_view(request: HttpRequest, customer: Customer, user: User, pk: int) -> HttpResponse:
    sharing = selectors.sharing_get_for_customer(customer=customer, pk=pk)
    if sharing is None:
        return _not_found(request)
    if not sharing.can_stop:
        return _see_other("dashboard:arrangement", pk=pk)
    if request.method == "POST" and request.POST.get("confirm") == STOP_CONFIRMATION:
        arrangement = selectors.sharing_stoppable_get(customer=customer, pk=pk)
        if arrangement is not None:
            arrangement_revoke_by_holder(arrangement=arrangement,
                                         actor=_customer_actor(customer))
        request.session["dashboard:stopped"] = sharing.software_product_name
        return _see_other("dashboard:arrangements")
    return _page(request, "stop.html", {"sharing": sharing}, logged_in=True)
