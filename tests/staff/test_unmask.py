"""Unmasking one sensitive field: permission, reason, step-up, allow-list, audit, once."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import choices
from accounts.models import Customer
from security.models import AuditEvent
from security.staff.session import MARKER_KEY
from tests.staff.helpers import staff_session_with_second_factor, totp_code

pytestmark = pytest.mark.django_db

REASON = "Customer called about a returned letter, case 4411"
SECRET_NAME = "Zebedee-Unmasked"


@pytest.fixture
def customer(db: Any) -> Customer:
    return Customer.objects.create(customer_type=choices.CustomerType.PERSON,
                                   last_update_time=timezone.now(), last_name=SECRET_NAME)


@pytest.fixture
def security_staff(staff: Any) -> Any:
    staff.groups.add(Group.objects.get(name="security"))
    return staff


def _url(customer: Customer, field: str = "last_name", model: str = "accounts.customer") -> str:
    return reverse("staff:unmask", kwargs={"model": model, "pk": customer.pk, "field": field})


def _unmasked() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type="SENSITIVE_DATA_UNMASKED"))


def test_unmask_shows_the_value_once_and_audits_without_it(client: Client, security_staff: Any,
                                                           customer: Customer) -> None:
    staff_session_with_second_factor(client, security_staff)

    form = client.get(_url(customer))
    assert form.status_code == 200
    assert SECRET_NAME not in form.content.decode()

    response = client.post(_url(customer), {"reason": REASON})

    assert response.status_code == 200
    assert SECRET_NAME in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    [event] = _unmasked()
    assert (event.actor_type, event.actor_id, event.subject_type, event.subject_id,
            event.detail) == ("staff", str(security_staff.pk), "accounts.customer",
                              str(customer.pk), {"field": "last_name", "reason": REASON})
    assert SECRET_NAME not in json.dumps(event.detail)
    # Asking again shows the form, not the value: each view is its own reasoned request.
    assert SECRET_NAME not in client.get(_url(customer)).content.decode()


def test_unmask_requires_the_permission(client: Client, staff: Any, customer: Customer) -> None:
    staff.groups.add(Group.objects.get(name="support"))
    staff_session_with_second_factor(client, staff)

    response = client.post(_url(customer), {"reason": REASON})

    assert response.status_code == 403
    assert SECRET_NAME not in response.content.decode()
    assert _unmasked() == []


def test_unmask_requires_a_reason_of_ten_characters(client: Client, security_staff: Any,
                                                    customer: Customer) -> None:
    staff_session_with_second_factor(client, security_staff)

    response = client.post(_url(customer), {"reason": "because"})

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert SECRET_NAME not in response.content.decode()
    assert _unmasked() == []


@pytest.mark.parametrize(("model", "field"), [
    ("accounts.customer", "customer_type"),  # not encrypted
    ("accounts.customer", "pk"),
    ("accounts.customer", "__class__"),
    ("accounts.user", "password"),  # a hash, not an encrypted field
    ("otp_totp.totpdevice", "key"),
    ("no_such.model", "last_name"),
])
def test_unmask_refuses_anything_but_an_encrypted_field(client: Client, security_staff: Any,
                                                        customer: Customer, model: str,
                                                        field: str) -> None:
    staff_session_with_second_factor(client, security_staff)

    response = client.post(_url(customer, field, model), {"reason": REASON})

    assert response.status_code == 404
    assert _unmasked() == []


def test_unmask_of_a_missing_object_is_not_found(client: Client, security_staff: Any,
                                                 customer: Customer) -> None:
    staff_session_with_second_factor(client, security_staff)
    url = reverse("staff:unmask", kwargs={"model": "accounts.customer", "pk": "not-a-key",
                                          "field": "last_name"})
    assert client.post(url, {"reason": REASON}).status_code == 404


def test_unmask_asks_for_a_new_code_after_five_minutes(client: Client, security_staff: Any,
                                                       customer: Customer) -> None:
    staff_session_with_second_factor(client, security_staff, at=int(time.time()) - 301)
    device = security_staff.totpdevice_set.get()

    without_code = client.post(_url(customer), {"reason": REASON})
    assert "otp_token" in without_code.context["form"].errors
    wrong = client.post(_url(customer), {"reason": REASON, "otp_token": "12345x"})
    assert SECRET_NAME not in wrong.content.decode()
    assert _unmasked() == []
    assert AuditEvent.objects.get(event_type="STAFF_MFA_FAILED").detail == {
        "reason": "malformed_code", "purpose": "step_up"}

    device.throttle_reset()
    key_before = client.session.session_key
    response = client.post(_url(customer), {"reason": REASON, "otp_token": totp_code(device)})

    assert SECRET_NAME in response.content.decode()
    assert len(_unmasked()) == 1
    assert int(time.time()) - client.session[MARKER_KEY]["at"] <= 2
    assert client.session.session_key != key_before


def test_unmask_within_five_minutes_needs_no_new_code(client: Client, security_staff: Any,
                                                      customer: Customer) -> None:
    staff_session_with_second_factor(client, security_staff, at=int(time.time()) - 290)
    response = client.post(_url(customer), {"reason": REASON})
    assert SECRET_NAME in response.content.decode()


def test_unmask_with_a_stale_single_sign_on_refuses_without_the_sso_step_up(
        client: Client, security_staff: Any, customer: Customer) -> None:
    staff_session_with_second_factor(client, security_staff, method="oidc",
                                     at=int(time.time()) - 301)
    response = client.post(_url(customer), {"reason": REASON})
    try:
        step_up = reverse("staff_sso:step_up")
    except Exception:  # the SSO app is not installed in this build
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(step_up + "?next=")
    assert _unmasked() == []


def test_unmask_is_rate_limited_per_member_of_staff(client: Client, security_staff: Any,
                                                    customer: Customer,
                                                    real_rate_limits: Any) -> None:
    staff_session_with_second_factor(client, security_staff)
    statuses = [client.post(_url(customer), {"reason": REASON}).status_code for _ in range(11)]

    assert statuses == [200] * 10 + [429]
    assert len(_unmasked()) == 10
    assert AuditEvent.objects.get(event_type="SENSITIVE_DATA_UNMASK_REFUSED").detail == {
        "field": "last_name", "reason_class": "too_many_unmasks"}
