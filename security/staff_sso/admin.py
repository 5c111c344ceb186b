from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from security.staff_sso.models import StaffIdentity


@admin.register(StaffIdentity)
class StaffIdentityAdmin(admin.ModelAdmin):
    """Who may sign in through SSO as whom: view and delete only (deletes are audited by the
    admin site). Linking is `manage.py staff_identity_link`, on the server: an administrator
    who could add or edit a row here could map their own IdP subject to any user, a
    superuser included, and sign in as them without that user's TOTP."""

    list_display = ("id", "user", "issuer", "created_at")
    list_filter = ("issuer",)
    readonly_fields = ("user", "issuer", "subject", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
