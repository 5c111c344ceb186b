"""The words a customer reads about data sharing: one table, used by the consent pages and
(later) the customer's dashboard.

CDS Consumer Experience Standards, data language (banking and common): each scope is shown
as a data cluster name with its permission list, in the customer's type (individual or
organisation) and, where the standard merges clusters (basic + detailed), as the merged
cluster. Scope descriptions: cdr-spec/standards/_scopes.md.erb.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from security import scopes


@dataclass(frozen=True)
class DataCluster:
    """One row of what the customer is asked to share."""

    name: str
    permissions: tuple[str, ...]
    #: The scopes this cluster stands for (one, or two when the standard merges them).
    scopes: frozenset[str]


def _cluster(name: str, permissions: str, *scope_ids: str) -> DataCluster:
    return DataCluster(name, tuple(p.strip() for p in permissions.split(";")),
                       frozenset(scope_ids))


_ACCOUNT_NAME = "Name of account; Type of account; Account balance"
_ACCOUNT_DETAIL = ("Account number; Interest rates; Fees; Discounts; Account terms; "
                   "Account mail address")
_ORG = ("Agent name and role; Organisation name; Organisation numbers (ABN or ACN); "
        "Charity status; Establishment date; Industry; Organisation type; "
        "Country of registration")
_ORG_CONTACT = "Organisation address; Mail address; Phone number"

#: Clusters that apply whatever the customer type, most specific (merged) first.
_BANKING = (
    _cluster("Account balance and details", f"{_ACCOUNT_NAME}; {_ACCOUNT_DETAIL}",
             scopes.BANK_ACCOUNTS_BASIC_READ, scopes.BANK_ACCOUNTS_DETAIL_READ),
    _cluster("Account name, type and balance", _ACCOUNT_NAME, scopes.BANK_ACCOUNTS_BASIC_READ),
    _cluster("Account numbers and features", _ACCOUNT_DETAIL, scopes.BANK_ACCOUNTS_DETAIL_READ),
    _cluster("Transaction details",
             "Incoming and outgoing transactions; Amounts; Dates; Descriptions of transactions; "
             "Who you have sent money to and received money from (e.g. their name)",
             scopes.BANK_TRANSACTIONS_READ),
    _cluster("Direct debits and scheduled payments", "Direct debits; Scheduled payments",
             scopes.BANK_REGULAR_PAYMENTS_READ),
    _cluster("Saved payees",
             "Names and details of accounts you have saved (e.g. their BSB and account "
             "number, BPAY CRN and biller code, or NPP PayID)",
             scopes.BANK_PAYEES_READ),
)
_INDIVIDUAL = (
    _cluster("Name, occupation, contact details",
             "Name; Occupation; Phone; Email address; Mail address; Residential address",
             scopes.COMMON_CUSTOMER_BASIC_READ, scopes.COMMON_CUSTOMER_DETAIL_READ),
    _cluster("Name and occupation", "Name; Occupation", scopes.COMMON_CUSTOMER_BASIC_READ),
    _cluster("Contact details", "Phone; Email address; Mail address; Residential address",
             scopes.COMMON_CUSTOMER_DETAIL_READ),
)
_ORGANISATION = (
    _cluster("Organisation profile and contact details", f"{_ORG}; {_ORG_CONTACT}",
             scopes.COMMON_CUSTOMER_BASIC_READ, scopes.COMMON_CUSTOMER_DETAIL_READ),
    _cluster("Organisation profile", _ORG, scopes.COMMON_CUSTOMER_BASIC_READ),
    _cluster("Organisation contact details", _ORG_CONTACT, scopes.COMMON_CUSTOMER_DETAIL_READ),
)
#: OIDC `profile` (CX data language: Profile scope): the authenticated user's name.
_PROFILE = _cluster("Name", "Full name and title(s)", "profile")

#: Scopes the customer is never asked about (protocol, not data).
_NOT_DATA = frozenset({"openid"})


def data_clusters(
    requested: tuple[str, ...] | frozenset[str] | set[str], *, organisation: bool
) -> list[DataCluster]:
    """The clusters to show for these scopes, in the standard's order; each scope appears in
    exactly one cluster (merged clusters win). Unknown scopes raise: a page must never leave
    out something it was asked to share."""
    remaining = set(requested) - _NOT_DATA
    customer = _ORGANISATION if organisation else _INDIVIDUAL
    shown: list[DataCluster] = []
    for cluster in (*_BANKING, *customer):
        if cluster.scopes <= remaining:
            shown.append(cluster)
            remaining -= cluster.scopes
    if "profile" in remaining:
        remaining.discard("profile")
        # The customer clusters above already name the person; show Name only without them.
        if not any(scopes.COMMON_CUSTOMER_BASIC_READ in c.scopes for c in shown):
            shown.append(_PROFILE)
    if remaining:
        raise ValueError(f"No data language for scopes {sorted(remaining)}")
    return shown


@dataclass(frozen=True)
class ClusterChanges:
    """An amendment in the customer's words: what stays, what is added, what stops."""

    kept: list[DataCluster]
    added: list[DataCluster]
    removed: list[DataCluster]


def data_cluster_changes(
    current: tuple[str, ...], requested: tuple[str, ...], *, organisation: bool
) -> ClusterChanges:
    """Compared scope by scope, then put into words: adding detailed account data to basic
    shows as "Account numbers and features" added, not as one cluster swapped for another."""
    before, after = set(current) - _NOT_DATA, set(requested) - _NOT_DATA
    return ClusterChanges(
        kept=data_clusters(before & after, organisation=organisation),
        added=data_clusters(after - before, organisation=organisation),
        removed=data_clusters(before - after, organisation=organisation),
    )


def sharing_period(seconds: int, *, now: datetime) -> str:
    """The sharing duration in plain words."""
    if seconds == 0:
        return ("Once only: the app can collect your data one time, now. It will not have "
                "ongoing access.")
    # The customer's calendar (TIME_ZONE, Australia/Sydney), like every date on the pages.
    end = timezone.localtime(now + timedelta(seconds=seconds))
    return f"Until {end:%-d %B %Y} ({_duration(seconds)})"


def _duration(seconds: int) -> str:
    days = seconds // 86_400
    if days >= 365:
        return "12 months"
    if days >= 60:
        return f"{days // 30} months"
    if days >= 2:
        return f"{days} days"
    hours = max(1, seconds // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"
