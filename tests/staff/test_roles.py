"""The staff roles: created by migrate and `staff_roles`, each exactly its permissions."""

from __future__ import annotations

import logging
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from security.staff.roles import roles_apply

pytestmark = pytest.mark.django_db

SUPPORT = {
    "accounts.view_customer", "accounts.view_account", "transactions.view_transaction",
    "consent.view_arrangement", "recipients.view_datarecipient",
    "recipients.view_softwareproduct", "oauth.view_clientregistration",
    "discovery.view_outage", "discovery.view_incident", "monitoring.view_alert",
}


def _names(group: str) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=group).permissions.select_related("content_type")}


def _existing(names: set[str]) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}"
            for p in Permission.objects.select_related("content_type")} & names


def test_migrate_creates_the_four_staff_groups() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "support", "security", "key_custodian", "administrator"}


def test_support_role_has_exactly_read_only_customer_views() -> None:
    assert _names("support") == SUPPORT  # every one of these exists today
    assert not any(name.startswith(("staff.", "security.")) for name in _names("support"))


def test_security_role_adds_audit_containment_and_unmask() -> None:
    names = _names("security")
    assert names >= SUPPORT | _existing({"security.view_auditevent", "monitoring.change_alert",
                                         "staff.unmask_sensitive_data",
                                         "throttling.change_ratelimitoverride"})
    assert "staff.unmask_sensitive_data" in names
    assert not any(name.split(".")[1].startswith("delete_") for name in names)


def test_key_custodian_role_sees_keys_and_nothing_about_customers() -> None:
    names = _names("key_custodian")
    assert names >= {"encryption.view_datakey", "encryption.view_keyrotation"}
    assert all(name.startswith("encryption.") for name in names)


def test_administrator_role_has_every_permission() -> None:
    assert _names("administrator") == _existing(
        {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.all()})


def test_roles_apply_takes_back_a_permission_added_by_hand() -> None:
    support = Group.objects.get(name="support")
    support.permissions.add(Permission.objects.get(codename="unmask_sensitive_data"))

    roles_apply()

    assert _names("support") == SUPPORT


def test_roles_apply_logs_permissions_not_declared_yet(caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="bank.staff"):
        missing = roles_apply()
    expected = {"security.verify_audit_chain", "consent.revoke_arrangement",
                "oauth.revoke_clientregistration", "recipients.suspend_softwareproduct",
                "accounts.lock_customer"}
    assert set(missing["security"]) == expected - _existing(expected)
    assert missing["support"] == []


def test_staff_roles_command_applies_the_roles() -> None:
    Group.objects.filter(name="support").delete()
    out = StringIO()
    call_command("staff_roles", stdout=out)
    assert _names("support") == SUPPORT
    assert "support: applied" in out.getvalue()
