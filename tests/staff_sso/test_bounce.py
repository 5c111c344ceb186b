"""The callback's same-site bounce (security/staff_sso/bounce.py).

A real browser sends no SameSite=Strict session cookie with the IdP's cross-site redirect to
the callback. Here that request is made by a client with no cookies; the browser's next,
same-site request (the bounce page's meta refresh) by the client that holds the session.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from security.headers import PAGE_CSP
from security.models import AuditEvent
from security.staff_sso.models import StaffIdentity
from tests.staff_sso.conftest import bounce_target, idp_round_trip

pytestmark = pytest.mark.django_db

START = "/staff-sso/authenticate/?next=/admin/accounts/"
BOUNCE_PAGE = (
    '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
    '<meta name="referrer" content="no-referrer">\n'
    '<meta http-equiv="refresh" content="0; url={target}">\n'
    "<title>Signing in</title></head>\n<body>\n<main>\n<h1>Signing in</h1>\n"
    "<p>Finishing your sign-in with the bank's identity provider. If nothing happens,\n"
    '<a href="{target}">continue</a>.</p>\n</main>\n</body>\n</html>\n'
)


@pytest.fixture
def staff(sso):
    user = get_user_model().objects.create_user(username="alice", is_staff=True)
    StaffIdentity.objects.create(issuer=sso.issuer, subject="staff-sub-1", user=user)
    return user


def _event_types() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("event_type", flat=True))


def test_cross_site_callback_without_the_session_gets_the_bounce_page(client, staff, settings):
    path, query = idp_round_trip(client, START)
    state = dict(part.split("=") for part in query.split("&"))["state"]

    response = Client().get(f"{path}?{query}")  # the IdP's redirect: no Strict cookie

    target = f"{path}?{query}&sso_bounced=1"
    assert response.status_code == 200
    assert response.content.decode() == BOUNCE_PAGE.format(target=target.replace("&", "&amp;"))
    assert bounce_target(response) == target
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert (response["Cache-Control"], response["Pragma"]) == ("no-store", "no-cache")
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Content-Security-Policy"] == PAGE_CSP  # no inline script needed
    assert response["X-Frame-Options"] == "DENY"
    # A new session cookie would replace the one the browser kept back and lose the state.
    assert not response.cookies
    assert _event_types() == []
    assert state in client.session["oidc_states"]  # not used up by the bounce
    assert "_auth_user_id" not in client.session


def test_bounced_callback_completes_the_sign_in_with_the_session(client, staff):
    path, query = idp_round_trip(client, START)
    target = bounce_target(Client().get(f"{path}?{query}"))

    response = client.get(target)  # the meta refresh: same-site, the cookie goes along

    assert (response.status_code, response["Location"]) == (302, "/admin/accounts/")
    session = client.session
    assert int(session["_auth_user_id"]) == staff.pk
    assert session["staff_second_factor"]["method"] == "oidc"
    assert session["oidc_states"] == {}
    assert _event_types() == ["STAFF_LOGIN_SUCCEEDED"]
    assert AuditEvent.objects.get().detail == {"method": "oidc", "step_up": False}


def test_a_second_bounce_is_refused_and_nothing_secret_is_logged(client, staff, caplog):
    caplog.set_level(logging.DEBUG)
    path, query = idp_round_trip(client, START)
    code = dict(part.split("=") for part in query.split("&"))["code"]
    cookieless = Client()  # a browser that never sends the cookie, even same-site
    target = bounce_target(cookieless.get(f"{path}?{query}"))

    response = cookieless.get(target)

    assert response.status_code == 403
    assert "The bank could not sign you in with its identity provider." in response.content.decode()
    assert "_auth_user_id" not in cookieless.session
    [event] = AuditEvent.objects.all()
    assert (event.event_type, event.outcome, event.detail) == (
        "STAFF_SSO_REFUSED", "denied", {"method": "oidc", "reason": "state", "step_up": False})
    assert caplog.records  # the refusal is logged (django.request), by path only
    assert not [r for r in caplog.records if code in r.getMessage() or "state=" in r.getMessage()]


def test_a_callback_arriving_with_the_marker_is_not_bounced(client, staff):
    path, query = idp_round_trip(Client(), START)  # someone else's sign-in
    response = client.get(f"{path}?{query}&sso_bounced=1")
    assert response.status_code == 403
    assert _event_types() == ["STAFF_SSO_REFUSED"]


def test_the_bounce_page_percent_encodes_what_it_repeats(client, sso):
    response = client.get('/staff-sso/callback/?code=a"><script>x</script>&state=s\'; url=//evil')

    target = bounce_target(response)
    assert target == ("/staff-sso/callback/?code=a%22%3E%3Cscript%3Ex%3C%2Fscript%3E"
                      "&state=s%27%3B+url%3D%2F%2Fevil&sso_bounced=1")
    body = response.content.decode()
    assert "<script>" not in body and "//evil" not in body


def test_an_idp_error_answered_cross_site_is_refused_not_bounced(client, sso):
    start = client.get(START)
    state = dict(p.split("=") for p in start["Location"].split("?")[1].split("&"))["state"]
    cookieless = Client()

    response = cookieless.get(f"/staff-sso/callback/?error=access_denied&state={state}")

    assert response.status_code == 403
    assert "http-equiv" not in response.content.decode()
    assert not response.cookies
    assert state in client.session["oidc_states"]  # another session's: left alone
    [event] = AuditEvent.objects.all()
    assert (event.actor_type, event.detail) == (
        "anonymous", {"method": "oidc", "reason": "state", "step_up": False})


@pytest.mark.parametrize("extra", ["", "&sso_bounced=1", "&code=abc"])
def test_a_cross_site_error_link_does_not_log_staff_out(client, staff, extra):
    # A page on another site links a signed-in member of staff to the callback with an
    # error and any state: the library's error branch would log them out.
    path, query = idp_round_trip(client, START)
    assert client.get(f"{path}?{query}").status_code == 302
    session_before = dict(client.session.items())
    key_before = client.session.session_key

    response = client.get(f"/staff-sso/callback/?error=access_denied&state=anything{extra}")

    assert response.status_code == 403
    assert "http-equiv" not in response.content.decode()  # never bounced
    assert not response.cookies
    assert client.session.session_key == key_before
    assert dict(client.session.items()) == session_before
    event = AuditEvent.objects.latest("id")
    assert (event.event_type, event.actor_type, event.actor_id, event.detail) == (
        "STAFF_SSO_REFUSED", "staff", str(staff.pk),
        {"method": "oidc", "reason": "state", "step_up": False})


def test_a_callback_without_state_is_refused_not_bounced(client, sso):
    response = Client().get("/staff-sso/callback/?code=abc")
    assert response.status_code == 403
    assert _event_types() == ["STAFF_SSO_REFUSED"]
