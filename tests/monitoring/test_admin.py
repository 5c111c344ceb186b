"""Alerts in the staff console: listed and filtered, read-only, acknowledged (audited)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from security.models import AuditEvent
from security.monitoring.models import Alert
from tests.staff.helpers import staff_session_with_second_factor

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:monitoring_alert_changelist"


def _alert(**fields: Any) -> Alert:
    now = timezone.now()
    values: dict[str, Any] = {
        "rule": "credential_stuffing", "severity": "high", "dedupe_key": "k" * 64,
        "first_seen": now, "last_seen": now, "count": 12, "source_ip": "203.0.113.9",
        "detail": {"distinct_ids": 10}, "last_event_id": 99,
    }
    values.update(fields)
    return Alert.objects.create(**values)


def _client(user: User) -> Client:
    client = Client()
    staff_session_with_second_factor(client, user)
    return client


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser(username="security-officer", password="x" * 16)


@pytest.fixture
def viewer() -> User:
    """Staff who may look at alerts but not change them."""
    user = User.objects.create_user(username="junior-analyst", password="x" * 16, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_alert"))
    return user


def _acknowledge(client: Client, *alerts: Alert) -> Any:
    return client.post(reverse(CHANGELIST),
                       {"action": "acknowledge", "_selected_action": [a.pk for a in alerts]},
                       secure=True)


def test_changelist_lists_and_filters_alerts(superuser):
    stuffing = _alert()
    burst = _alert(rule="authorization_failure_burst", severity="medium", dedupe_key="b" * 64,
                   software_product_id="sp-a", source_ip=None)
    client = _client(superuser)
    for params, shown in (
        ({}, {stuffing, burst}),
        ({"rule": "authorization_failure_burst"}, {burst}),
        ({"severity__exact": "high"}, {stuffing}),
        ({"status__exact": "open"}, {stuffing, burst}),
        ({"status__exact": "acknowledged"}, set()),
        ({"software_product_id": "sp-a"}, {burst}),
    ):
        response = client.get(reverse(CHANGELIST), params, secure=True)
        assert response.status_code == 200, params
        assert set(response.context["cl"].result_list) == shown, params


def test_alerts_cannot_be_added_edited_or_deleted(superuser):
    alert = _alert()
    client = _client(superuser)
    change = reverse("admin:monitoring_alert_change", args=[alert.pk])
    assert client.get(change, secure=True).status_code == 200  # a read-only view
    assert client.post(change, {"status": "acknowledged"}, secure=True).status_code == 403
    assert client.get(reverse("admin:monitoring_alert_add"), secure=True).status_code == 403
    assert client.get(reverse("admin:monitoring_alert_delete", args=[alert.pk]),
                      secure=True).status_code == 403
    response = client.post(reverse(CHANGELIST), {"action": "delete_selected",
                                                 "_selected_action": [alert.pk]}, secure=True)
    assert Alert.objects.filter(pk=alert.pk, status="open").exists(), response.status_code


def test_acknowledging_an_alert_is_audited(superuser):
    alert = _alert(software_product_id="sp-a")
    response = _acknowledge(_client(superuser), alert)

    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", superuser)
    assert alert.acknowledged_at is not None
    event = AuditEvent.objects.get(event_type="ALERT_ACKNOWLEDGED")
    assert {
        "outcome": event.outcome, "actor_type": event.actor_type, "actor_id": event.actor_id,
        "subject_type": event.subject_type, "subject_id": event.subject_id,
        "software_product_id": event.software_product_id, "detail": event.detail,
    } == {
        "outcome": "success", "actor_type": "staff", "actor_id": str(superuser.pk),
        "subject_type": "alert", "subject_id": str(alert.pk), "software_product_id": "sp-a",
        "detail": {"rule": "credential_stuffing", "severity": "high", "count": 12},
    }


def test_acknowledging_twice_audits_once(superuser):
    alert = _alert()
    client = _client(superuser)
    _acknowledge(client, alert)
    first = Alert.objects.get(pk=alert.pk).acknowledged_at
    _acknowledge(client, alert)
    assert AuditEvent.objects.filter(event_type="ALERT_ACKNOWLEDGED").count() == 1
    assert Alert.objects.get(pk=alert.pk).acknowledged_at == first


def test_staff_who_may_only_view_cannot_acknowledge(viewer):
    alert = _alert()
    client = _client(viewer)
    assert client.get(reverse(CHANGELIST), secure=True).status_code == 200
    _acknowledge(client, alert)
    assert Alert.objects.get(pk=alert.pk).status == "open"
    assert not AuditEvent.objects.filter(event_type="ALERT_ACKNOWLEDGED").exists()
