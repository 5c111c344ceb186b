"""Get Transactions `text` filter (transactions/selectors.py): a case-insensitive substring of
the description or the reference, both encrypted, so the candidate rows are decrypted in
Python; a row that does not decrypt fails the request, and a search over more candidate rows
than TEXT_SEARCH_MAX_ROWS is refused with 400 Field/Invalid before anything is decrypted."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.utils import timezone

from security.encryption import keyring
from security.resource_ids import ResourceKind
from tests.cdr_schema import assert_cdr_response
from tests.conftest import assert_cdr_error
from transactions import selectors
from transactions.models import Transaction

# Far enough back that the seeded history (recent) never falls in a test's window.
DAYS_AGO = 1500


def _url(g, account):
    return f"banking/accounts/{g.account_id(account)}/transactions"


def _everyday(bank):
    return bank.account("jane.citizen", "Everyday Account")


def _at(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


def _txn(account, days, *, amount="-10.00", description="TEST", reference=""):
    when = _at(days)
    return Transaction.objects.create(
        account=account, amount=Decimal(amount), status="POSTED",
        type="PAYMENT" if Decimal(amount) < 0 else "TRANSFER_INCOMING",
        description=description, reference=reference, execution_date_time=when,
        posting_date_time=when)


def _span(oldest_days=DAYS_AGO + 30, newest_days=DAYS_AGO - 1):
    return {"oldest-time": _at(oldest_days).isoformat(),
            "newest-time": _at(newest_days).isoformat()}


def _search(cdr, g, account, version=2, **query):
    response = cdr("get", _url(g, account), g, x_v=str(version), query={**_span(), **query})
    return assert_cdr_response(response, "listBankingTransactions", version=version)


def _ids(body):
    return [row["transactionId"] for row in body["data"]["transactions"]]


def _raw(pk, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM transactions_transaction WHERE id = %s",  # noqa: S608
                       [pk])
        return str(cursor.fetchone()[0])


def _write_raw(pk, column, value):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE transactions_transaction SET {column} = %s WHERE id = %s",  # noqa: S608
                       [value, pk])


def _tampered(sealed):
    """One base64 character changed mid-body (near the end, it could fall in padding bits)."""
    i = len(sealed) // 2 + 10
    return sealed[:i] + ("A" if sealed[i] != "A" else "B") + sealed[i + 1:]


@pytest.fixture
def opened(monkeypatch):
    """The associated data of every value the text filter's scan decrypts, in order."""
    seen: list[bytes] = []
    real = keyring.sealed_opener

    def spying_opener():
        open_one = real()

        def open_and_note(ciphertext, context):
            seen.append(context)
            return open_one(ciphertext, context)

        return open_and_note

    monkeypatch.setattr(keyring, "sealed_opener", spying_opener)
    return seen


# Matching ---------------------------------------------------------------------------------
def test_text_matches_the_description_or_the_reference_in_any_case(bank, grant, cdr):
    account = _everyday(bank)
    cafe = _txn(account, DAYS_AGO, description="Corner Cafe Newtown")
    salary = _txn(account, DAYS_AGO + 1, amount="2500.00", description="Salary",
                  reference="ACME PAYROLL 42")
    rent = _txn(account, DAYS_AGO + 2, amount="-600.00", description="Rent",
                reference="Flat 3 rent")
    groceries = _txn(account, DAYS_AGO + 3, description="Groceries", reference="RRN0001")
    g = grant("jane.citizen", accounts=[account])
    tid = {t.pk: g.id_for(ResourceKind.TRANSACTION, t.pk) for t in (cafe, salary, rent, groceries)}

    def found(text, version=2):
        body = _search(cdr, g, account, version=version, text=text)
        assert body["meta"] == {"totalRecords": len(body["data"]["transactions"]),
                                "totalPages": 1 if body["data"]["transactions"] else 0}
        return _ids(body)

    assert found("cafe") == found("CAFE") == found("cAfE nEWTOWN") == [tid[cafe.pk]]
    assert found("payroll") == found("Acme Payroll 42") == [tid[salary.pk]]
    assert found("RENT") == [tid[rent.pk]], "a row matching in both columns is listed once"
    assert found("rrn0001") == [tid[groceries.pk]]
    assert found("r") == [tid[t.pk] for t in (cafe, salary, rent, groceries)], "newest first"
    assert found("payroll", version=1) == [tid[salary.pk]]


