"""Key status and rotation progress for the key custodian: read only (changes go through
`manage.py keys`, which audits them). The wrapped key material is never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from security.encryption.models import DataKey, KeyRotation


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(DataKey)
class DataKeyAdmin(ReadOnlyAdmin):
    list_display = ["key_id", "purpose", "state", "kek_label", "created_at", "state_changed_at"]
    list_filter = ["purpose", "state"]
    exclude = ["wrapped", "owner"]


@admin.register(KeyRotation)
class KeyRotationAdmin(ReadOnlyAdmin):
    list_display = ["old_key_id", "new_key_id", "state", "passes", "rows_reencrypted",
                    "started_at", "finished_at"]
    list_filter = ["state"]
