"""The audit trail in the staff console: read only, filterable, with an on-demand chain
verification for staff holding `security.verify_audit_chain` (never run by the list page:
it walks the whole chain). Also: Celery schedules writable by administrators only."""

from __future__ import annotations

from typing import Any

import django_celery_beat.admin  # noqa: F401 - its admins must be registered to be wrapped
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from security.audit import Actor, ActorType, Outcome, audit_record
from security.audit_chain import audit_verify
from security.client_ip import client_ip
from security.models import AuditEvent

VERIFY_PERMISSION = "security.verify_audit_chain"
AUDIT_CHAIN_VERIFIED = "AUDIT_CHAIN_VERIFIED"
ADMINISTRATOR_GROUP = "administrator"


class ExactInputFilter(admin.SimpleListFilter):
    """A text box filtering one column by exact value (an id staff paste in)."""

    template = "admin/staff_console/input_filter.html"
    field_name = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("", "")]  # Django shows a filter only if it has choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = (self.value() or "").strip()
        return queryset.filter(**{self.field_name: value}) if value else queryset

    def choices(self, changelist: Any) -> Any:
        # One "choice": what the template needs to build the box and keep the other filters.
        yield {"value": self.value() or "", "parameter_name": self.parameter_name,
               "others": {k: v for k, v in changelist.get_filters_params().items()
                          if k != self.parameter_name}}


def _exact(field: str, title: str) -> type[ExactInputFilter]:
    return type(f"{field.title()}Filter", (ExactInputFilter,),
                {"field_name": field, "parameter_name": field, "title": title})


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: nobody edits or deletes the audit trail from the console."""

    list_display = ("seq", "occurred_at", "event_type", "outcome", "actor_type", "actor_id",
                    "subject_type", "subject_id", "software_product_id", "arrangement_id",
                    "interaction_id")
    list_filter = ("event_type", "outcome", "actor_type", ("occurred_at",
                   admin.DateFieldListFilter), _exact("actor_id", "actor id"),
                   _exact("arrangement_id", "arrangement"),
                   _exact("software_product_id", "software product"),
                   _exact("interaction_id", "interaction id"))
    search_fields = ("=interaction_id", "=subject_id", "=actor_id", "=software_product_id",
                     "=arrangement_id")
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    change_list_template = "admin/staff_console/auditevent_change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        context = {**(extra_context or {}),
                   "can_verify_chain": request.user.has_perm(VERIFY_PERMISSION)}
        return super().changelist_view(request, context)

    def get_urls(self) -> list[URLPattern]:
        verify = path("verify-chain/", self.admin_site.admin_view(self.verify_chain_view),
                      name="security_auditevent_verify")
        return [verify, *super().get_urls()]

    def verify_chain_view(self, request: HttpRequest) -> HttpResponse:
        """GET: the button; POST: walk the chain now and show OK or every broken link."""
        if not request.user.has_perm(VERIFY_PERMISSION):
            raise PermissionDenied
        result = None
        if request.method == "POST":
            result = audit_verify()
            audit_record(actor=Actor(ActorType.STAFF, str(request.user.pk)),
                         event_type=AUDIT_CHAIN_VERIFIED,
                         outcome=Outcome.SUCCESS if result.ok else Outcome.FAILURE,
                         subject_type="audit_chain", source_ip=client_ip(request),
                         detail={"checked": result.checked, "unsealed": result.unsealed,
                                 "breaks": len(result.breaks)})
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": "Audit chain verification", "result": result}
        response = TemplateResponse(request, "admin/staff_console/audit_verify.html", context)
        response["Cache-Control"] = "no-store"
        return response


class AdministratorsOnlyMixin:
    """Writes only for the administrator role (or a break-glass superuser), whatever other
    permissions a group was given: a periodic task runs any task with any arguments."""

    def _is_administrator(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_superuser
                    or user.groups.filter(name=ADMINISTRATOR_GROUP).exists())

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return (self._is_administrator(request)
                and super().has_add_permission(request, *args))  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (self._is_administrator(request)
                and super().has_change_permission(request, obj))  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (self._is_administrator(request)
                and super().has_delete_permission(request, obj))  # type: ignore[misc]


for _model in (PeriodicTask, IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule):
    if admin.site.is_registered(_model):
        _current = type(admin.site.get_model_admin(_model))
        admin.site.unregister(_model)
        admin.site.register(_model, type(f"Administrators{_current.__name__}",
                                          (AdministratorsOnlyMixin, _current), {}))
