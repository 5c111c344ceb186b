"""Get Status and Get Outages v1, served from the staff-maintained tables."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bank.discovery import services
from bank.discovery.models import Incident, Outage
from security.audit import Actor, ActorType
from security.models import AuditEvent
from tests.cdr_schema import assert_cdr_response
from tests.conftest import assert_cdr_error

pytestmark = pytest.mark.django_db
STATUS = "/cds-au/v1/discovery/status"
OUTAGES = "/cds-au/v1/discovery/outages"
STAFF = Actor(ActorType.STAFF, "7")


def test_status_is_ok_with_no_incidents(api):
    body = assert_cdr_response(api("get", STATUS, x_v="1"), "getStatus")
    assert set(body["data"]) == {"status", "updateTime"}
    assert body["data"]["status"] == "OK"
    assert body["links"] == {"self": "https://bank.example.test/cds-au/v1/discovery/status"}


def test_open_incident_makes_status_unavailable_with_its_times(api):
    detected = timezone.now() - timedelta(minutes=5)
    services.incident_save(
        incident=Incident(status="PARTIAL_FAILURE", explanation="Transactions are delayed.",
                          detection_time=detected - timedelta(minutes=1)),
        actor=STAFF,
    )
    services.incident_save(
        incident=Incident(status="UNAVAILABLE", explanation="We are fixing an outage.",
                          detection_time=detected,
                          expected_resolution_time=detected + timedelta(hours=1)),
        actor=STAFF,
    )
    data = assert_cdr_response(api("get", STATUS, x_v="1"), "getStatus")["data"]
    assert data["status"] == "UNAVAILABLE"
    assert data["explanation"] == "We are fixing an outage."
    assert data["detectionTime"].endswith("Z")
    assert set(data) == {"status", "explanation", "detectionTime", "expectedResolutionTime", "updateTime"}


def test_resolved_incident_returns_status_to_ok(api):
    incident = services.incident_save(
        incident=Incident(status="UNAVAILABLE", explanation="Down.",
                          detection_time=timezone.now() - timedelta(hours=1)),
        actor=STAFF,
    )
    incident.resolved_at = timezone.now()
    services.incident_save(incident=incident, actor=STAFF)
    data = assert_cdr_response(api("get", STATUS, x_v="1"), "getStatus")["data"]
    assert data["status"] == "OK"
    assert AuditEvent.objects.filter(event_type="SERVICE_STATUS_CHANGED").count() == 2


def test_outage_in_effect_is_scheduled_outage(api):
    start = timezone.now() - timedelta(minutes=10)
    services.outage_save(
        outage=Outage(outage_time=start, duration=timedelta(hours=1), explanation="Upgrade."),
        actor=STAFF,
    )
    data = assert_cdr_response(api("get", STATUS, x_v="1"), "getStatus")["data"]
    assert data["status"] == "SCHEDULED_OUTAGE"
    assert data["explanation"] == "Upgrade."
    assert "detectionTime" not in data
    assert "expectedResolutionTime" in data


def test_outages_lists_current_and_future_but_not_past(api):
    now = timezone.now()
    for start, hours, text in [(now - timedelta(days=2), 1, "past"), (now + timedelta(days=8), 2, "future"),
                               (now - timedelta(minutes=30), 1, "now")]:
        services.outage_save(
            outage=Outage(outage_time=start, duration=timedelta(hours=hours), explanation=text,
                          is_partial=text == "future"),
            actor=STAFF,
        )
    body = assert_cdr_response(api("get", OUTAGES, x_v="1"), "getOutages")
    assert [o["explanation"] for o in body["data"]["outages"]] == ["now", "future"]
    future = body["data"]["outages"][1]
    assert future["duration"] == "PT2H"
    assert future["isPartial"] is True
    assert body["links"] == {"self": "https://bank.example.test/cds-au/v1/discovery/outages"}
    assert AuditEvent.objects.filter(event_type="OUTAGE_CHANGED", actor_type="staff").count() == 3


def test_outages_empty_list_is_still_an_array(api):
    body = assert_cdr_response(api("get", OUTAGES, x_v="1"), "getOutages")
    assert body["data"] == {"outages": []}


def test_outage_must_have_positive_duration():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.outage_save(
            outage=Outage(outage_time=timezone.now(), duration=timedelta(0), explanation="x"), actor=STAFF
        )
    assert not Outage.objects.exists()


@pytest.mark.parametrize("url", [STATUS, OUTAGES])
def test_discovery_negotiates_version_1_only(api, url):
    assert_cdr_response(api("get", url, x_v="3", x_min_v="1"), "getStatus" if url == STATUS else "getOutages")
    assert_cdr_error(api("get", url, x_v="2"), 406, "Header/UnsupportedVersion")
    assert_cdr_error(api("get", url), 400, "Header/Missing")


@pytest.mark.parametrize("url", [STATUS, OUTAGES])
def test_discovery_error_bodies_validate_against_the_spec(api, url):
    from tests.cdr_schema import validate_body

    response = api("get", url, x_v="9")
    operation = "getStatus" if url == STATUS else "getOutages"
    assert validate_body(response.json(), operation, 406) == []


def test_discovery_cors_is_open(api):
    response = api("get", STATUS, x_v="1", HTTP_ORIGIN="https://recipient.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = api("options", STATUS, HTTP_ORIGIN="https://recipient.example",
                    HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-v")
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "x-v" in preflight["Access-Control-Allow-Headers"]


def test_cors_is_not_open_outside_public_endpoints(api):
    response = api("get", "/admin/login/", HTTP_ORIGIN="https://evil.example")
    assert not response.has_header("Access-Control-Allow-Origin")


def test_ok_status_update_time_is_stable_across_calls(api):
    first = api("get", STATUS, x_v="1").json()["data"]["updateTime"]
    second = api("get", STATUS, x_v="1").json()["data"]["updateTime"]
    assert first == second
