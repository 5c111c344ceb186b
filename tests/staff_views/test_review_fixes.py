"""Issue 9 review fixes in the console: privilege fields on users, no customer usernames on
arrangements, the masking request not outliving its view, and the unmask view's ModelAdmin
checks."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from security import admin_masking
from tests.staff_views.conftest import console_client

pytestmark = pytest.mark.django_db


def test_change_user_staff_cannot_grant_privileges_or_touch_a_superuser(staff_with, seeded):
    client, _staff = staff_with("accounts.view_user", "accounts.change_user")
    target = User.objects.create_user("clerk", password="a-long-staff-password-2", is_staff=True)
    root = User.objects.create_superuser("root", password="a-long-admin-password-1")
    url = reverse("admin:accounts_user_change", args=[target.pk])
    page = client.get(url).content.decode()
    for name in ("is_superuser", "groups", "user_permissions"):
        assert f'name="{name}"' not in page

    data = {"username": "clerk", "is_active": "on", "is_staff": "on", "is_superuser": "on",
            "date_joined_0": "2030-01-01", "date_joined_1": "10:00:00"}
    client.post(url, data)
    target.refresh_from_db()
    assert not target.is_superuser

    assert client.post(reverse("admin:accounts_user_change", args=[root.pk]),
                       {"username": "root2"}).status_code == 403
    assert client.get(reverse("admin:auth_user_password_change", args=[root.pk])
                      ).status_code == 403
    root.refresh_from_db()
    assert root.username == "root"


def test_a_superuser_may_still_grant_privileges(seeded):
    root = User.objects.create_superuser("root", password="a-long-admin-password-1")
    target = User.objects.create_user("clerk", password="a-long-staff-password-2", is_staff=True)
    page = console_client(root).get(
        reverse("admin:accounts_user_change", args=[target.pk])).content.decode()
    assert 'name="is_superuser"' in page


def test_arrangement_page_shows_no_customer_username(staff_with, seeded):
    client, _ = staff_with("consent.view_arrangement")
    page = client.get(reverse("admin:consent_arrangement_change",
                              args=[seeded["arrangement"].pk])).content.decode()
    assert page.count(str(seeded["login"].pk)) >= 1
    assert "matilda-login" not in page


def test_masking_request_is_forgotten_after_the_view(staff_with, seeded):
    client, _ = staff_with("accounts.view_customer", "staff.unmask_sensitive_data")
    response = client.get(reverse("admin:accounts_customer_change",
                                  args=[seeded["customer"].pk]))
    assert response.status_code == 200
    assert "unmask-link" in response.content.decode()
    assert admin_masking._rendering.get() is None


def test_unmask_refuses_a_row_the_model_admin_does_not_list(staff_with, seeded,
                                                           monkeypatch: Any):
    from accounts.admin import CustomerAdmin

    client, _ = staff_with("accounts.view_customer", "staff.unmask_sensitive_data")
    monkeypatch.setattr(CustomerAdmin, "get_queryset",
                        lambda self, request: seeded["customer"].__class__.objects.none())
    url = reverse("staff:unmask", kwargs={"model": "accounts.customer",
                                          "pk": seeded["customer"].pk, "field": "last_name"})
    assert client.get(url).status_code == 404
