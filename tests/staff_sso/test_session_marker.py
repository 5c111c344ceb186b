"""The session an SSO sign-in leaves: the marker's time is the IdP's auth_time, the absolute
limit counts from the first sign-in, and the marker dies with its StaffIdentity mapping."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from security.staff.session import LAST_SEEN_KEY, SIGNED_IN_AT_KEY
from security.staff_sso.models import StaffIdentity
from tests.staff_sso.conftest import idp_round_trip, sign_in
from tests.staff_sso.test_sign_in import _resign

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.fixture
def identity(sso) -> StaffIdentity:
    user = get_user_model().objects.create_user(username="alice", is_staff=True)
    return StaffIdentity.objects.create(issuer=sso.issuer, subject="staff-sub-1", user=user)


def _marker(client) -> dict:
    return client.session["staff_second_factor"]


def _admin_index_status(client) -> int:
    return client.get(reverse("admin:index")).status_code


def test_a_silent_sign_in_keeps_the_idps_old_auth_time(client, sso, identity):
    auth_time = int(time.time()) - HOUR  # an hour-old IdP session, no new login
    sso.forge = _resign({"auth_time": auth_time})

    assert sign_in(client).status_code == 302

    assert _marker(client) == {"method": "oidc", "at": auth_time,
                               "user": identity.user_id, "identity": identity.pk}
    assert _admin_index_status(client) == 200  # a valid sign-in, just not a recent one


@pytest.mark.parametrize("auth_time", [None, "1700000000", True, float("nan"),
                                       int(time.time()) + HOUR])
def test_a_missing_or_odd_auth_time_counts_as_long_ago(client, sso, identity, auth_time):
    sso.forge = _resign({"auth_time": auth_time})  # None: no auth_time claim at all

    assert sign_in(client).status_code == 302

    assert _marker(client)["at"] == 0
    assert _admin_index_status(client) == 200


def test_an_auth_time_just_ahead_within_the_leeway_is_capped_at_now(client, sso, identity):
    sso.forge = _resign({"auth_time": int(time.time()) + 20})
    assert sign_in(client).status_code == 302
    assert _marker(client)["at"] <= int(time.time())


def test_the_step_up_makes_the_marker_recent(client, sso, identity):
    sso.forge = _resign({"auth_time": int(time.time()) - HOUR})
    assert sign_in(client).status_code == 302
    sso.forge = None  # the IdP's fresh login (prompt=login, max_age=0)
    before = int(time.time())

    path, query = idp_round_trip(client, f"{reverse('staff_sso:step_up')}?next=/admin/")
    assert client.get(f"{path}?{query}").status_code == 302

    assert before <= _marker(client)["at"] <= int(time.time())


def test_a_silent_re_sign_in_does_not_extend_the_absolute_limit(client, sso, identity):
    assert sign_in(client).status_code == 302
    session = client.session
    signed_in_at = int(time.time()) - 7 * HOUR
    session[SIGNED_IN_AT_KEY] = signed_in_at
    session.save()

    assert sign_in(client).status_code == 302

    assert client.session[SIGNED_IN_AT_KEY] == signed_in_at
    assert int(client.session["_auth_user_id"]) == identity.user_id


def test_a_sign_in_after_the_absolute_limit_starts_a_new_session(client, sso, identity):
    assert sign_in(client).status_code == 302
    session = client.session
    session[SIGNED_IN_AT_KEY] = int(time.time()) - 9 * HOUR  # past the 8 hours
    session.save()
    before = int(time.time())

    assert sign_in(client).status_code == 302

    assert before <= client.session[SIGNED_IN_AT_KEY] <= int(time.time())
    assert before <= client.session[LAST_SEEN_KEY] <= int(time.time())
    assert _admin_index_status(client) == 200


def test_another_users_sign_in_in_the_same_browser_starts_its_own_session(client, sso,
                                                                          identity):
    assert sign_in(client).status_code == 302
    session = client.session
    session[SIGNED_IN_AT_KEY] = int(time.time()) - 7 * HOUR
    session.save()
    bob = get_user_model().objects.create_user(username="bob", is_staff=True)
    StaffIdentity.objects.create(issuer=sso.issuer, subject="bob-sub", user=bob)
    sso.subject = "bob-sub"
    before = int(time.time())

    assert sign_in(client).status_code == 302

    assert int(client.session["_auth_user_id"]) == bob.pk
    assert client.session[SIGNED_IN_AT_KEY] >= before


def test_deleting_the_mapping_ends_the_session_at_the_next_request(client, sso, identity):
    assert sign_in(client).status_code == 302
    assert _admin_index_status(client) == 200

    identity.delete()

    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_moving_the_mapping_to_another_user_ends_the_session(client, sso, identity):
    assert sign_in(client).status_code == 302
    identity.user = get_user_model().objects.create_user(username="bob", is_staff=True)
    identity.save()

    assert client.get(reverse("admin:index")).status_code == 302


@pytest.mark.parametrize("change", [{"user": None}, {"identity": None}, {"user": "1"},
                                    {"identity": True}, {"user": 0}])
def test_an_oidc_marker_without_its_ids_is_not_admitted(client, sso, identity, change):
    assert sign_in(client).status_code == 302
    session = client.session
    marker = {k: v for k, v in {**session["staff_second_factor"], **change}.items()
              if v is not None}
    session["staff_second_factor"] = marker
    session.save()

    assert client.get(reverse("admin:index")).status_code == 302


def test_a_mapped_user_no_longer_staff_is_not_admitted(client, sso, identity):
    from security.staff_sso.services import oidc_marker_valid

    assert sign_in(client).status_code == 302
    request = client.get(reverse("admin:index")).wsgi_request
    marker = dict(client.session["staff_second_factor"])
    assert oidc_marker_valid(request, marker)
    request.user.is_staff = False
    assert not oidc_marker_valid(request, marker)
