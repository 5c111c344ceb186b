"""Metadata Update (v1): the Register tells the bank that recipient metadata changed, and the
bank re-reads the statuses at once instead of at the next 5-minute poll.

End to end through the mock Register (tests/register/harness.py): the recipient registers
by DCR, the Register deactivates its product, the Register calls Metadata Update, and the
bank's copy of the status changes before this call returns (Celery runs eagerly in tests).
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from bank.register_mock.models import RegisterSoftwareProduct
from security.models import AuditEvent
from security.recipients.models import SoftwareProduct
from tests.conftest import assert_cdr_error
from tests.metrics.conftest import METADATA_URL
from tests.register.harness import dcr_register, make_recipient, recipient

__all__ = ["make_recipient", "recipient"]

pytestmark = pytest.mark.django_db

REFRESH = {"data": {"action": "REFRESH"}, "meta": {}}


def _post(token: str, body: object, *, x_v: str = "1",
          content_type: str = "application/json") -> object:
    data = body if isinstance(body, str) else json.dumps(body)
    return Client().post(METADATA_URL, data=data, content_type=content_type,
                         HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_V=x_v,
                         HTTP_ACCEPT="application/json")


@pytest.fixture
def registered(recipient):
    dcr_register(recipient)
    return recipient


def test_metadata_update_refreshes_recipient_statuses_now(registered, register_token):
    token = register_token("admin:metadata:update")
    RegisterSoftwareProduct.objects.filter(
        software_product_id=registered.software_id).update(status="INACTIVE")
    polls_before = len(registered.router.calls)

    response = _post(token, REFRESH)

    assert response.status_code == 200
    assert response["x-v"] == "1"
    assert response.content == b""
    assert SoftwareProduct.objects.get(
        software_product_id=registered.software_id).status == "INACTIVE"
    polled = [url for _, url in registered.router.calls[polls_before:]]
    assert any(url.endswith("/data-recipients/brands/software-products/status")
               for url in polled)
    event = AuditEvent.objects.get(event_type="RECIPIENT_METADATA_REFRESH_REQUESTED")
    assert (event.actor_type, event.actor_id, event.outcome) == ("client", "cdr-register",
                                                                 "success")


def test_metadata_update_accepts_a_body_without_meta(registered, register_token):
    response = _post(register_token("admin:metadata:update"), {"data": {"action": "REFRESH"}})

    assert response.status_code == 200


@pytest.mark.parametrize(("body", "status_code", "code", "detail"), [
    ({}, 400, "Field/Missing", "data"),
    ([], 400, "Field/Missing", "data"),
    ({"data": {}}, 400, "Field/Missing", "data.action"),
    ({"data": {"action": "DELETE"}}, 400, "Field/Invalid", "data.action"),
    ({"data": {"action": "refresh"}}, 400, "Field/Invalid", "data.action"),
    ({"data": {"action": "REFRESH", "force": True}}, 400, "Field/Invalid", "data.force"),
    ({"data": "REFRESH"}, 400, "Field/Invalid", "data"),
    ({"data": {"action": "REFRESH"}, "extra": 1}, 400, "Field/Invalid", "extra"),
    ({"data": {"action": "REFRESH"}, "meta": []}, 400, "Field/Invalid", "meta"),
    ({"data": {"action": "REFRESH"}, "meta": {"x": 1}}, 400, "Field/Invalid", "meta.x"),
])
def test_invalid_bodies_are_cdr_errors_and_poll_nothing(
    register_env, register_token, body, status_code, code, detail,
):
    token = register_token("admin:metadata:update")
    calls_before = len(register_env.calls)

    assert_cdr_error(_post(token, body), status_code, code, detail)
    assert register_env.calls[calls_before:] == []
    assert not AuditEvent.objects.filter(
        event_type="RECIPIENT_METADATA_REFRESH_REQUESTED").exists()


def test_a_body_that_is_not_json_is_refused(register_env, register_token):
    token = register_token("admin:metadata:update")

    assert_cdr_error(_post(token, "{not json"), 400, "Field/Invalid")
    assert_cdr_error(_post(token, "action=REFRESH",
                           content_type="application/x-www-form-urlencoded"),
                     415, "GeneralError/Expected")


def test_metadata_update_versions(register_env, register_token):
    token = register_token("admin:metadata:update")

    assert_cdr_error(_post(token, REFRESH, x_v="2"), 406, "Header/UnsupportedVersion",
                     "Supported version: 1")
    assert_cdr_error(_post(token, REFRESH, x_v="0"), 400, "Header/InvalidVersion", "x-v")
