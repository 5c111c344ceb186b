"""The hourly housekeeping ends arrangements whose sharing period is over (audited, tokens
gone) and forgets expired tokens, grants, revoked-token digests and sessions, exactly when
they are due and not before. Run through the Celery task, as beat runs it."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from security.consent.models import Arrangement, ArrangementStatus
from security.crypto import token_digest
from security.models import AuditEvent
from security.oauth.models import RevokedToken
from security.oauth.tasks import oauth_records_purge
from tests.oauth import test_token
from tests.oauth.test_token import accounts_call, tokens_for

seeded_bank = test_token.seeded_bank
bank = test_token.bank


def test_an_arrangement_past_its_sharing_period_expires_once_with_its_tokens(bank, client_app):
    ending = tokens_for(client_app, sharing_duration=3600)
    staying = tokens_for(client_app, sharing_duration=3600)
    ended = Arrangement.objects.get(cdr_arrangement_id=ending["cdr_arrangement_id"])
    Arrangement.objects.filter(pk=ended.pk).update(
        sharing_expires_at=timezone.now() - timedelta(seconds=1))

    counts = oauth_records_purge.delay().get()

    assert counts["arrangements_expired"] == 1
    ended.refresh_from_db()
    assert ended.status == ArrangementStatus.EXPIRED
    assert not AccessToken.objects.filter(binding__arrangement=ended).exists()
    assert not RefreshToken.objects.filter(context__arrangement=ended).exists()
    (event,) = AuditEvent.objects.filter(event_type="ARRANGEMENT_EXPIRED")
    assert (event.subject_type, event.subject_id, event.arrangement_id) == (
        "arrangement", str(ended.pk), str(ended.pk))
    assert event.software_product_id == client_app.registration.software_product.software_product_id
    assert event.actor_type == "system" and event.detail["deleted_token_rows"] == 2
    assert accounts_call(ending["access_token"]).status_code == 401
    assert accounts_call(staying["access_token"]).status_code == 200

    assert oauth_records_purge.delay().get()["arrangements_expired"] == 0
    assert AuditEvent.objects.filter(event_type="ARRANGEMENT_EXPIRED").count() == 1


def test_expired_tokens_go_a_day_after_expiry_and_revoked_digests_after_theirs(bank, client_app):
    now = timezone.now()
    old, recent, live = (tokens_for(client_app) for _ in range(3))
    for tokens, expired in ((old, now - timedelta(days=1, minutes=1)),
                            (recent, now - timedelta(hours=1))):
        AccessToken.objects.filter(token_checksum=token_digest(tokens["access_token"])).update(
            expires=expired)
    RevokedToken.objects.create(token_digest="a" * 64, kind="access_token",
                                expires_at=now - timedelta(seconds=1))
    RevokedToken.objects.create(token_digest="b" * 64, kind="access_token",
                                expires_at=now + timedelta(minutes=5))

    counts = oauth_records_purge.delay().get()

    assert counts["access_tokens"] == 1 and counts["revoked_token_digests"] == 1
    remaining = set(AccessToken.objects.values_list("token_checksum", flat=True))
    assert token_digest(old["access_token"]) not in remaining
    assert {token_digest(recent["access_token"]), token_digest(live["access_token"])} <= remaining
    assert list(RevokedToken.objects.values_list("token_digest", flat=True)) == ["b" * 64]
    # Purging an expired token is not revoking it.
    assert not RevokedToken.objects.filter(token_digest=token_digest(old["access_token"])).exists()


def test_expired_sessions_are_cleared(db):
    expired, live = SessionStore(), SessionStore()
    for store in (expired, live):
        store["k"] = "v"
        store.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    oauth_records_purge.delay().get()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_an_approval_whose_code_was_never_redeemed_ends_when_the_code_is_forgotten(
        bank, client_app):
    from oauth2_provider.models import Grant

    from tests.oauth.test_token import authorize

    waiting, stale = authorize(client_app), authorize(client_app)
    Grant.objects.filter(context__arrangement=stale.arrangement).update(
        expires=timezone.now() - timedelta(days=1, minutes=1))
    redeemed = tokens_for(client_app)

    counts = oauth_records_purge.delay().get()

    assert counts["unredeemed_arrangements_expired"] == 1 and counts["grants"] == 1
    statuses = {a.pk: a.status for a in Arrangement.objects.all()}
    assert statuses[stale.arrangement.pk] == ArrangementStatus.EXPIRED
    assert statuses[waiting.arrangement.pk] == ArrangementStatus.ACTIVE  # its code is live
    assert Arrangement.objects.get(cdr_arrangement_id=redeemed["cdr_arrangement_id"]).status \
        == ArrangementStatus.ACTIVE
    (event,) = AuditEvent.objects.filter(event_type="ARRANGEMENT_EXPIRED")
    assert event.detail == {"reason": "code_never_redeemed"}
    assert oauth_records_purge.delay().get()["unredeemed_arrangements_expired"] == 0
