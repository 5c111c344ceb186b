"""Unmasking one sensitive field (issue 9 contract `staff:unmask`).

Permission `staff.unmask_sensitive_data` and view permission on the model; only an encrypted
field (selectors.sensitive_field_names); a reason of 10+ characters; the second factor again
if the last is older than BANK_STAFF_STEP_UP_SECONDS (TOTP here; the corporate SSO's own
step-up for "oidc"); a per-person limit. Each reveal is audited (SENSITIVE_DATA_UNMASKED,
never the value) and shown once: only in the answer to that POST, never stored or cached.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from security.audit import Actor, ActorType, Outcome, audit_record
from security.client_ip import client_ip
from security.staff.events import (
    SENSITIVE_DATA_UNMASK_REFUSED,
    SENSITIVE_DATA_UNMASKED,
    STAFF_MFA_FAILED,
    STAFF_MFA_STEPPED_UP,
)
from security.staff.forms import UnmaskForm
from security.staff.limits import staff_unmask_allowed
from security.staff.roles import UNMASK_PERMISSION
from security.staff.selectors import sensitive_field_get, sensitive_object_get
from security.staff.session import marker_get, marker_is_fresh, marker_set
from security.staff.totp import staff_totp_verify

TOO_MANY_UNMASKS = "You have unmasked too many values recently. Try again later."
WRONG_CODE = "That code was not accepted. Enter the current code from your authenticator."


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    response["Pragma"] = "no-cache"
    return response


@require_http_methods(["GET", "POST"])
def unmask(request: HttpRequest, model: str, pk: str, field: str) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm(UNMASK_PERMISSION):
        raise PermissionDenied
    model_class, model_field = sensitive_field_get(model_label=model, field_name=field)
    opts = model_class._meta
    if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        raise PermissionDenied
    obj = sensitive_object_get(model=model_class, pk=pk)
    model_admin = admin.site._registry.get(model_class)
    if model_admin is not None:
        # The console's own rules for this model too: its view permission, and only a row
        # its queryset would list (a ModelAdmin may narrow what staff see).
        if not model_admin.has_view_permission(request, obj):
            raise PermissionDenied
        if not model_admin.get_queryset(request).filter(pk=obj.pk).exists():
            raise Http404("No such object.")

    marker = marker_get(request)
    step_up = not marker_is_fresh(request)
    if step_up and marker is not None and marker["method"] == "oidc":
        return _oidc_step_up(request)

    actor = Actor(ActorType.STAFF, str(user.pk))
    subject = {"subject_type": opts.label_lower, "subject_id": obj.pk,
               "source_ip": client_ip(request)}
    form = UnmaskForm(request.POST if request.method == "POST" else None, step_up=step_up)
    status = 200
    if request.method == "POST" and form.is_valid():
        if not staff_unmask_allowed(user_id=user.pk):
            audit_record(actor=actor, event_type=SENSITIVE_DATA_UNMASK_REFUSED,
                         outcome=Outcome.DENIED, detail={"field": field, "reason_class":
                                                         "too_many_unmasks"}, **subject)
            form.add_error(None, TOO_MANY_UNMASKS)
            status = 429
        elif step_up:
            device, failure = staff_totp_verify(user=user, code=form.cleaned_data["otp_token"])
            if device is None:
                audit_record(actor=actor, event_type=STAFF_MFA_FAILED, outcome=Outcome.FAILURE,
                             subject_type="staff_user", subject_id=user.pk,
                             source_ip=client_ip(request),
                             detail={"reason": str(failure), "purpose": "step_up"})
                form.add_error("otp_token", WRONG_CODE)
            else:
                marker_set(request, method="totp")
                audit_record(actor=actor, event_type=STAFF_MFA_STEPPED_UP,
                             subject_type="staff_user", subject_id=user.pk,
                             source_ip=client_ip(request), detail={"method": "totp"})
        if not form.errors:
            value = getattr(obj, model_field.name)  # decrypted by the field's descriptor
            audit_record(actor=actor, event_type=SENSITIVE_DATA_UNMASKED,
                         detail={"field": model_field.name,
                                 "reason": form.cleaned_data["reason"]}, **subject)
            return _no_store(render(request, "staff/unmask.html", {
                **_context(request, model_class, obj, model_field.verbose_name),
                "value_shown": True, "value": "" if value is None else value,
            }))
    return _no_store(render(request, "staff/unmask.html", {
        **_context(request, model_class, obj, model_field.verbose_name),
        "form": form, "value_shown": False,
        "step_up_minutes": settings.BANK_STAFF_STEP_UP_SECONDS // 60,
    }, status=status))


def _context(request: HttpRequest, model: Any, obj: Any, label: Any) -> dict[str, Any]:
    return {**admin.site.each_context(request), "model_label": model._meta.verbose_name,
            "object_pk": obj.pk, "field_label": label}


def _oidc_step_up(request: HttpRequest) -> HttpResponse:
    """Send an SSO session through the corporate IdP's re-authentication (STAFF-SSO's
    `staff_sso:step_up`); without it there is no way to step up, so refuse."""
    try:
        step_up_url = reverse("staff_sso:step_up")
    except NoReverseMatch:
        raise PermissionDenied("Step-up sign-in is not available.") from None
    return HttpResponseRedirect(f"{step_up_url}?{urlencode({'next': request.get_full_path()})}")