def test_text_without_a_match_answers_an_empty_list(bank, grant, cdr):
    account = _everyday(bank)
    _txn(account, DAYS_AGO, description="Corner Cafe Newtown", reference="RRN0002")
    g = grant("jane.citizen", accounts=[account])
    body = _search(cdr, g, account, text="messina")
    assert body["data"] == {"transactions": []}
    assert body["meta"] == {"totalRecords": 0, "totalPages": 0}
    assert set(body["links"]) == {"self"}


def test_text_combines_with_the_amount_filters_and_pages(bank, grant, cdr):
    account = _everyday(bank)
    taxis = [_txn(account, DAYS_AGO + n, amount=f"-{5 * (n + 1)}.00", description=f"TAXI {n}",
                  reference="")
             for n in range(8)]  # -5.00 (newest) ... -40.00
    for n in range(4):  # in the amount range, not matching
        _txn(account, DAYS_AGO + n + 0.5, amount="-20.00", description="COFFEE",
             reference=f"RRN{n:04d}")
    g = grant("jane.citizen", accounts=[account])
    expected = [g.id_for(ResourceKind.TRANSACTION, t.pk) for t in taxis
                if Decimal("-30.00") <= t.amount <= Decimal("-10.00")]
    assert len(expected) == 5
    query = {"text": "taxi", "min-amount": "-30.00", "max-amount": "-10.00", "page-size": "2"}
    seen = []
    for page in (1, 2, 3):
        body = _search(cdr, g, account, **query, page=str(page))
        assert body["meta"] == {"totalRecords": 5, "totalPages": 3}
        assert ("next" in body["links"]) == (page < 3)
        assert ("prev" in body["links"]) == (page > 1)
        seen += _ids(body)
    assert seen == expected
    response = cdr("get", _url(g, account), g, x_v="2",
                   query={**_span(), **query, "page": "4"})
    assert_cdr_error(response, 422, "Field/InvalidPage", "3")


def test_text_pages_through_more_matches_than_a_short_in_list(bank, grant, cdr):
    """Over 1,000 matches the keys go to the database as one parameter (selectors._keys)."""
    account = _everyday(bank)
    when = _at(DAYS_AGO)
    parking = [Transaction(account=account, amount=Decimal("-1.00"), status="POSTED",
                           type="PAYMENT", description=f"PARKING METER {n}", reference="",
                           execution_date_time=when - timedelta(minutes=n),
                           posting_date_time=when - timedelta(minutes=n))
               for n in range(1050)]  # newest first
    bakery = [Transaction(account=account, amount=Decimal("-2.00"), status="POSTED",
                          type="PAYMENT", description="BAKERY", reference="RRN0003",
                          execution_date_time=when - timedelta(minutes=n, seconds=30),
                          posting_date_time=when - timedelta(minutes=n, seconds=30))
              for n in range(20)]
    Transaction.objects.bulk_create(parking + bakery)
    g = grant("jane.citizen", accounts=[account])
    expected = [g.id_for(ResourceKind.TRANSACTION, t.pk) for t in parking]
    first = _search(cdr, g, account, text="parking meter", **{"page-size": "1000"})
    second = _search(cdr, g, account, text="parking meter", page="2", **{"page-size": "1000"})
    assert first["meta"] == second["meta"] == {"totalRecords": 1050, "totalPages": 2}
    assert _ids(first) + _ids(second) == expected


# What is decrypted ----------------------------------------------------------------------
def test_text_decrypts_a_reference_only_where_the_description_does_not_match(
        bank, grant, cdr, opened):
    account = _everyday(bank)
    pharmacy = _txn(account, DAYS_AGO, description="Pharmacy", reference="RX-1")
    hardware = _txn(account, DAYS_AGO + 1, description="Hardware", reference="pharmacy card")
    cinema = _txn(account, DAYS_AGO + 2, description="Cinema", reference="")
    g = grant("jane.citizen", accounts=[account])
    built: list[str] = []

    def note(sender, instance, **kwargs):
        built.append(type(instance).__name__)

    post_init.connect(note, sender=Transaction)
    try:
        body = _search(cdr, g, account, text="pharmacy")
    finally:
        post_init.disconnect(note, sender=Transaction)
    assert _ids(body) == [g.id_for(ResourceKind.TRANSACTION, t.pk) for t in (pharmacy, hardware)]
    description = Transaction._meta.get_field("description")
    reference = Transaction._meta.get_field("reference")
    assert sorted(opened) == sorted([
        description.context_for(pharmacy.row_key),  # matched: its reference stays sealed
        description.context_for(hardware.row_key), reference.context_for(hardware.row_key),
        description.context_for(cinema.row_key),  # an empty reference is not a ciphertext
    ])
    assert built == ["Transaction", "Transaction"], "model instances for the page rows only"


