"""Authorisation counts of Get Metrics (AuthorisationMetricsV2), from the consent records.

An authorisation is an Arrangement (security/consent/models.py). Per CDS:

- individual / nonIndividual: the customer is a person / an organisation;
- once-off / ongoing: a once-off consent (sharing_duration 0) ends with its first access
  token, so its sharing period is at most ACCESS_TOKEN_MAX_LIFETIME; an ongoing one is longer;
- active (ongoing only, "at the time of the call"): ACTIVE and its sharing period not over;
- new: created that day; the row an amendment creates is not new (it is the amendment);
- amended (ongoing): an amendment completed that day. The authorization server marks the
  replaced row REVOKED and renames its ID `superseded:<uuid>` (security/oauth/authorization.py
  authorization_amendment_complete), so those rows are amendments, not revocations;
- revoked: revoked that day (by the customer, the recipient or staff), amendments excluded;
- expired (ongoing): the sharing period ended that day, without being revoked first;
- abandoned consent flows by stage: security.oauth.selectors (the authorization server
  records the stage each flow reached).

Limit: the arrangement is created when the customer approves, before the recipient redeems
the code, so an approval whose code is never redeemed counts as new (and is also counted as
an abandonment at failedTokenExchange).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from accounts.choices import CustomerType
from bank.metrics.periods import Window
from security.consent.models import Arrangement, ArrangementStatus
from security.consent.services import ACCESS_TOKEN_MAX_LIFETIME
from security.models import AuditEvent
from security.oauth.authorization import ARRANGEMENT_AMENDED
from security.oauth.selectors import authorization_abandonments_by_stage
from security.oauth.tokens import ACCESS_TOKEN_ISSUED, ACCESS_TOKEN_REFRESHED

SUPERSEDED_PREFIX = "superseded:"
_ONCE_OFF = Q(sharing_length__lte=ACCESS_TOKEN_MAX_LIFETIME)


@dataclass(frozen=True, slots=True)
class ByCustomerType:
    individual: int = 0
    non_individual: int = 0


@dataclass(frozen=True, slots=True)
class NewAuthorisations:
    once_off: ByCustomerType
    ongoing: ByCustomerType


def _arrangements() -> QuerySet[Arrangement]:
    return Arrangement.objects.annotate(
        sharing_length=ExpressionWrapper(F("sharing_expires_at") - F("created_at"),
                                         output_field=DurationField()))


def _by_customer_type(queryset: QuerySet[Arrangement]) -> ByCustomerType:
    counts = dict(
        queryset.order_by().values_list("customer__customer_type").annotate(n=Count("pk")))
    return ByCustomerType(individual=counts.get(CustomerType.PERSON, 0),
                          non_individual=counts.get(CustomerType.ORGANISATION, 0))


def _active(now: datetime) -> QuerySet[Arrangement]:
    return _arrangements().filter(status=ArrangementStatus.ACTIVE, sharing_expires_at__gt=now)


def active_authorisation_count(*, now: datetime) -> ByCustomerType:
    return _by_customer_type(_active(now).exclude(_ONCE_OFF))


def customer_count(*, now: datetime) -> int:
    """Customers with an active authorisation (once-off or ongoing) at `now`."""
    return _active(now).order_by().values("customer_id").distinct().count()


def recipient_count(*, now: datetime) -> int:
    """Software products with an active authorisation at `now`."""
    return _active(now).order_by().values("software_product_id").distinct().count()


def _amendment_rows(window: Window) -> set[int]:
    """The arrangements that amendments created (ARRANGEMENT_AMENDED names the new row)."""
    subjects = AuditEvent.objects.filter(
        event_type=ARRANGEMENT_AMENDED, outcome=AuditEvent.Outcome.SUCCESS,
        occurred_at__gte=window.start,
    ).values_list("subject_id", flat=True)
    return {int(subject) for subject in subjects if subject.isdigit()}


def new_authorisation_count(window: Window) -> NewAuthorisations:
    created = _arrangements().filter(
        created_at__gte=window.start, created_at__lt=window.end,
    ).exclude(pk__in=_amendment_rows(window))
    return NewAuthorisations(once_off=_by_customer_type(created.filter(_ONCE_OFF)),
                             ongoing=_by_customer_type(created.exclude(_ONCE_OFF)))


def _ended(window: Window) -> QuerySet[Arrangement]:
    return _arrangements().filter(status=ArrangementStatus.REVOKED,
                                  revoked_at__gte=window.start, revoked_at__lt=window.end)


def revoked_authorisation_count(window: Window) -> ByCustomerType:
    return _by_customer_type(
        _ended(window).exclude(cdr_arrangement_id__startswith=SUPERSEDED_PREFIX))


def amended_authorisation_count(window: Window) -> ByCustomerType:
    return _by_customer_type(
        _ended(window).filter(cdr_arrangement_id__startswith=SUPERSEDED_PREFIX))


def expired_authorisation_count(window: Window) -> ByCustomerType:
    expired = _arrangements().filter(
        sharing_expires_at__gte=window.start, sharing_expires_at__lt=window.end,
    ).exclude(_ONCE_OFF).exclude(
        status=ArrangementStatus.REVOKED, revoked_at__lt=F("sharing_expires_at"))
    return _by_customer_type(expired)


def abandonments_by_stage(window: Window, *, now: datetime) -> dict[str, int]:
    """CDS stage name (preIdentification ... failedTokenExchange) -> flows abandoned."""
    return authorization_abandonments_by_stage(since=window.start, until=window.end, now=now)


def session_count(window: Window) -> int:
    """Sessions begun: CDS SessionCountMetrics "a session is defined as the provisioning of an
    Access Token", so every access token issued for an arrangement (code or refresh grant).
    Counted from the audit trail, which outlives the tokens the retention job purges."""
    return AuditEvent.objects.filter(
        event_type__in=(ACCESS_TOKEN_ISSUED, ACCESS_TOKEN_REFRESHED),
        outcome=AuditEvent.Outcome.SUCCESS,
        occurred_at__gte=window.start, occurred_at__lt=window.end,
    ).count()
