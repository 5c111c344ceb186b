"""ID permanence (standards/_ids.md): stable, per software product, per customer, opaque."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from security.resource_ids import ResourceKind
from tests.conftest import assert_cdr_error

INVALID_ACCOUNT = "urn:au-cds:error:cds-banking:Authorisation/InvalidBankingAccount"


def _account_ids(cdr, g):
    body = cdr("get", "banking/accounts", g, x_v="3").json()
    return {a["displayName"]: a["accountId"] for a in body["data"]["accounts"]}


def test_same_account_differs_between_software_products(bank, grant, cdr, make_product):
    household = bank.account("jane.citizen", "Citizen Household")
    first = grant("jane.citizen", accounts=[household])
    second = grant("jane.citizen", accounts=[household], software_product=make_product("Other App"))
    a, b = _account_ids(cdr, first)["Citizen Household"], _account_ids(cdr, second)["Citizen Household"]
    assert a != b
    # Each product's ID works only for that product.
    assert cdr("get", f"banking/accounts/{a}/balance", first, x_v="1").status_code == 200
    assert_cdr_error(cdr("get", f"banking/accounts/{a}/balance", second, x_v="1"), 404, INVALID_ACCOUNT, a)


def test_joint_account_has_a_different_id_for_each_owner(bank, grant, cdr):
    household = bank.account("jane.citizen", "Citizen Household")
    jane = grant("jane.citizen", accounts=[household])
    john = grant("john.citizen", accounts=[household])
    jane_id = _account_ids(cdr, jane)["Citizen Household"]
    john_id = _account_ids(cdr, john)["Citizen Household"]
    assert jane_id != john_id
    assert_cdr_error(cdr("get", f"banking/accounts/{jane_id}/balance", john, x_v="1"), 404, INVALID_ACCOUNT)
    # Same for the transactions on it.
    jane_txn = cdr("get", f"banking/accounts/{jane_id}/transactions", jane, x_v="2").json()
    john_txn = cdr("get", f"banking/accounts/{john_id}/transactions", john, x_v="2").json()
    jane_tids = [t["transactionId"] for t in jane_txn["data"]["transactions"]]
    john_tids = [t["transactionId"] for t in john_txn["data"]["transactions"]]
    assert len(jane_tids) == len(john_tids) > 0
    assert not set(jane_tids) & set(john_tids)


def test_ids_are_stable_across_arrangements_and_tokens(bank, grant, cdr, product):
    accounts = bank.accounts("jane.citizen")
    first = grant("jane.citizen", accounts=accounts)
    again = grant("jane.citizen", arrangement=first.arrangement)   # a new token, same consent
    reconsent = grant("jane.citizen", accounts=accounts)            # a new arrangement
    assert first.arrangement.pk != reconsent.arrangement.pk
    assert first.arrangement.cdr_arrangement_id != reconsent.arrangement.cdr_arrangement_id
    assert _account_ids(cdr, first) == _account_ids(cdr, again) == _account_ids(cdr, reconsent)


def test_ids_are_opaque(bank, grant, cdr):
    g = grant("jane.citizen")
    public_ids = _account_ids(cdr, g)
    by_name = {a.display_name: a for a in bank.accounts("jane.citizen")}
    for name, public in public_ids.items():
        assert len(public) == 32 and public.isascii() and not public.isdigit()
        raw = base64.urlsafe_b64decode(public + "==")
        # The row key appears nowhere in the ID, in either byte order.
        pk = by_name[name].pk
        for needle in (pk.to_bytes(8, "big"), pk.to_bytes(8, "little")):
            assert needle not in raw
    # Consecutive rows do not give related IDs.
    a, b = sorted(bank.accounts("jane.citizen"), key=lambda x: x.pk)[:2]
    ia, ib = g.account_id(a), g.account_id(b)
    assert sum(x == y for x, y in zip(ia, ib, strict=True)) < 8


def test_unreachable_ids_take_the_same_queries_and_answer(bank, grant, cdr):
    """Forged, other customer's, unshared and deleted IDs: one code path, one query shape."""
    everyday = bank.account("jane.citizen", "Everyday Account")
    saver = bank.account("jane.citizen", "Bonus Saver")
    g = grant("jane.citizen", accounts=[everyday])
    candidates = {
        "unshared": g.account_id(saver),
        "nonexistent": g.ids.encode(ResourceKind.ACCOUNT, 987_654_321),
        "forged": "B" * 32,
    }
    shapes = {}
    for name, account_id in candidates.items():
        with CaptureQueriesContext(connection) as queries:
            response = cdr("get", f"banking/accounts/{account_id}", g, x_v="5")
        assert_cdr_error(response, 404, INVALID_ACCOUNT, account_id)
        account_queries = [q["sql"] for q in queries.captured_queries if "accounts_account" in q["sql"]]
        shapes[name] = [_shape(sql) for sql in account_queries]
    assert shapes["unshared"] == shapes["nonexistent"] == shapes["forged"]


def _shape(sql: str) -> str:
    import re

    return re.sub(r"\b\d+\b", "N", sql)


@pytest.mark.parametrize("kind", [ResourceKind.PAYEE, ResourceKind.TRANSACTION])
def test_an_id_of_one_kind_is_not_an_id_of_another(bank, grant, cdr, kind):
    everyday = bank.account("jane.citizen", "Everyday Account")
    g = grant("jane.citizen", accounts=[everyday])
    confused = g.ids.encode(kind, everyday.pk)
    assert_cdr_error(cdr("get", f"banking/accounts/{confused}", g, x_v="5"), 404, INVALID_ACCOUNT, confused)
