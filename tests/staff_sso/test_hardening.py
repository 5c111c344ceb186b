"""MFA required by default, rate limits on the SSO endpoints, a read-only StaffIdentity admin
and `manage.py staff_identity_link`."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from security.models import AuditEvent
from security.staff_sso.checks import check_staff_sso_algorithms
from security.staff_sso.models import StaffIdentity
from tests.staff_sso.conftest import sign_in

pytestmark = pytest.mark.django_db


# MFA ------------------------------------------------------------------------------------------

def test_mfa_is_required_by_default():
    assert django_settings.BANK_STAFF_OIDC_MFA_VALUES == ["mfa", "otp", "hwk", "swk"]


def test_a_password_only_idp_sign_in_is_refused_by_default(client, sso):
    user = get_user_model().objects.create_user(username="alice", is_staff=True)
    StaffIdentity.objects.create(issuer=sso.issuer, subject="staff-sub-1", user=user)
    sso.amr = ["pwd"]
    assert sign_in(client).status_code == 403
    assert AuditEvent.objects.get().detail["reason"] == "mfa"


@pytest.mark.parametrize("environment", ["prod", "staging", "unknown"])
def test_system_check_refuses_sso_without_mfa_outside_dev_and_test(sso, settings, environment):
    settings.BANK_STAFF_OIDC_MFA_VALUES = []
    settings.BANK_ENVIRONMENT = environment
    [error] = check_staff_sso_algorithms()
    assert (error.id, error.level) == ("staff_sso.E003", 40)


@pytest.mark.parametrize("environment", ["dev", "test"])
def test_system_check_allows_sso_without_mfa_in_dev_and_test(sso, settings, environment):
    settings.BANK_STAFF_OIDC_MFA_VALUES = []
    settings.BANK_ENVIRONMENT = environment
    assert check_staff_sso_algorithms() == []


def test_system_check_passes_mfa_values_in_prod(sso, settings):
    settings.BANK_ENVIRONMENT = "prod"
    assert check_staff_sso_algorithms() == []


# Rate limits ------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/staff-sso/authenticate/", "/staff-sso/callback/?code=x",
                                 "/staff-sso/step-up/"])
def test_a_burst_on_an_sso_endpoint_gets_429(client, sso, real_rate_limits, url):
    statuses = [client.get(url).status_code for _ in range(11)]

    assert 429 not in statuses[:10]
    assert statuses[10] == 429
    assert client.get(url)["Retry-After"].isdigit()
    event = AuditEvent.objects.get(event_type="RATE_LIMIT_EXCEEDED")
    assert event.detail["rule"] == "login_per_source"


# The StaffIdentity admin: view and delete only ---------------------------------------------

@pytest.fixture
def admin_client_sso(client, sso):
    """An administrator (all permissions, through SSO) and a mapping of someone else."""
    admin_user = get_user_model().objects.create_user(username="admin", is_staff=True,
                                                      is_superuser=True)
    StaffIdentity.objects.create(issuer=sso.issuer, subject="staff-sub-1", user=admin_user)
    assert sign_in(client).status_code == 302
    other = get_user_model().objects.create_user(username="bob", is_staff=True)
    return client, StaffIdentity.objects.create(issuer=sso.issuer, subject="bob-sub", user=other)


def test_the_staff_identity_admin_cannot_add(admin_client_sso):
    client, _ = admin_client_sso
    url = reverse("admin:staff_sso_staffidentity_add")
    assert client.get(url).status_code == 403
    response = client.post(url, {"user": 1, "issuer": "https://evil.example", "subject": "me"})
    assert response.status_code == 403
    assert StaffIdentity.objects.count() == 2


def test_the_staff_identity_admin_cannot_change(admin_client_sso):
    client, identity = admin_client_sso
    url = reverse("admin:staff_sso_staffidentity_change", args=[identity.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="subject"' not in page.content.decode()  # shown, not editable
    response = client.post(url, {"user": identity.user_id, "issuer": identity.issuer,
                                 "subject": "staff-sub-1"})
    assert response.status_code == 403
    identity.refresh_from_db()
    assert identity.subject == "bob-sub"


def test_the_staff_identity_admin_can_delete(admin_client_sso):
    client, identity = admin_client_sso
    url = reverse("admin:staff_sso_staffidentity_delete", args=[identity.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not StaffIdentity.objects.filter(pk=identity.pk).exists()


# manage.py staff_identity_link ---------------------------------------------------------------

ISSUER = "https://idp.bank.example"


def _user(**flags):
    return get_user_model().objects.create_user(username="carol", **{"is_staff": True, **flags})


def test_the_command_links_and_audits(capsys):
    user = _user()
    call_command("staff_identity_link", "carol", "--subject", "carol-sub", "--issuer", ISSUER)
    identity = StaffIdentity.objects.get()
    assert (identity.user_id, identity.issuer, identity.subject) == (user.pk, ISSUER, "carol-sub")
    event = AuditEvent.objects.get(event_type="STAFF_IDENTITY_LINKED")
    assert (event.actor_type, event.actor_id, event.subject_id, event.detail) == (
        "system", "staff_identity_link", str(identity.pk), {"user_id": user.pk})
    assert "carol-sub" not in str(event.detail)


def test_the_command_refuses_a_superuser_without_the_flag():
    _user(is_superuser=True)
    with pytest.raises(CommandError, match="superuser"):
        call_command("staff_identity_link", "carol", "--subject", "s", "--issuer", ISSUER)
    assert not StaffIdentity.objects.exists()


def test_the_command_links_a_superuser_with_the_flag():
    _user(is_superuser=True)
    call_command("staff_identity_link", "carol", "--subject", "s", "--issuer", ISSUER,
                 "--allow-superuser")
    assert StaffIdentity.objects.count() == 1


@pytest.mark.parametrize("flags", [{"is_staff": False}, {"is_active": False}])
def test_the_command_refuses_a_user_who_is_not_active_staff(flags):
    _user(**flags)
    with pytest.raises(CommandError, match="No active staff"):
        call_command("staff_identity_link", "carol", "--subject", "s", "--issuer", ISSUER)
    assert not StaffIdentity.objects.exists()


def test_the_command_refuses_a_subject_already_linked():
    _user()
    call_command("staff_identity_link", "carol", "--subject", "s", "--issuer", ISSUER)
    with pytest.raises(CommandError):
        call_command("staff_identity_link", "carol", "--subject", "s", "--issuer", ISSUER)
    assert StaffIdentity.objects.count() == 1
