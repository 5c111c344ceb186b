"""Staff set a software product's own limit for one rule; every change is audited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from security.audit import Actor, ActorType, audit_record
from security.throttling.models import RateLimitOverride
from security.throttling.policy import configured_limit, rule_names
from security.throttling.selectors import rate_limit_overrides_forget

RATE_LIMIT_OVERRIDE_CHANGED = "RATE_LIMIT_OVERRIDE_CHANGED"


class RateLimitOverrideForm(forms.ModelForm):
    rule = forms.ChoiceField(choices=())

    class Meta:
        model = RateLimitOverride
        fields = ("software_product", "rule", "rate", "burst", "reason")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [  # type: ignore[attr-defined]
            (name, f"{name} (default {configured_limit(name)})") for name in rule_names()
        ]


@admin.register(RateLimitOverride)
class RateLimitOverrideAdmin(admin.ModelAdmin):
    form = RateLimitOverrideForm
    list_display = ("software_product", "rule", "rate", "burst", "reason", "updated_at",
                    "updated_by")
    list_filter = ("rule",)
    search_fields = ("software_product__name", "software_product__software_product_id")
    raw_id_fields = ("software_product",)
    # RATE_LIMIT_OVERRIDE_CHANGED below is this admin's event: no generic admin event too
    # (security/admin_audit.py).
    audits_its_own_writes = True

    def save_model(self, request: HttpRequest, obj: RateLimitOverride, form: Any, change: bool
                   ) -> None:
        before = None
        if change:
            previous = RateLimitOverride.objects.get(pk=obj.pk)
            before = {"rule": previous.rule, "rate": previous.rate, "burst": previous.burst}
        obj.updated_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        _audit(request, obj, "changed" if change else "added", before)

    def delete_model(self, request: HttpRequest, obj: RateLimitOverride) -> None:
        _audit(request, obj, "deleted", None)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            _audit(request, obj, "deleted", None)
        super().delete_queryset(request, queryset)


def _audit(request: HttpRequest, obj: RateLimitOverride, action: str,
           before: dict[str, Any] | None) -> None:
    audit_record(
        actor=Actor(ActorType.STAFF, str(request.user.pk)),
        event_type=RATE_LIMIT_OVERRIDE_CHANGED,
        subject_type="software_product",
        subject_id=obj.software_product.software_product_id,
        detail={"action": action, "before": before,
                "after": None if action == "deleted" else
                {"rule": obj.rule, "rate": obj.rate, "burst": obj.burst},
                "reason": obj.reason},
    )
    rate_limit_overrides_forget()
