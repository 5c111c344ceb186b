"""What the customer's dashboard shows: their arrangements, in the words of the consent pages.

Only the customer's own rows, always (every query filters on the customer). Left out:

- superseded versions of an amended arrangement (security/oauth/authorization.py renames their
  ID to `superseded:<uuid>`): each appears instead in the amendment history of the version
  that replaced it, found through the ARRANGEMENT_AMENDED audit events;
- arrangements whose authorization code is still waiting to be redeemed (a GrantContext
  still points at them): the recipient holds nothing for them yet, and an amendment's new
  terms must not show until they replace the old ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.choices import CustomerType
from accounts.models import Account, Customer
from bank.api.formatting import masked_account_number
from security.consent.language import (
    ClusterChanges,
    DataCluster,
    data_cluster_changes,
    data_clusters,
)
from security.consent.models import Arrangement, ArrangementStatus
from security.models import AuditEvent
from security.oauth.authorization import ARRANGEMENT_AMENDED
from security.oauth.models import GrantContext

SUPERSEDED_PREFIX = "superseded:"
#: Amendments followed back from the current version: far more than any real history.
_MAX_VERSIONS = 100


class SharingStatus:
    """The status as the customer reads it."""

    ACTIVE = "Active"
    PENDING = "Awaiting approval"
    REVOKED = "Stopped"
    EXPIRED = "Expired"


@dataclass(frozen=True)
class Amendment:
    """One change the customer agreed to: the terms before and after, in their words."""

    amended_at: datetime
    clusters: ClusterChanges
    accounts_added: list[str]
    accounts_removed: list[str]
    expires_before: datetime | None
    expires_after: datetime | None


@dataclass(frozen=True)
class Sharing:
    """One arrangement on the dashboard."""

    pk: int
    recipient_name: str
    software_product_name: str
    clusters: list[DataCluster]
    accounts: list[str]
    granted_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    status: str
    stopped_at: datetime | None
    history: list[Amendment]

    @property
    def active(self) -> bool:
        return self.status == SharingStatus.ACTIVE

    @property
    def can_stop(self) -> bool:
        # A pending one is consent given too, and the customer may withdraw it as well.
        return self.status in (SharingStatus.ACTIVE, SharingStatus.PENDING)


def account_label(account: Account) -> str:
    """An account as the consent pages named it: its name and masked number, nothing more."""
    masked = masked_account_number(account.bsb, account.account_number)
    return f"{account.nickname or account.display_name} {masked}"


def sharing_status(arrangement: Arrangement, *, now: datetime) -> str:
    if arrangement.status == ArrangementStatus.REVOKED:
        return SharingStatus.REVOKED
    if arrangement.is_expired(now):
        return SharingStatus.EXPIRED
    if arrangement.status == ArrangementStatus.PENDING:
        return SharingStatus.PENDING
    return SharingStatus.ACTIVE


def _shown(customer: Customer) -> QuerySet[Arrangement]:
    awaiting_code = GrantContext.objects.filter(arrangement=OuterRef("pk"))
    return (
        Arrangement.objects.filter(customer=customer)
        .exclude(cdr_arrangement_id__startswith=SUPERSEDED_PREFIX)
        .exclude(Exists(awaiting_code))
        .select_related("software_product__recipient")
        .prefetch_related("accounts")
    )


def _organisation(customer: Customer) -> bool:
    return customer.customer_type == CustomerType.ORGANISATION


def _sharing(arrangement: Arrangement, *, organisation: bool, now: datetime,
             history: list[Amendment], granted_at: datetime) -> Sharing:
    product = arrangement.software_product
    accounts = sorted(arrangement.accounts.all(), key=lambda account: account.pk)
    return Sharing(
        pk=arrangement.pk,
        recipient_name=product.recipient.legal_entity_name,
        software_product_name=product.name,
        clusters=data_clusters(arrangement.scopes, organisation=organisation),
        accounts=[account_label(account) for account in accounts],
        granted_at=granted_at,
        expires_at=arrangement.sharing_expires_at,
        last_used_at=arrangement.last_used_at,
        status=sharing_status(arrangement, now=now),
        stopped_at=arrangement.revoked_at,
        history=history,
    )


def sharing_list_for_customer(*, customer: Customer) -> list[Sharing]:
    """Every arrangement of the customer, newest first, without amendment histories (the
    detail page has them)."""
    now, organisation = timezone.now(), _organisation(customer)
    return [
        _sharing(arrangement, organisation=organisation, now=now, history=[],
                 granted_at=arrangement.created_at)
        for arrangement in _shown(customer)
    ]


def sharing_get_for_customer(*, customer: Customer, pk: int) -> Sharing | None:
    """The customer's arrangement `pk` with its amendment history; None for anyone else's."""
    arrangement = _shown(customer).filter(pk=pk).first()
    if arrangement is None:
        return None
    versions = _versions(arrangement, customer=customer)
    organisation = _organisation(customer)
    history = [
        _amendment(before, after, organisation=organisation)
        for before, after in pairwise(versions)
    ]
    history.reverse()  # newest first, like the list
    return _sharing(arrangement, organisation=organisation, now=timezone.now(),
                    history=history, granted_at=versions[0].created_at)


def sharing_stoppable_get(*, customer: Customer, pk: int) -> Arrangement | None:
    """The customer's arrangement `pk` if it can still be stopped; None otherwise."""
    return (
        _shown(customer)
        .filter(pk=pk, status__in=[ArrangementStatus.ACTIVE, ArrangementStatus.PENDING])
        .first()
    )


def _versions(current: Arrangement, *, customer: Customer) -> list[Arrangement]:
    """The arrangement's versions, oldest first, ending with `current`."""
    chain = [current]
    seen = {current.pk}
    while len(chain) < _MAX_VERSIONS:
        event = (
            AuditEvent.objects.filter(event_type=ARRANGEMENT_AMENDED, subject_type="arrangement",
                                      subject_id=str(chain[0].pk))
            .order_by("-occurred_at", "-pk")
            .first()
        )
        replaced = event.detail.get("replaces") if event is not None else None
        if not isinstance(replaced, int) or replaced in seen:
            break
        # The customer's own rows only, even when following the trail.
        before = (Arrangement.objects.filter(pk=replaced, customer=customer)
                  .prefetch_related("accounts").first())
        if before is None:
            break
        chain.insert(0, before)
        seen.add(before.pk)
    return chain


def _amendment(before: Arrangement, after: Arrangement, *, organisation: bool) -> Amendment:
    old_accounts = {account.pk: account for account in before.accounts.all()}
    new_accounts = {account.pk: account for account in after.accounts.all()}
    return Amendment(
        amended_at=after.created_at,
        clusters=data_cluster_changes(tuple(sorted(before.scopes)), tuple(sorted(after.scopes)),
                                      organisation=organisation),
        accounts_added=[account_label(new_accounts[pk])
                        for pk in sorted(new_accounts.keys() - old_accounts.keys())],
        accounts_removed=[account_label(old_accounts[pk])
                          for pk in sorted(old_accounts.keys() - new_accounts.keys())],
        expires_before=before.sharing_expires_at,
        expires_after=after.sharing_expires_at,
    )
