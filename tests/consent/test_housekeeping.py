"""Abandoned consent flows are closed and audited with their stage; spent codes and idle
failure counters are forgotten, running lock-outs are not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from security.login.models import LoginThrottle, OneTimeCode
from security.login.services import identifier_digest
from security.login.tasks import login_records_purge
from security.models import AuditEvent
from security.oauth.models import AuthorizationRequest
from security.oauth.tasks import oauth_records_purge
from tests.consent.conftest import PASSWORD, Browser, url

pytestmark = pytest.mark.django_db


def test_abandoned_flows_expire_and_are_audited_with_their_stage(start, jane, outbox):
    abandoned, in_progress = start(), start()
    Browser().submit(url(abandoned), {"customer_id": "jane.citizen", "password": PASSWORD})
    AuthorizationRequest.objects.filter(handle=abandoned).update(
        expires_at=timezone.now() - timedelta(seconds=1))

    counts = oauth_records_purge.delay().get()

    assert counts["authorizations_abandoned"] == 1
    assert AuthorizationRequest.objects.get(handle=abandoned).status == "EXPIRED"
    assert AuthorizationRequest.objects.get(handle=in_progress).status == "PENDING"
    (event,) = AuditEvent.objects.filter(event_type="AUTHORIZATION_ABANDONED")
    assert event.detail["stage"] == "preAuthentication"
    assert oauth_records_purge.delay().get()["authorizations_abandoned"] == 0
    # The page now says it expired.
    assert Browser().get(url(abandoned)).status_code == 410


def test_login_records_purge_keeps_what_still_matters(jane, db):
    now = timezone.now()
    old = OneTimeCode.objects.create(
        user=jane, purpose="CDR_AUTHORISATION", binding="a", code_digest="d",
        created_at=now - timedelta(days=2), expires_at=now - timedelta(days=2) + timedelta(minutes=5))
    live = OneTimeCode.objects.create(
        user=jane, purpose="CDR_AUTHORISATION", binding="b", code_digest="d",
        created_at=now, expires_at=now + timedelta(minutes=5))
    idle = LoginThrottle.objects.create(identifier_digest=identifier_digest("idle"), failures=2)
    locked = LoginThrottle.objects.create(identifier_digest=identifier_digest("locked"),
                                          lockouts=3, locked_until=now + timedelta(minutes=30))
    LoginThrottle.objects.filter(pk__in=[idle.pk, locked.pk]).update(
        updated_at=now - timedelta(days=2))

    assert login_records_purge.delay().get() == {"one_time_codes": 1, "login_throttles": 1}
    assert list(OneTimeCode.objects.values_list("pk", flat=True)) == [live.pk]
    assert list(LoginThrottle.objects.values_list("pk", flat=True)) == [locked.pk]
    assert old.pk not in OneTimeCode.objects.values_list("pk", flat=True)
