"""Request bodies: size bounded before reading, strict JSON (bank/api/parsers.py)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import assert_cdr_error

BALANCES = "banking/accounts/balances"


def _ids_body(grant, bank) -> dict:
    return {"data": {"accountIds": [grant.account_id(bank.accounts("jane.citizen")[0])]}}


@pytest.mark.parametrize(("raw", "why"), [
    ('{"data": {"accountIds": ["a"]}, "data": {"accountIds": ["b"]}}', "duplicate member"),
    ('{"data": {"accountIds": ["a"], "accountIds": ["b"]}}', "duplicate nested member"),
    ('{"data": {"accountIds": ["a"]}, "meta": {"x": NaN}}', "NaN"),
    ('{"data": {"accountIds": ["a"]}, "meta": {"x": Infinity}}', "Infinity"),
    ('{"data": {"accountIds": ["a"]}, "meta": ' + "[" * 40 + "]" * 40 + "}", "deep nesting"),
    ('{"data": ', "truncated"),
])
def test_non_strict_json_is_refused(bank, grant, cdr, raw, why):
    response = cdr("post", BALANCES, grant("jane.citizen"), x_v="1", data=raw)
    assert_cdr_error(response, 400, "Field/Invalid", "The request body is not valid JSON.")


def test_a_body_that_is_not_utf8_is_refused(bank, grant, cdr):
    raw = '{"data": {"accountIds": ["\u00e9"]}}'.encode("latin-1")
    response = cdr("post", BALANCES, grant("jane.citizen"), x_v="1", data=raw)
    assert_cdr_error(response, 400, "Field/Invalid", "The request body is not valid JSON.")


def test_strict_json_still_accepts_a_valid_body(bank, grant, cdr):
    g = grant("jane.citizen")
    response = cdr("post", BALANCES, g, x_v="1", data=json.dumps(_ids_body(g, bank)))
    assert response.status_code == 200


def test_an_oversized_api_body_is_refused_unread(bank, grant, cdr, settings):
    g = grant("jane.citizen")
    body = _ids_body(g, bank)
    body["data"]["accountIds"] += ["x" * 90] * (settings.BANK_MAX_REQUEST_BYTES // 90)
    raw = json.dumps(body)
    assert len(raw) > settings.BANK_MAX_REQUEST_BYTES
    response = cdr("post", BALANCES, g, x_v="1", data=raw)
    assert_cdr_error(response, 413, "GeneralError/Expected",
                     f"The request body must be at most {settings.BANK_MAX_REQUEST_BYTES} bytes.")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/token", "/par", "/register"])
def test_an_oversized_oauth_body_is_refused_unread(settings, path):
    response = Client().post(path, data="a=" + "b" * settings.BANK_MAX_REQUEST_BYTES,
                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_garbled_content_length_is_refused():
    response = Client().post("/token", data="a=b", content_type="application/x-www-form-urlencoded",
                             CONTENT_LENGTH="-1")
    assert response.status_code == 413
