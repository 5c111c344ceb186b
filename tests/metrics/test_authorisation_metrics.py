"""Authorisation counts and abandoned consent flows of Get Metrics, per day, from the consent
and authorization-server records."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from bank.metrics.periods import local_zone
from security import audit
from security.consent.models import Arrangement, ArrangementStatus
from security.oauth.authorization import ARRANGEMENT_AMENDED
from security.oauth.models import (
    AuthorizationRequest,
    ClientRegistration,
    PushedAuthorizationRequest,
)
from tests.cdr_schema import assert_cdr_response

pytestmark = pytest.mark.django_db

Stage = AuthorizationRequest.Stage
Status = AuthorizationRequest.Status


@pytest.fixture
def moments() -> dict[str, datetime]:
    now = timezone.now()
    midnight = now.astimezone(local_zone()).replace(hour=0, minute=0, second=0, microsecond=0)
    return {"today": now - timedelta(seconds=30), "yesterday": midnight - timedelta(hours=12),
            "last_week": midnight - timedelta(days=5, hours=12), "now": now}


@pytest.fixture
def arrangement(bank, product):
    """`arrangement(username, created=..., days=365, status=..., revoked=..., superseded=...)`."""

    def make(username: str, *, created: datetime, days: float | None = 365,
             minutes: float | None = None, status: str = ArrangementStatus.ACTIVE,
             revoked: datetime | None = None, superseded: bool = False) -> Arrangement:
        length = timedelta(minutes=minutes) if minutes is not None else timedelta(days=days or 0)
        row = Arrangement.objects.create(
            customer=bank.customer(username), user=User.objects.get(username=username),
            software_product=product, scope="bank:accounts.basic:read", status=status,
            created_at=created, sharing_expires_at=created + length, revoked_at=revoked)
        if superseded:
            Arrangement.objects.filter(pk=row.pk).update(
                cdr_arrangement_id=f"superseded:{secrets.token_hex(8)}")
        return row

    return make


@pytest.fixture
def abandoned(product):
    registration = ClientRegistration.objects.create(
        application=product.client, software_product=product, jwks_uri="https://app.example/jwks")

    def make(stage: str, *, created: datetime, status: str = Status.EXPIRED,
             expires: datetime | None = None, decided: datetime | None = None) -> None:
        pushed = PushedAuthorizationRequest.objects.create(
            request_uri=f"urn:ietf:params:oauth:request_uri:{secrets.token_hex(8)}",
            registration=registration, parameters={}, expires_at=created + timedelta(minutes=1))
        row = AuthorizationRequest.objects.create(
            handle=secrets.token_hex(16), pushed=pushed, status=status, stage=stage,
            expires_at=expires or created + timedelta(minutes=10), decided_at=decided)
        AuthorizationRequest.objects.filter(pk=row.pk).update(created_at=created)

    return make


def _by_type(individual: int = 0, non_individual: int = 0) -> dict[str, int]:
    return {"individual": individual, "nonIndividual": non_individual}


def _week(today: Any, yesterday: Any, last_week: Any, zero: Any) -> dict[str, Any]:
    return {"currentDay": today, "previousDays": [yesterday, zero, zero, zero, zero, last_week,
                                                  zero]}


def test_authorisation_counts_per_day(arrangement, abandoned, moments, register_token,
                                      as_register):
    today, yesterday, last_week = moments["today"], moments["yesterday"], moments["last_week"]
    # New today: two ongoing (a person, an organisation) and a once-off; still active.
    arrangement("jane.citizen", created=today)
    arrangement("acme.agent", created=today)
    arrangement("jane.citizen", created=today, minutes=10)
    # An amendment today: the superseded row (amended) and the new row (not new).
    arrangement("jane.citizen", created=yesterday, status=ArrangementStatus.REVOKED,
                revoked=today, superseded=True)
    replacement = arrangement("jane.citizen", created=today)
    audit.audit_record(actor=audit.Actor.system("test"), event_type=ARRANGEMENT_AMENDED,
                       subject_type="arrangement", subject_id=replacement.pk)
    # Revoked today (created yesterday), revoked yesterday by the organisation.
    arrangement("jane.citizen", created=yesterday, status=ArrangementStatus.REVOKED,
                revoked=today)
    arrangement("acme.agent", created=last_week, status=ArrangementStatus.REVOKED,
                revoked=yesterday)
    # Expired yesterday: an ongoing one (counted) and a once-off (not an ongoing expiry).
    arrangement("acme.agent", created=yesterday - timedelta(days=2), days=2)
    arrangement("jane.citizen", created=yesterday - timedelta(minutes=5), minutes=5)
    # Revoked before its end, which fell yesterday: a revocation, not an expiry.
    arrangement("jane.citizen", created=last_week, days=6, status=ArrangementStatus.REVOKED,
                revoked=last_week + timedelta(hours=1))
    # Abandoned consent flows.
    abandoned(Stage.IDENTIFICATION, created=today - timedelta(minutes=20),
              expires=today - timedelta(minutes=10))
    abandoned(Stage.REJECTED, created=today, status=Status.DECLINED, decided=today)
    abandoned(Stage.ACCOUNT_SELECTION, created=yesterday)
    abandoned(Stage.CODE_ISSUED, created=last_week, status=Status.APPROVED,
              decided=last_week)
    abandoned(Stage.AUTHENTICATION, created=today, status=Status.PENDING,
              expires=moments["now"] + timedelta(minutes=9))  # still in progress: not counted
    abandoned(Stage.COMPLETED, created=today, status=Status.APPROVED, decided=today)

    response = as_register(register_token("admin:metrics.basic:read"))

    data = assert_cdr_response(response, "getMetrics")["data"]
    zero = _by_type()
    new_zero = {"onceOff": zero, "ongoing": zero}
    assert data["authorisations"] == {
        # Ongoing and active now: the three ongoing ones created today (amendment included).
        "activeAuthorisationCount": _by_type(2, 1),
        # Each row is new on the day it was created, wherever it went since.
        "newAuthorisationCount": {
            "currentDay": {"onceOff": _by_type(1), "ongoing": _by_type(1, 1)},
            "previousDays": [
                {"onceOff": _by_type(1), "ongoing": _by_type(2)}, new_zero,
                {"onceOff": zero, "ongoing": _by_type(0, 1)}, new_zero, new_zero,
                {"onceOff": zero, "ongoing": _by_type(1, 1)}, new_zero]},
        "revokedAuthorisationCount": _week(_by_type(1), _by_type(0, 1), _by_type(1), zero),
        "amendedAuthorisationCount": _week(_by_type(1), zero, zero, zero),
        "expiredAuthorisationCount": _week(zero, _by_type(0, 1), zero, zero),
        "abandonedConsentFlowCount": _week(2, 1, 1, 0),
        "abandonmentsByStage": {
            "preIdentification": _week(1, 0, 0, 0),
            "preAuthentication": _week(0, 0, 0, 0),
            "preAccountSelection": _week(0, 1, 0, 0),
            "preAuthorisation": _week(0, 0, 0, 0),
            "rejected": _week(1, 0, 0, 0),
            "failedTokenExchange": _week(0, 0, 1, 0),
        },
    }
    # Active now, once-off included: Jane and Acme, through one software product.
    assert (data["customerCount"], data["recipientCount"]) == (2, 1)
