"""Key status and rotation progress for the key custodian: read only (the wrapped key
material is never shown). One write: starting a data key rotation, for staff with
`encryption.rotate_keys`; `dek_rotate` audits it (KEY_ROTATED) and the re-encryption runs
in the background (security/encryption/tasks.py), its progress shown on the rotations page.
Other key operations go through `manage.py keys`."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from security.audit import Actor, ActorType
from security.encryption.models import DataKey, KeyRotation
from security.encryption.rotation import KeyInUse, dek_rotate


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
    actions = ["rotate"]

    def has_rotate_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("encryption.rotate_keys"))

    @admin.action(description="Rotate: a new key replaces the selected active keys",
                  permissions=["rotate"])
    def rotate(self, request: HttpRequest, queryset: QuerySet[DataKey]) -> None:
        from security.encryption.tasks import key_rotation_continue

        actor = Actor(ActorType.STAFF, str(request.user.pk))
        started, refused = 0, 0
        for key in queryset.filter(state=DataKey.State.ACTIVE):
            try:
                job = dek_rotate(purpose=key.purpose, owner=key.owner, actor=actor)
            except (KeyInUse, ValueError):
                refused += 1  # blind-index keys are not rotated online
                continue
            started += 1
            # After commit: the worker must see the rotation row it is given.
            transaction.on_commit(functools.partial(key_rotation_continue.delay, job.pk))
        self.message_user(request, f"Started {started} rotation(s)"
                          + (f"; {refused} key(s) cannot be rotated here." if refused else "."),
                          messages.SUCCESS if started else messages.WARNING)


@admin.register(KeyRotation)
class KeyRotationAdmin(ReadOnlyAdmin):
    list_display = ["old_key_id", "new_key_id", "purpose", "state", "passes",
                    "rows_reencrypted", "tables_done", "started_at", "finished_at"]
    list_filter = ["state", "purpose"]
    exclude = ["owner"]

    @admin.display(description="Tables under way (this pass)")
    def tables_done(self, obj: KeyRotation) -> int:
        return len(obj.progress or {})
