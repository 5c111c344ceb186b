"""Staff edit outages and incidents in the admin; each change is audited with the staff actor."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from bank.discovery.models import Incident, Outage
from security.models import AuditEvent
from tests.staff.helpers import staff_session_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client() -> tuple[Client, User]:
    user = User.objects.create_superuser("ops", password="a-long-admin-password-1")
    client = Client()
    staff_session_with_second_factor(client, user)
    return client, user


def test_staff_add_an_outage_in_the_admin_and_it_is_audited_and_published(staff_client, api):
    client, user = staff_client
    response = client.post(reverse("admin:discovery_outage_add"), {
        "outage_time_0": "2030-01-02", "outage_time_1": "01:00:00",
        "duration": "02:00:00", "explanation": "Planned maintenance.",
    })
    assert response.status_code == 302, response.content[:2000]
    outage = Outage.objects.get()
    event = AuditEvent.objects.get(event_type="OUTAGE_CHANGED")
    assert (event.actor_type, event.actor_id, event.subject_id) == ("staff", str(user.pk), str(outage.pk))
    outages = api("get", "/cds-au/v1/discovery/outages", x_v="1").json()["data"]["outages"]
    assert outages == [{"outageTime": "2030-01-01T14:00:00Z", "duration": "PT2H", "isPartial": False,
                        "explanation": "Planned maintenance."}]


def test_admin_rejects_an_outage_without_duration(staff_client):
    client, _ = staff_client
    response = client.post(reverse("admin:discovery_outage_add"), {
        "outage_time_0": "2030-01-02", "outage_time_1": "01:00:00", "duration": "", "explanation": "x",
    })
    assert response.status_code == 200  # the form again, with its error
    assert not Outage.objects.exists()
    assert not AuditEvent.objects.exists()


def test_incidents_cannot_be_deleted_from_the_admin(staff_client):
    client, _ = staff_client
    assert client.get(reverse("admin:discovery_incident_changelist")).status_code == 200
    incident = Incident.objects.create(status="UNAVAILABLE", explanation="x",
                                       detection_time="2030-01-01T00:00:00Z")
    assert client.post(reverse("admin:discovery_incident_delete", args=[incident.pk]), {"post": "yes"}).status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_audit_trail_is_read_only_in_the_admin(staff_client):
    client, _ = staff_client
    assert client.get(reverse("admin:security_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:security_auditevent_add")).status_code == 403
