"""The data language table: every data scope has the standard's words, merged clusters win,
organisations get organisation words, and nothing asked for is ever left off the page."""

from datetime import UTC, datetime

import pytest

from security import scopes
from security.consent.language import data_cluster_changes, data_clusters, sharing_period

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def _names(requested, organisation=False):
    return [c.name for c in data_clusters(requested, organisation=organisation)]


@pytest.mark.parametrize("organisation", [False, True])
def test_every_cdr_data_scope_has_words_and_appears_once(organisation):
    for scope in sorted(scopes.CDR_DATA_SCOPES):
        (cluster,) = data_clusters({"openid", scope}, organisation=organisation)
        assert cluster.scopes == {scope} and cluster.permissions
    everything = data_clusters(scopes.CDR_DATA_SCOPES | {"openid", "profile"},
                               organisation=organisation)
    covered = [s for c in everything for s in c.scopes]
    assert sorted(covered) == sorted(scopes.CDR_DATA_SCOPES)


def test_basic_and_detail_merge_into_the_standards_combined_clusters():
    assert _names({scopes.BANK_ACCOUNTS_BASIC_READ, scopes.BANK_ACCOUNTS_DETAIL_READ}) == [
        "Account balance and details"]
    assert _names({scopes.COMMON_CUSTOMER_BASIC_READ, scopes.COMMON_CUSTOMER_DETAIL_READ}) == [
        "Name, occupation, contact details"]
    assert _names({scopes.COMMON_CUSTOMER_BASIC_READ, scopes.COMMON_CUSTOMER_DETAIL_READ},
                  organisation=True) == ["Organisation profile and contact details"]


def test_cluster_wording_is_the_standards():
    (cluster,) = data_clusters({scopes.BANK_ACCOUNTS_BASIC_READ}, organisation=False)
    assert cluster.name == "Account name, type and balance"
    assert cluster.permissions == ("Name of account", "Type of account", "Account balance")
    (org,) = data_clusters({scopes.COMMON_CUSTOMER_BASIC_READ}, organisation=True)
    assert org.name == "Organisation profile"
    assert "Organisation numbers (ABN or ACN)" in org.permissions


def test_profile_shows_as_name_unless_customer_data_already_names_the_person():
    assert _names({"openid", "profile"}) == ["Name"]
    assert _names({"openid", "profile", scopes.COMMON_CUSTOMER_BASIC_READ}) == [
        "Name and occupation"]


def test_an_unknown_scope_is_an_error_not_a_silent_omission():
    with pytest.raises(ValueError, match="energy:billing:read"):
        data_clusters({"energy:billing:read"}, organisation=False)


def test_changes_are_worded_scope_by_scope():
    changes = data_cluster_changes(
        (scopes.BANK_ACCOUNTS_BASIC_READ, scopes.BANK_TRANSACTIONS_READ),
        (scopes.BANK_ACCOUNTS_BASIC_READ, scopes.BANK_ACCOUNTS_DETAIL_READ),
        organisation=False)
    assert [c.name for c in changes.kept] == ["Account name, type and balance"]
    assert [c.name for c in changes.added] == ["Account numbers and features"]
    assert [c.name for c in changes.removed] == ["Transaction details"]


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "Once only"),
    (3600, "Until 28 November 2026 (1 hour)"),
    (86_400 * 7, "Until 5 December 2026 (7 days)"),
    (86_400 * 90, "Until 26 February 2027 (3 months)"),
    (31_536_000, "Until 28 November 2027 (12 months)"),
])
def test_sharing_period_in_plain_words(seconds, words):
    assert sharing_period(seconds, now=NOW).startswith(words)


def test_sharing_period_ends_on_the_customers_calendar_day():
    # 20:00 UTC on 28 November is 07:00 on 29 November in Sydney (TIME_ZONE).
    evening_utc = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    assert sharing_period(3600, now=evening_utc).startswith("Until 29 November 2026")
