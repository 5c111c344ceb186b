"""The staff console shows arrangements read-only and revokes them through the service."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.models import User
from security.consent.models import ArrangementStatus
from security.models import AuditEvent
from tests.conftest import assert_cdr_error
from tests.staff.helpers import staff_session_with_second_factor


def _staff() -> Client:
    client = Client()
    staff_session_with_second_factor(client, User.objects.get(username="bank-admin"))
    return client


def test_arrangement_pages_render_without_token_material(grant):
    g = grant("jane.citizen")
    staff = _staff()
    listing = staff.get(reverse("admin:consent_arrangement_changelist"), secure=True)
    page = staff.get(reverse("admin:consent_arrangement_change", args=[g.arrangement.pk]), secure=True)
    assert listing.status_code == page.status_code == 200
    for response in (listing, page):
        text = response.content.decode()
        assert g.token not in text and g.access_token.token_checksum not in text
        assert g.arrangement.cdr_arrangement_id not in listing.content.decode()


def test_staff_cannot_edit_or_delete_but_can_revoke(grant, cdr):
    g = grant("jane.citizen")
    staff = _staff()
    change = reverse("admin:consent_arrangement_change", args=[g.arrangement.pk])
    assert staff.post(change, {"status": "ACTIVE"}, secure=True).status_code == 403
    assert staff.get(reverse("admin:consent_arrangement_delete", args=[g.arrangement.pk]),
                     secure=True).status_code == 403
    changelist = reverse("admin:consent_arrangement_changelist")
    action = {"action": "revoke", "_selected_action": [g.arrangement.pk]}
    # First a confirmation page that changes nothing, then the revocation.
    assert staff.post(changelist, action, secure=True).status_code == 200
    g.arrangement.refresh_from_db()
    assert g.arrangement.status == ArrangementStatus.ACTIVE
    response = staff.post(changelist, {**action, "confirm": "yes"}, secure=True)
    assert response.status_code == 302
    g.arrangement.refresh_from_db()
    assert g.arrangement.status == ArrangementStatus.REVOKED
    event = AuditEvent.objects.get(event_type="ARRANGEMENT_REVOKED", subject_id=str(g.arrangement.pk))
    assert event.actor_type == "staff"
    assert_cdr_error(cdr("get", "banking/accounts", g, x_v="3"), 401, "GeneralError/Expected")
