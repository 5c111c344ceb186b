"""The staff console through the real roles: a member of the `support`, `security` or
`key_custodian` group (as security/staff/roles.py sets them up at migrate) reaches exactly
the pages, actions and unmask links the issue 9 contract gives that role, and no more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.models import User
from security.consent.models import Arrangement
from security.encryption.models import DataKey, KeyRotation
from security.oauth.models import ClientRegistration
from security.recipients.models import SoftwareProduct
from security.staff.roles import KEY_CUSTODIAN, SECURITY, SUPPORT
from tests.staff_views.conftest import console_client

pytestmark = pytest.mark.django_db

ROLES = (SUPPORT, SECURITY, KEY_CUSTODIAN)


@pytest.fixture
def in_role(db: Any) -> Callable[[str], tuple[Client, User]]:
    """in_role("support"): a member of staff whose only permissions come from that group."""

    def make(role: str) -> tuple[Client, User]:
        user = User.objects.create_user(f"staff-{role}", password="a-long-staff-password-1",
                                        is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        assert not user.user_permissions.exists()
        return console_client(user), user

    return make


def _pages(seeded: dict[str, Any]) -> dict[str, str]:
    customer = seeded["customer"].pk
    return {
        "customers": reverse("admin:accounts_customer_changelist"),
        "customer": reverse("admin:accounts_customer_change", args=[customer]),
        "add customer": reverse("admin:accounts_customer_add"),
        "accounts": reverse("admin:accounts_account_changelist"),
        "transactions": reverse("admin:transactions_transaction_changelist"),
        "arrangements": reverse("admin:consent_arrangement_changelist"),
        "clients": reverse("admin:oauth_clientregistration_changelist"),
        "software products": reverse("admin:recipients_softwareproduct_changelist"),
        "audit events": reverse("admin:security_auditevent_changelist"),
        "verify audit chain": reverse("admin:security_auditevent_verify"),
        "data keys": reverse("admin:encryption_datakey_changelist"),
        "unmask": reverse("staff:unmask", kwargs={"model": "accounts.customer", "pk": customer,
                                                  "field": "last_name"}),
    }


_CUSTOMER_PAGES = {"customers": 200, "customer": 200, "accounts": 200, "transactions": 200,
                   "arrangements": 200, "clients": 200, "software products": 200}
EXPECTED_STATUS = {
    SUPPORT: {**_CUSTOMER_PAGES, "add customer": 403, "audit events": 403,
              "verify audit chain": 403, "data keys": 403, "unmask": 403},
    SECURITY: {**_CUSTOMER_PAGES, "add customer": 403, "audit events": 200,
               "verify audit chain": 200, "data keys": 403, "unmask": 200},
    KEY_CUSTODIAN: {**dict.fromkeys(_CUSTOMER_PAGES, 403), "add customer": 403,
                    "audit events": 403, "verify audit chain": 403, "data keys": 200,
                    "unmask": 403},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages(in_role, seeded, role):
    client, _ = in_role(role)
    statuses = {name: client.get(url).status_code for name, url in _pages(seeded).items()}
    assert statuses == EXPECTED_STATUS[role]


EXPECTED_ACTIONS: dict[str, dict[str, list[str]]] = {
    SUPPORT: {"customers": [], "arrangements": [], "clients": [], "software products": []},
    SECURITY: {"customers": ["lock_logins", "unlock_logins"], "arrangements": ["revoke"],
               "clients": ["revoke"], "software products": ["reactivate", "suspend"]},
}


@pytest.mark.parametrize("role", [SUPPORT, SECURITY])
def test_each_role_is_offered_exactly_its_actions(in_role, seeded, role):
    client, _ = in_role(role)
    pages = _pages(seeded)
    offered = {}
    for name in EXPECTED_ACTIONS[role]:
        response = client.get(pages[name])
        offered[name] = sorted(response.context["cl"].model_admin.get_actions(
            response.wsgi_request))
    assert offered == EXPECTED_ACTIONS[role]


def test_key_custodian_is_offered_rotation_and_nothing_else(in_role, seeded):
    client, _ = in_role(KEY_CUSTODIAN)
    response = client.get(_pages(seeded)["data keys"])
    assert sorted(response.context["cl"].model_admin.get_actions(response.wsgi_request)) == [
        "rotate"]


def test_unmask_link_is_shown_to_security_and_not_to_support(in_role, seeded):
    url = _pages(seeded)["customer"]
    support, _ = in_role(SUPPORT)
    security, _ = in_role(SECURITY)
    link = 'href="{}"'.format(_pages(seeded)["unmask"])

    assert link not in support.get(url).content.decode()
    assert link in security.get(url).content.decode()


def _post_every_action(client: Client, seeded: dict[str, Any]) -> None:
    """Each write a role might attempt, confirmed where the action asks for confirmation."""
    pages = _pages(seeded)
    key = DataKey.objects.get(purpose="FIELD", state="ACTIVE")
    for page, action, pk in (
            ("customers", "lock_logins", seeded["customer"].pk),
            ("arrangements", "revoke", seeded["arrangement"].pk),
            ("clients", "revoke", seeded["registration"].pk),
            ("software products", "suspend", seeded["software"].pk),
            ("data keys", "rotate", key.pk)):
        client.post(pages[page], {"action": action, "_selected_action": [str(pk)],
                                  "confirm": "yes"})


def _state(seeded: dict[str, Any]) -> dict[str, Any]:
    return {
        "login active": User.objects.get(pk=seeded["login"].pk).is_active,
        "arrangement": Arrangement.objects.get(pk=seeded["arrangement"].pk).status,
        "client": ClientRegistration.objects.get(pk=seeded["registration"].pk).status,
        "software product active": SoftwareProduct.objects.get(
            pk=seeded["software"].pk).is_active,
        "key rotations": KeyRotation.objects.count(),
    }


UNCHANGED = {"login active": True, "arrangement": "ACTIVE", "client": "ACTIVE",
             "software product active": True, "key rotations": 0}
EXPECTED_AFTER = {
    SUPPORT: UNCHANGED,
    SECURITY: {"login active": False, "arrangement": "REVOKED", "client": "DELETED",
               "software product active": False, "key rotations": 0},
    KEY_CUSTODIAN: {**UNCHANGED, "key rotations": 1},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_changes_exactly_what_its_actions_allow(in_role, seeded, role,
                                                          django_capture_on_commit_callbacks):
    client, _ = in_role(role)
    assert _state(seeded) == UNCHANGED
    with django_capture_on_commit_callbacks(execute=False):  # no recipient notification sent
        _post_every_action(client, seeded)
    assert _state(seeded) == EXPECTED_AFTER[role]
