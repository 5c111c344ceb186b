"""No second factor, no admin page: every URL the admin site serves, walked from the URLconf
(changelists, add / change / delete / history, custom views, app indexes, password change,
autocomplete, logout) and the staff console's own pages."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from security.staff.session import LAST_SEEN_KEY, MARKER_KEY
from tests.staff.helpers import staff_session_with_second_factor

pytestmark = pytest.mark.django_db

#: Values for the admin's URL parameters; any value does, the gate answers before the view.
_ARGUMENTS = {"object_id": "1", "content_type_id": "1", "app_label": None, "pk": "1",
              "model": "accounts.customer", "field": "first_name"}


def _patterns(resolver: URLResolver, namespace: str) -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _patterns(entry, namespace if entry.namespace is None else entry.namespace)
        elif entry.name:
            found.append((namespace, entry))
    return found


def _admin_urls() -> list[str]:
    urls: set[str] = set()
    app_labels = sorted({model._meta.app_label for model in admin.site._registry})
    for entry in get_resolver().url_patterns:
        if not isinstance(entry, URLResolver) or entry.namespace not in {"admin", "staff"}:
            continue
        for namespace, pattern in _patterns(entry, entry.namespace):
            names = list(pattern.pattern.regex.groupindex)
            for label in app_labels if "app_label" in names else [None]:
                kwargs = {name: label if name == "app_label" else _ARGUMENTS.get(name, "1")
                          for name in names}
                try:
                    urls.add(reverse(f"{namespace}:{pattern.name}", kwargs=kwargs))
                except NoReverseMatch:  # a regex pattern with unnamed groups
                    urls.add(reverse(f"{namespace}:{pattern.name}", args=["1"] * len(names)))
    return sorted(urls)


ADMIN_URLS = _admin_urls()


def test_the_walk_covers_every_kind_of_admin_page() -> None:
    joined = "\n".join(ADMIN_URLS)
    for expected in ("/admin/", "/admin/login/", "/admin/logout/", "/admin/password_change/",
                     "/admin/password_change/done/", "/admin/autocomplete/", "/admin/jsi18n/",
                     "/admin/accounts/", "/admin/accounts/customer/",
                     "/admin/accounts/customer/add/", "/admin/accounts/customer/1/change/",
                     "/admin/accounts/customer/1/delete/", "/admin/accounts/customer/1/history/",
                     "/admin/auth/group/", "/admin/r/1/1/",
                     "/admin/staff/unmask/accounts.customer/1/first_name/"):
        assert expected in joined.split("\n"), expected
    assert len(ADMIN_URLS) > 100


def _refused(response: Any, url: str) -> bool:
    location = response.get("Location", "")
    if url == reverse("admin:logout"):
        return response.status_code == 302 and location == reverse("admin:index")
    return response.status_code == 302 and location.startswith(reverse("admin:login"))


def _pages(client: Client) -> list[tuple[str, int, str]]:
    """Every admin URL but the login page that was not refused."""
    reached = []
    for url in ADMIN_URLS:
        if url == reverse("admin:login"):
            continue
        for method in (client.get, client.post):
            response = method(url)
            if not _refused(response, url):
                reached.append((url, response.status_code, method.__name__))
    return reached


def test_anonymous_reaches_no_admin_page(client: Client) -> None:
    assert _pages(client) == []


def test_staff_with_password_only_reaches_no_admin_page(client: Client, staff: Any) -> None:
    client.force_login(staff)
    assert _pages(client) == []


def test_superuser_with_password_only_reaches_no_admin_page(client: Client, staff: Any) -> None:
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    assert _pages(client) == []


def test_totp_marker_without_a_verified_device_reaches_no_admin_page(
        client: Client, staff: Any) -> None:
    staff_session_with_second_factor(client, staff)
    session = client.session
    del session["otp_device_id"]
    session.save()
    assert _pages(client) == []


def test_forged_marker_reaches_no_admin_page(client: Client, staff: Any) -> None:
    staff_session_with_second_factor(client, staff)
    session = client.session
    session[MARKER_KEY] = {"method": "password", "at": int(time.time())}
    session.save()
    assert _pages(client) == []


def test_inactive_staff_with_second_factor_reaches_no_admin_page(client: Client,
                                                                 staff: Any) -> None:
    staff_session_with_second_factor(client, staff)
    staff.is_active = False
    staff.save()
    assert _pages(client) == []


def test_expired_staff_session_reaches_no_admin_page(client: Client, staff: Any) -> None:
    staff_session_with_second_factor(client, staff)
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 16 * 60
    session.save()
    assert _pages(client) == []


def test_staff_with_second_factor_reaches_the_admin(client: Client, staff: Any) -> None:
    """The control: the same walk lets a signed-in superuser through (so the tests above can
    fail)."""
    staff.is_superuser = True
    staff.save()
    staff_session_with_second_factor(client, staff)

    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:accounts_customer_changelist")).status_code == 200
    assert client.get(reverse("admin:password_change")).status_code == 200
    assert client.get(reverse("admin:app_list", kwargs={"app_label": "auth"})).status_code == 200


def test_oidc_marker_set_by_single_sign_on_reaches_the_admin(client: Client,
                                                             staff: Any) -> None:
    staff.is_superuser = True
    staff.save()
    staff_session_with_second_factor(client, staff, method="oidc")
    assert client.get(reverse("admin:index")).status_code == 200
