"""The staff roles (issue 9 contract): four groups with least privilege, defined here only.

Applied after every `migrate` (post_migrate, once the last app's permissions exist) and by
`manage.py staff_roles`. Each group is set to exactly its role's permissions: a permission
added to a group by hand in the console is taken away again at the next apply, so the
roles stay what this file (reviewed code) says.

A permission another app has not declared yet is skipped and logged, never created here:
granting a name that protects nothing would only hide the gap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction

logger = logging.getLogger("bank.staff")

SUPPORT = "support"
SECURITY = "security"
KEY_CUSTODIAN = "key_custodian"
ADMINISTRATOR = "administrator"

UNMASK_PERMISSION = "staff.unmask_sensitive_data"

#: Read-only views of the bank's customers, their data and sharing, for answering calls.
_SUPPORT = frozenset({
    "accounts.view_customer", "accounts.view_account", "transactions.view_transaction",
    "consent.view_arrangement", "recipients.view_datarecipient",
    "recipients.view_softwareproduct", "oauth.view_clientregistration",
    "discovery.view_outage", "discovery.view_incident", "monitoring.view_alert",
})

#: Investigate and contain: the audit trail, alerts, and the revoke / suspend / lock actions.
_SECURITY = _SUPPORT | frozenset({
    "security.view_auditevent", "security.verify_audit_chain",
    "monitoring.change_alert",
    "consent.revoke_arrangement", "oauth.revoke_clientregistration",
    "recipients.suspend_softwareproduct", "accounts.lock_customer",
    UNMASK_PERMISSION,
    "throttling.add_ratelimitoverride", "throttling.change_ratelimitoverride",
    "throttling.view_ratelimitoverride",
    "discovery.add_outage", "discovery.change_outage",
    "discovery.add_incident", "discovery.change_incident",
})

#: Key status and rotation; every view_* permission of the encryption app is added on apply.
_KEY_CUSTODIAN = frozenset({"encryption.rotate_keys"})
_KEY_CUSTODIAN_VIEW_APPS = ("encryption",)

ROLE_NAMES = (SUPPORT, SECURITY, KEY_CUSTODIAN, ADMINISTRATOR)


def _permission_name(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def role_permission_names(role: str) -> frozenset[str]:
    """The permissions a role should have ("app_label.codename"), whether they exist or not.
    The administrator's are every permission that exists."""
    if role == SUPPORT:
        return _SUPPORT
    if role == SECURITY:
        return _SECURITY
    if role == KEY_CUSTODIAN:
        views = Permission.objects.filter(content_type__app_label__in=_KEY_CUSTODIAN_VIEW_APPS,
                                          codename__startswith="view_")
        return _KEY_CUSTODIAN | {_permission_name(p) for p in views.select_related("content_type")}
    if role == ADMINISTRATOR:
        return frozenset(_permission_name(p)
                         for p in Permission.objects.select_related("content_type"))
    raise ValueError(f"Unknown staff role: {role}")


def _existing(names: Iterable[str]) -> tuple[list[Permission], list[str]]:
    wanted = set(names)
    found = [p for p in Permission.objects.select_related("content_type")
             if _permission_name(p) in wanted]
    missing = sorted(wanted - {_permission_name(p) for p in found})
    return found, missing


@transaction.atomic
def roles_apply() -> dict[str, list[str]]:
    """Create the four groups and set each to exactly its role's existing permissions.

    Returns the permissions each role names that do not exist (yet), also logged.
    """
    missing_by_role: dict[str, list[str]] = {}
    for role in ROLE_NAMES:
        group, _ = Group.objects.get_or_create(name=role)
        permissions, missing = _existing(role_permission_names(role))
        group.permissions.set(permissions)
        missing_by_role[role] = missing
        if missing:
            logger.warning("Staff role %s: permissions not declared yet: %s", role,
                           ", ".join(missing),
                           extra={"event": "staff.roles.missing_permissions", "role": role})
    return missing_by_role


def roles_apply_after_migrate(sender: AppConfig, **kwargs: Any) -> None:
    """post_migrate receiver: applies the roles once, after the last app's signal, when
    django.contrib.auth has created every app's permissions. Django sends post_migrate only
    for apps with a models module, so "last" is the last of those."""
    app_configs = [config for config in apps.get_app_configs() if config.models_module]
    if not app_configs or sender.label != app_configs[-1].label:
        return
    roles_apply()
