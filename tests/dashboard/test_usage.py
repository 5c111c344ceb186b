"""Arrangement.last_used_at: written from the resource path at most once a minute."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from security.consent.models import Arrangement
from security.dashboard.usage import arrangement_last_used_update
from tests.oauth.test_token import accounts_call, tokens_for


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if q["sql"].startswith("UPDATE") and "last_used_at" in q["sql"]]


def test_a_resource_call_records_use_once_a_minute(bank, client_app,
                                                   django_capture_on_commit_callbacks):
    body = tokens_for(client_app)
    arrangement = Arrangement.objects.get(cdr_arrangement_id=body["cdr_arrangement_id"])
    assert arrangement.last_used_at is None

    with CaptureQueriesContext(connection) as first, \
            django_capture_on_commit_callbacks(execute=True):
        assert accounts_call(body["access_token"]).status_code == 200
    arrangement.refresh_from_db()
    used = arrangement.last_used_at
    assert used is not None and timezone.now() - used < timedelta(seconds=5)
    assert len(_writes(first)) == 1

    with CaptureQueriesContext(connection) as second, \
            django_capture_on_commit_callbacks(execute=True):
        assert accounts_call(body["access_token"]).status_code == 200
    # Within the minute: not even a query touches the arrangement's row.
    assert [q for q in second.captured_queries
            if q["sql"].startswith("UPDATE") and "consent_arrangement" in q["sql"]] == []

    # A minute later (for this process) the next call writes again.
    later = timezone.now() + timedelta(seconds=61)
    with mock.patch("security.dashboard.usage.time.monotonic",
                    return_value=__import__("time").monotonic() + 61), \
            mock.patch("security.dashboard.usage.timezone.now", return_value=later), \
            CaptureQueriesContext(connection) as third, \
            django_capture_on_commit_callbacks(execute=True):
        assert accounts_call(body["access_token"]).status_code == 200
    assert len(_writes(third)) == 1
    arrangement.refresh_from_db()
    assert arrangement.last_used_at == later


def test_a_refused_call_records_no_use(bank, client_app, django_capture_on_commit_callbacks):
    body = tokens_for(client_app)
    with django_capture_on_commit_callbacks(execute=True):
        assert accounts_call(body["access_token"], der=b"0\x82 another").status_code == 401
    arrangement = Arrangement.objects.get(cdr_arrangement_id=body["cdr_arrangement_id"])
    assert arrangement.last_used_at is None


def test_the_write_leaves_a_row_another_process_wrote_within_the_minute(bank, client_app):
    body = tokens_for(client_app)
    arrangement = Arrangement.objects.get(cdr_arrangement_id=body["cdr_arrangement_id"])
    now = timezone.now()
    assert arrangement_last_used_update(arrangement.pk, now) is True
    assert arrangement_last_used_update(arrangement.pk, now + timedelta(seconds=30)) is False
    arrangement.refresh_from_db()
    assert arrangement.last_used_at == now
    assert arrangement_last_used_update(arrangement.pk, now + timedelta(seconds=60)) is True
