"""Single-use records are forgotten once they cannot matter, and not before."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from security.oauth.models import UsedClientAssertion
from security.oauth.tasks import oauth_records_purge


def test_expired_assertion_ids_are_purged_live_ones_kept(db):
    now = timezone.now()
    UsedClientAssertion.objects.create(client_id="c", jti="old", expires_at=now - timedelta(minutes=1))
    UsedClientAssertion.objects.create(client_id="c", jti="live", expires_at=now + timedelta(minutes=5))
    counts = oauth_records_purge.delay().get()
    assert counts["client_assertions"] == 1
    assert list(UsedClientAssertion.objects.values_list("jti", flat=True)) == ["live"]
