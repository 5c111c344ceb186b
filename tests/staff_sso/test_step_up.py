"""Step-up: staff_sso:step_up re-authenticates at the IdP and refreshes the marker's time."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from security.models import AuditEvent
from security.staff_sso.models import StaffIdentity
from tests.staff_sso.conftest import idp_round_trip, sign_in
from tests.staff_sso.test_sign_in import _resign

pytestmark = pytest.mark.django_db

UNMASK = "/admin/staff/unmask/accounts.customer/1/name/"


@pytest.fixture
def signed_in(client, sso):
    user = get_user_model().objects.create_user(username="alice", is_staff=True)
    StaffIdentity.objects.create(issuer=sso.issuer, subject="staff-sub-1", user=user)
    assert sign_in(client).status_code == 302
    session = client.session
    session["staff_second_factor"] = {"method": "oidc", "at": int(time.time()) - 3600}
    session.save()
    return user


def _step_up_url(next_url: str) -> str:
    return f"{reverse('staff_sso:step_up')}?next={next_url}"


def test_step_up_asks_the_idp_for_a_fresh_login(client, signed_in):
    start = client.get(_step_up_url(UNMASK))
    query = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"]).query).items()}
    assert (query["prompt"], query["max_age"], query["code_challenge_method"]) == (
        "login", "0", "S256")


def test_step_up_refreshes_the_marker_and_returns_to_next(client, signed_in):
    before = int(time.time())
    path, query = idp_round_trip(client, _step_up_url(UNMASK))
    response = client.get(f"{path}?{query}")
    assert (response.status_code, response["Location"]) == (302, UNMASK)
    marker = client.session["staff_second_factor"]
    assert marker["method"] == "oidc" and marker["at"] >= before
    assert int(client.session["_auth_user_id"]) == signed_in.pk
    event = AuditEvent.objects.filter(event_type="STAFF_LOGIN_SUCCEEDED").latest("id")
    assert event.detail == {"method": "oidc", "step_up": True}


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/"])
def test_step_up_redirects_only_to_a_path_on_this_site(client, signed_in, next_url):
    path, query = idp_round_trip(client, _step_up_url(next_url))
    assert client.get(f"{path}?{query}")["Location"] == "/admin/"


def test_step_up_refuses_a_stale_auth_time(client, signed_in, sso):
    sso.forge = _resign({"auth_time": int(time.time()) - 3600})
    path, query = idp_round_trip(client, _step_up_url(UNMASK))
    response = client.get(f"{path}?{query}")
    assert response.status_code == 403
    assert client.session["staff_second_factor"]["at"] < int(time.time()) - 3000
    event = AuditEvent.objects.filter(event_type="STAFF_SSO_REFUSED").get()
    assert (event.actor_type, event.actor_id, event.detail) == (
        "staff", str(signed_in.pk), {"method": "oidc", "reason": "step_up", "step_up": True})


def test_step_up_refuses_another_staff_member(client, signed_in, sso):
    other = get_user_model().objects.create_user(username="bob", is_staff=True)
    StaffIdentity.objects.create(issuer=sso.issuer, subject="bob-sub", user=other)
    sso.subject = "bob-sub"
    path, query = idp_round_trip(client, _step_up_url(UNMASK))
    response = client.get(f"{path}?{query}")
    assert response.status_code == 403
    assert int(client.session["_auth_user_id"]) == signed_in.pk
    event = AuditEvent.objects.filter(event_type="STAFF_SSO_REFUSED").get()
    assert event.detail["reason"] == "step_up"


def test_a_plain_sign_in_does_not_need_a_fresh_auth_time(client, signed_in, sso):
    client.logout()
    sso.forge = _resign({"auth_time": int(time.time()) - 3600})
    assert sign_in(client).status_code == 302


def test_step_up_needs_a_signed_in_user(client, sso):
    assert client.get(_step_up_url(UNMASK)).status_code == 403
