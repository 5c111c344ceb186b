"""A confirmation page for admin actions that cannot be undone from the console (revoking a
client or an arrangement): the first POST shows what will happen to which rows; only the
second, carrying `confirm=yes`, runs the action. Same flow as Django's "delete selected"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

CONFIRM_FIELD = "confirm"
TEMPLATE = "admin/staff_console/confirm_action.html"


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRM_FIELD) == "yes"


def confirmation_page(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet,
                      *, action: str, title: str, consequence: str) -> TemplateResponse:
    opts = modeladmin.model._meta
    context: dict[str, Any] = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "consequence": consequence,
        "objects": list(queryset),
        "action": action,
        "opts": opts,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "confirm_field": CONFIRM_FIELD,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, TEMPLATE, context)
