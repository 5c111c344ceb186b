"""Arrangements in the staff console: read-only, with an audited revoke action (permission
`consent.revoke_arrangement`, after a confirmation page).

No token, digest or thumbprint is shown: staff see who shares what with whom, and can stop it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from security.admin_confirm import confirmation_page, confirmed
from security.audit import Actor, ActorType
from security.consent.models import Arrangement
from security.oauth.tokens import arrangement_revoke_by_holder


@admin.register(Arrangement)
class ArrangementAdmin(admin.ModelAdmin):
    list_display = ("__str__", "customer", "software_product", "status", "created_at",
                    "sharing_expires_at", "revoked_at")
    list_filter = ("status", "software_product")
    list_select_related = ("customer", "software_product")
    # The login is shown by id only: its username is a customer's sign-in identifier.
    fields = ("customer", "user_id", "software_product", "scope", "accounts", "status",
              "created_at", "sharing_expires_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change page is a read-only view; the only write is the revoke action.
        return request.method in {"GET", "HEAD"} and super().has_change_permission(request, obj)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("consent.revoke_arrangement"))

    @admin.action(description="Revoke the selected arrangements (tokens, and tell the recipient)",
                  permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Arrangement]
               ) -> TemplateResponse | None:
        if not confirmed(request):
            return confirmation_page(
                self, request, queryset, action="revoke", title="Revoke arrangements",
                consequence="These arrangements end now: their access and refresh tokens stop "
                            "working and each recipient is told. This cannot be undone.")
        actor = Actor(ActorType.STAFF, str(request.user.pk))
        for arrangement in queryset:
            # The holder-side revocation: access and refresh tokens go, and the recipient's
            # <recipient_base_uri>/arrangements/revoke is notified after commit.
            arrangement_revoke_by_holder(arrangement=arrangement, actor=actor)
        self.message_user(request, f"Revoked {queryset.count()} arrangement(s).", messages.SUCCESS)
        return None
