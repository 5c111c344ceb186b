"""The conformance helper itself: it must reject what the standard rejects."""

import pytest

from tests.cdr_schema import validate_body

GOOD_STATUS = {"data": {"status": "OK", "updateTime": "2026-01-01T00:00:00Z"},
               "links": {"self": "https://bank.example/cds-au/v1/discovery/status"}, "meta": {}}


def test_a_valid_body_has_no_problems():
    assert validate_body(GOOD_STATUS, "getStatus", 200) == []


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda b: b["data"].pop("updateTime"), "updateTime"),
        (lambda b: b["data"].update(status="FINE"), "FINE"),
        (lambda b: b["data"].update(updateTime="2026-01-01 00:00"), "DateTimeString"),
        (lambda b: b["data"].update(updateTime="2026-01-01T00:00:00"), "DateTimeString"),
        (lambda b: b["data"].update(statusCode="OK"), "not declared"),
        (lambda b: b.pop("links"), "links"),
    ],
)
def test_invalid_bodies_are_reported(mutate, problem):
    body = {"data": dict(GOOD_STATUS["data"]), "links": dict(GOOD_STATUS["links"]), "meta": {}}
    mutate(body)
    problems = validate_body(body, "getStatus", 200)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize("number", ["062000 12345678", "123456789012", "xxx-xxx 1234 5678"])
def test_unmasked_account_numbers_fail(number):
    body = {"data": {"accounts": [{"accountId": "a", "displayName": "d", "maskedNumber": number,
                                   "productCategory": "TERM_DEPOSITS", "productName": "p",
                                   "accountOwnership": "ONE_PARTY"}]},
            "links": {"self": "https://x/"}, "meta": {"totalRecords": 1, "totalPages": 1}}
    assert any("MaskedAccountString" in p for p in validate_body(body, "listBankingAccounts", 200))


def test_masked_account_number_passes():
    body = {"data": {"accounts": [{"accountId": "a", "displayName": "d", "maskedNumber": "xxx-xxx xxxx5678",
                                   "productCategory": "TERM_DEPOSITS", "productName": "p",
                                   "accountOwnership": "ONE_PARTY"}]},
            "links": {"self": "https://x/"}, "meta": {"totalRecords": 1, "totalPages": 1}}
    assert validate_body(body, "listBankingAccounts", 200) == []


def test_negative_natural_number_and_amount_format_fail():
    body = {"data": {"products": []}, "links": {"self": "https://x/"}, "meta": {"totalRecords": -1, "totalPages": 0}}
    assert any("NaturalNumber" in p for p in validate_body(body, "listBankingProducts", 200))


@pytest.mark.parametrize(
    "error",
    [
        {"code": "urn:au-cds:error:cds-all:Field/Invalid", "title": "Wrong Title", "detail": "x"},
        {"code": "MY-OWN-CODE", "title": "Mine", "detail": "x"},
    ],
)
def test_error_titles_and_codes_are_checked(error):
    assert validate_body({"errors": [error]}, "getStatus", 400)


def test_application_code_with_standard_urn_passes():
    error = {"code": "BANK-17", "title": "Mine", "detail": "x",
             "meta": {"urn": "urn:au-cds:error:cds-all:GeneralError/Expected"}}
    assert validate_body({"errors": [error]}, "getStatus", 400) == []