# Rows that do not decrypt -----------------------------------------------------------------
@pytest.mark.parametrize("damage", ["tampered description", "tampered reference",
                                    "description moved from another row"])
def test_text_fails_the_request_when_a_candidate_row_does_not_decrypt(
        bank, grant, cdr, caplog, damage):
    account = _everyday(bank)
    parking = _txn(account, DAYS_AGO, description="Parking meter", reference="PM-1")
    bakery = _txn(account, DAYS_AGO + 1, description="Bakery", reference="B-2")
    if damage == "tampered description":
        _write_raw(bakery.pk, "description", _tampered(_raw(bakery.pk, "description")))
    elif damage == "tampered reference":
        _write_raw(bakery.pk, "reference", _tampered(_raw(bakery.pk, "reference")))
    else:  # a valid ciphertext, but of another row: its associated data does not fit here
        _write_raw(bakery.pk, "description", _raw(parking.pk, "description"))
    g = grant("jane.citizen", accounts=[account])
    caplog.set_level(logging.INFO, logger="bank.audit")
    response = cdr("get", _url(g, account), g, x_v="2", query={**_span(), "text": "parking"})
    # Never the answer without the row that failed (here it would even look right).
    assert_cdr_error(response, 500, "GeneralError/Unexpected")
    assert_cdr_response(response, "listBankingTransactions")
    assert "parking" not in response.content.decode().lower()
    messages = [r.getMessage() for r in caplog.records]
    assert "audit DECRYPTION_FAILED failure" in messages
    assert "Unhandled DecryptionFailed while serving a CDR request" in messages


def test_text_decrypts_candidate_rows_only(bank, grant, cdr):
    """A damaged row outside the window or the amount range is not read by the search."""
    account = _everyday(bank)
    _txn(account, DAYS_AGO, amount="-10.00", description="Parking meter")
    outside_window = _txn(account, DAYS_AGO + 60, description="Bakery")
    outside_amounts = _txn(account, DAYS_AGO + 1, amount="-999.00", description="Bakery")
    for row in (outside_window, outside_amounts):
        _write_raw(row.pk, "description", _tampered(_raw(row.pk, "description")))
    g = grant("jane.citizen", accounts=[account])
    body = _search(cdr, g, account, text="parking", **{"min-amount": "-100.00"})
    assert body["meta"]["totalRecords"] == 1


# The limit on candidate rows ----------------------------------------------------------------
def test_text_over_more_rows_than_a_search_may_decrypt_is_refused(
        bank, grant, cdr, monkeypatch, opened):
    monkeypatch.setattr(selectors, "TEXT_SEARCH_MAX_ROWS", 3)
    account = _everyday(bank)
    fares = [_txn(account, DAYS_AGO + n, amount=f"-{n + 1}.00", description=f"Bus fare {n}")
             for n in range(4)]  # newest first
    g = grant("jane.citizen", accounts=[account])
    tid = [g.id_for(ResourceKind.TRANSACTION, t.pk) for t in fares]
    response = cdr("get", _url(g, account), g, x_v="2", query={**_span(), "text": "bus"})
    assert_cdr_error(response, 400, "Field/Invalid",
                     "text searches at most 3 transactions at a time: narrow oldest-time and "
                     "newest-time")
    assert_cdr_response(response, "listBankingTransactions")
    assert opened == [], "refused before any decryption"
    # At the limit: a narrower window, or amounts that leave out a row.
    narrower = _span(oldest_days=DAYS_AGO + 2.5)
    body = assert_cdr_response(
        cdr("get", _url(g, account), g, x_v="2", query={**narrower, "text": "bus"}),
        "listBankingTransactions")
    assert _ids(body) == tid[:3]
    assert _ids(_search(cdr, g, account, text="bus", **{"max-amount": "-2.00"})) == tid[1:]
    # Without text nothing is decrypted, and nothing is limited.
    assert _ids(_search(cdr, g, account)) == tid
