"""Client registrations in the staff console, and DOT's own admin made safe.

A registration is read-only here; staff with `oauth.revoke_clientregistration` can end it
after a confirmation page, which does what DELETE /register/{client_id} does
(`registration_delete`: status DELETED, every code and token of the client gone, audited
CLIENT_REGISTRATION_DELETED).

DOT registers admins for applications, access/refresh tokens, grants and ID tokens, writable
by superusers. Tokens and codes are unregistered: they are digests nobody needs to read, and
a hand-made or hand-edited token would be a credential no flow issued. Applications stay,
read only: they change through dynamic client registration alone.
"""

from __future__ import annotations

from typing import Any

import oauth2_provider.admin  # noqa: F401 - DOT's admins must be registered to unregister them
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from security.admin_confirm import confirmation_page, confirmed
from security.audit import Actor, ActorType
from security.oauth.dcr import registration_delete
from security.oauth.models import ClientRegistration

for _model in (get_access_token_model(), get_refresh_token_model(), get_grant_model(),
               get_id_token_model()):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class ReadOnlyApplicationAdmin(admin.ModelAdmin):
    list_display = ("client_id", "name", "client_type", "authorization_grant_type", "created")
    search_fields = ("=client_id", "name")
    fields = ("client_id", "name", "client_type", "authorization_grant_type", "redirect_uris",
              "created", "updated")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


_application = get_application_model()
if admin.site.is_registered(_application):
    admin.site.unregister(_application)
admin.site.register(_application, ReadOnlyApplicationAdmin)


@admin.register(ClientRegistration)
class ClientRegistrationAdmin(admin.ModelAdmin):
    list_display = ("id", "client", "software_product", "status", "created_at", "updated_at")
    list_filter = ("status",)
    list_select_related = ("application", "software_product")
    search_fields = ("=application__client_id", "=software_product__software_product_id")
    # No JWKS or metadata body: public keys and URIs, but nothing staff act on here.
    fields = ("client", "software_product", "status", "redirect_uris", "jwks_uri",
              "recipient_base_uri", "scope", "grant_types", "created_at", "updated_at")
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="Client id")
    def client(self, obj: ClientRegistration) -> str:
        return obj.application.client_id

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # clients register themselves (DCR)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a registration ends (revoke), its row stays as the record

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change page is a read-only view; the only write is the revoke action.
        return request.method in {"GET", "HEAD"} and super().has_change_permission(request, obj)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("oauth.revoke_clientregistration"))

    @admin.action(description="Revoke the selected clients (registration and every token)",
                  permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ClientRegistration]
               ) -> TemplateResponse | None:
        active = queryset.filter(status=ClientRegistration.Status.ACTIVE)
        if not confirmed(request):
            return confirmation_page(
                self, request, active, action="revoke", title="Revoke clients",
                consequence="These clients' registrations end now, with every code, access, "
                            "refresh and ID token they hold; the recipient must register "
                            "again. This cannot be undone.")
        actor = Actor(ActorType.STAFF, str(request.user.pk))
        done = 0
        for registration in active:
            registration_delete(registration=registration, actor=actor)
            done += 1
        self.message_user(request, f"Revoked {done} client(s).", messages.SUCCESS)
        return None
