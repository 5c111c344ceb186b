"""Injection (OWASP API8:2023 and the checklist's row 12) against every parameter, live.

SQL: the classic payloads in every query parameter of the banking endpoints (the `text`
filter, min/max-amount, oldest/newest-time, product-category, open-status, page, page-size) and
in every path ID (account, transaction, payee, product). JSON: duplicate members, `__proto__`
and `constructor`, NaN/Infinity, numbers where strings go, SQL in the accountIds body. Headers:
CR/LF and other control bytes in x-fapi-interaction-id, x-v and x-fapi-customer-ip-address,
sent raw on the wire (requests refuses to). Logs: values with newlines and JSON of their own in
what the bank logs (the request line in the access log).

Expected: a CDS 400 error naming the field (Field/Invalid, Field/InvalidDateTime,
Header/Invalid, Header/InvalidVersion), a 404/422 for an ID that is not the caller's, or a
result that is empty or no larger than the honest query's; never a 500, never another
customer's or more rows, never a header echoed raw, and every log line stays one JSON object.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import time
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LiveBank
from tests.security.attacks.conftest import (
    Party,
    assert_no_internals,
    assert_no_leak,
    call,
    cdr_error,
    fapi_date,
)

SQL = [
    "' OR 1=1--",
    "' OR '1'='1",
    "1 OR 1=1",
    "1' UNION SELECT username, password FROM accounts_user--",
    "'; DROP TABLE transactions_transaction;--",
    "%' OR description LIKE '%",
    "\\'; SELECT pg_sleep(5);--",
    "1; WAITFOR DELAY '0:0:5'--",
    "' AND (SELECT 1 FROM (SELECT COUNT(*),CONCAT(0x7e,version())x)a)--",
    "\x00' OR 1=1",
]
_IDS = [f"sql{i}" for i in range(len(SQL))]


def _transactions(party: Party, account: str, **params: str) -> requests.Response:
    return call(party.recipient, f"banking/accounts/{account}/transactions", party.access_token,
                "2", params=params)


# Query parameters ----------------------------------------------------------------------
@pytest.mark.parametrize("payload", SQL, ids=_IDS)
def test_sql_in_the_text_filter_is_a_plain_search(victim: Party, attacker: Party,
                                                  payload: str) -> None:
    account = next(iter(victim.transaction_ids))
    everything = _transactions(victim, account, **{"page-size": "1000"}).json()
    started = time.monotonic()
    response = _transactions(victim, account, text=payload, **{"page-size": "1000"})
    assert time.monotonic() - started < 4, "a sleep payload ran"
    if response.status_code == 400:  # control bytes are refused as a bad value
        cdr_error(response, 400, "Field/Invalid")
        return
    assert response.status_code == 200, response.text[:300]
    rows = response.json()["data"]["transactions"]
    assert len(rows) <= len(everything["data"]["transactions"])
    assert rows == [], "an injection payload matched transactions"
    assert_no_leak(response, *attacker.all_ids())


#: (parameter, the CDS error for a malformed value) of Get Transactions.
TRANSACTION_PARAMS = {
    "min-amount": "Field/Invalid", "max-amount": "Field/Invalid",
    "oldest-time": "Field/InvalidDateTime", "newest-time": "Field/InvalidDateTime",
    "page": "Field/Invalid", "page-size": "Field/Invalid",
}


@pytest.mark.parametrize("payload", SQL, ids=_IDS)
@pytest.mark.parametrize("param", sorted(TRANSACTION_PARAMS))
def test_sql_in_typed_transaction_parameters_is_refused(victim: Party, param: str,
                                                        payload: str) -> None:
    account = next(iter(victim.transaction_ids))
    response = _transactions(victim, account, **{param: payload})
    error = cdr_error(response, 400, TRANSACTION_PARAMS[param])
    assert error["detail"] == param or param in error["detail"], error
    assert payload not in response.text


@pytest.mark.parametrize("payload", SQL, ids=_IDS)
@pytest.mark.parametrize("param", ["product-category", "open-status", "is-owned"])
def test_sql_in_account_list_filters_is_refused(victim: Party, param: str, payload: str) -> None:
    response = call(victim.recipient, "banking/accounts", victim.access_token, "3",
                    params={param: payload})
    error = cdr_error(response, 400, "Field/Invalid")
    assert param in error["detail"], error
    assert payload not in response.text


@pytest.mark.parametrize("payload", SQL, ids=_IDS)
@pytest.mark.parametrize("param", ["product-category", "effective", "brand", "updated-since"])
def test_sql_in_public_product_filters_is_refused_or_harmless(live_bank: LiveBank, param: str,
                                                              payload: str) -> None:
    url = f"{live_bank.url}/cds-au/v1/banking/products"
    honest = requests.get(url, headers={"x-v": "5"}, params={"page-size": "1000"},
                          verify=str(live_bank.ca), timeout=15).json()
    response = requests.get(url, headers={"x-v": "5"}, params={param: payload,
                                                               "page-size": "1000"},
                            verify=str(live_bank.ca), timeout=15)
    if response.status_code == 200:  # `brand` is free text: a search, never a query
        assert param == "brand"
        assert len(response.json()["data"]["products"]) <= len(honest["data"]["products"])
        assert response.json()["data"]["products"] == []
    else:
        code = "Field/InvalidDateTime" if param == "updated-since" else "Field/Invalid"
        assert param in cdr_error(response, 400, code)["detail"]


def test_the_honest_filters_work(victim: Party) -> None:
    """The same parameters with proper values are served (the refusals are not blanket)."""
    account = next(iter(victim.transaction_ids))
    response = _transactions(victim, account, **{"min-amount": "-100000.00",
                                                 "max-amount": "100000.00",
                                                 "oldest-time": "2020-01-01T00:00:00Z",
                                                 "page": "1", "page-size": "1000"})
    assert response.status_code == 200, response.text[:300]
    assert response.json()["data"]["transactions"]
    listed = call(victim.recipient, "banking/accounts", victim.access_token, "3",
                  params={"product-category": "TRANS_AND_SAVINGS_ACCOUNTS",
                          "open-status": "ALL"})
    assert listed.status_code == 200


# Path IDs ------------------------------------------------------------------------------------
PATH_TEMPLATES = {
    "account": ("banking/accounts/{id}", "5", 404,
                "urn:au-cds:error:cds-banking:Authorisation/InvalidBankingAccount"),
    "balance": ("banking/accounts/{id}/balance", "1", 404,
                "urn:au-cds:error:cds-banking:Authorisation/InvalidBankingAccount"),
    "transactions": ("banking/accounts/{id}/transactions", "2", 404,
                     "urn:au-cds:error:cds-banking:Authorisation/InvalidBankingAccount"),
    "payee": ("banking/payees/{id}", "2", 404, "Resource/Invalid"),
}


@pytest.mark.parametrize("payload", [*SQL, "../../admin", "%2e%2e%2f", "1 OR 1", "*"],
                         ids=[*_IDS, "traversal", "encoded traversal", "or", "star"])
@pytest.mark.parametrize("kind", sorted(PATH_TEMPLATES))
def test_sql_in_path_ids_finds_nothing(victim: Party, attacker: Party, kind: str,
                                       payload: str) -> None:
    template, x_v, status, code = PATH_TEMPLATES[kind]
    quoted = requests.utils.quote(payload, safe="")
    response = call(victim.recipient, template.format(id=quoted), victim.access_token, x_v)
    assert response.status_code in (status, 400), (response.status_code, response.text[:300])
    if response.status_code == 400:
        cdr_error(response, 400, "Field/Invalid")
    elif "/" in payload:  # decoded into more path segments: no such endpoint at all
        cdr_error(response, 404, "Resource/NotFound")
    else:
        cdr_error(response, status, code)
    assert_no_leak(response, *victim.all_ids(), *attacker.all_ids())


@pytest.mark.parametrize("payload", SQL, ids=_IDS)
def test_sql_in_a_transaction_id_finds_nothing(victim: Party, payload: str) -> None:
    account, _ = victim.some_transaction
    quoted = requests.utils.quote(payload, safe="")
    response = call(victim.recipient, f"banking/accounts/{account}/transactions/{quoted}",
                    victim.access_token, "3")
    cdr_error(response, 404, "Resource/Invalid")


@pytest.mark.parametrize("payload", SQL, ids=_IDS)
def test_sql_in_a_product_id_finds_nothing(live_bank: LiveBank, payload: str) -> None:
    quoted = requests.utils.quote(payload, safe="")
    response = requests.get(f"{live_bank.url}/cds-au/v1/banking/products/{quoted}",
                            headers={"x-v": "7"}, verify=str(live_bank.ca), timeout=15)
    assert response.status_code in (400, 404), response.status_code
    assert_no_internals(response)


# JSON bodies -----------------------------------------------------------------------------
def _balances(party: Party, raw: bytes) -> requests.Response:
    return call(party.recipient, "banking/accounts/balances", party.access_token, "1",
                method="POST", data=raw, headers={"Content-Type": "application/json"})


def _body(ids: Any, **extra: Any) -> bytes:
    return json.dumps({"data": {"accountIds": ids}, "meta": {}, **extra}).encode()


def test_the_honest_balances_body_is_served(victim: Party) -> None:
    response = _balances(victim, _body(victim.account_ids[:2]))
    assert response.status_code == 200
    assert len(response.json()["data"]["balances"]) == 2


@pytest.mark.parametrize(("label", "raw_of"), [
    ("duplicate accountIds", lambda v, a: (
        b'{"data": {"accountIds": ' + json.dumps(v).encode() + b', "accountIds": '
        + json.dumps(a).encode() + b'}, "meta": {}}')),
    ("duplicate data", lambda v, a: (
        b'{"data": {"accountIds": ' + json.dumps(v).encode() + b'}, "data": {"accountIds": '
        + json.dumps(a).encode() + b'}, "meta": {}}')),
    ("__proto__", lambda v, a: _body(v, __proto__={"isAdmin": True})),
    ("constructor.prototype", lambda v, a: _body(v, constructor={"prototype": {"x": 1}})),
    ("data.__proto__", lambda v, a: json.dumps(
        {"data": {"accountIds": v, "__proto__": {"accountIds": a}}, "meta": {}}).encode()),
    ("NaN", lambda v, a: b'{"data": {"accountIds": ' + json.dumps(v).encode()
     + b'}, "meta": {"n": NaN}}'),
    ("Infinity", lambda v, a: b'{"data": {"accountIds": ' + json.dumps(v).encode()
     + b'}, "meta": {"n": -Infinity}}'),
    ("a number for an ID", lambda v, a: _body([1])),
    ("an object for an ID", lambda v, a: _body([{"$ne": ""}])),
    ("a string for the list", lambda v, a: _body("' OR 1=1--")),
    ("not UTF-8", lambda v, a: b'{"data": {"accountIds": ["\xff\xfe"]}, "meta": {}}'),
    ("a BOM", lambda v, a: b"\xef\xbb\xbf" + _body(v)),
    ("trailing garbage", lambda v, a: _body(v) + b"; DROP TABLE x"),
])
def test_json_injection_is_refused(victim: Party, attacker: Party, label: str,
                                   raw_of: Any) -> None:
    response = _balances(victim, raw_of(victim.account_ids[:1], attacker.account_ids[:1]))
    error = cdr_error(response, 400, "Field/Invalid")
    assert "Traceback" not in error["detail"], label
    assert_no_leak(response, *attacker.all_ids())


@pytest.mark.parametrize("payload", SQL, ids=_IDS)
def test_sql_in_body_ids_finds_nothing(victim: Party, attacker: Party, payload: str) -> None:
    response = _balances(victim, _body([payload]))
    assert response.status_code in (400, 422), response.status_code
    if response.status_code == 422:
        cdr_error(response, 422,
                  "urn:au-cds:error:cds-banking:Authorisation/InvalidBankingAccount")
    else:
        cdr_error(response, 400, "Field/Invalid")
    assert_no_leak(response, *victim.all_ids(), *attacker.all_ids())


# Headers, on the wire ----------------------------------------------------------------------
def _raw(bank: LiveBank, party: Party, header_lines: bytes) -> bytes:
    host, port = bank.mtls_url.removeprefix("https://").split(":")
    context = ssl.create_default_context(cafile=str(bank.ca))
    context.load_cert_chain(*party.cert)
    request = (f"GET /cds-au/v1/banking/accounts HTTP/1.1\r\nHost: {host}:{port}\r\n"
               f"Authorization: Bearer {party.access_token}\r\n"
               f"x-fapi-auth-date: {fapi_date()}\r\nConnection: close\r\n").encode()
    request += header_lines + b"\r\n"
    answer = bytearray()
    with socket.create_connection((host, int(port)), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(request)
        try:
            while chunk := tls.recv(65536):
                answer.extend(chunk)
        except (TimeoutError, ssl.SSLError, ConnectionResetError):
            pass
    return bytes(answer)


_INJECTED = b"Set-Cookie: injected=1"


@pytest.mark.parametrize(("label", "lines"), [
    ("bare LF in the interaction id", b"x-v: 3\r\nx-fapi-interaction-id: a\nSet-Cookie: injected=1\r\n"),
    ("bare CR in the interaction id", b"x-v: 3\r\nx-fapi-interaction-id: a\rSet-Cookie: injected=1\r\n"),
    ("NUL in the interaction id", b"x-v: 3\r\nx-fapi-interaction-id: a\x00b\r\n"),
    ("bare LF in x-v", b"x-v: 3\nSet-Cookie: injected=1\r\n"),
    ("bare LF in the customer address",
     b"x-v: 3\r\nx-fapi-customer-ip-address: 1.2.3.4\nSet-Cookie: injected=1\r\n"),
    ("obs-fold continuation", b"x-v: 3\r\nx-fapi-interaction-id: a\r\n Set-Cookie: injected=1\r\n"),
])
def test_control_bytes_in_headers_are_refused_not_reflected(live_bank: LiveBank, victim: Party,
                                                            label: str, lines: bytes) -> None:
    answer = _raw(live_bank, victim, lines)
    head, _, body = answer.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    assert status.startswith((b"HTTP/1.1 400", b"HTTP/1.1 200")), (label, head[:200])
    assert _INJECTED not in head, f"{label}: a header was injected into the answer"
    assert b"injected" not in body
    if status.startswith(b"HTTP/1.1 200"):
        # Accepted only if the bank ignored the bad value: then its own interaction id is a
        # fresh UUID, never the caller's bytes.
        echoed = re.search(rb"(?im)^x-fapi-interaction-id:\s*(\S+)", head)
        assert echoed is not None
        uuid.UUID(echoed.group(1).decode())


@pytest.mark.parametrize(("header", "value", "code"), [
    ("x-fapi-interaction-id", "abc%0d%0aSet-Cookie:%20injected=1", "Header/Invalid"),
    ("x-fapi-interaction-id", "' OR 1=1--", "Header/Invalid"),
    ("x-fapi-interaction-id", "<script>alert(1)</script>", "Header/Invalid"),
    ("x-v", "3 OR 1=1", "Header/InvalidVersion"),
    ("x-v", "3%0d%0aSet-Cookie:%20injected=1", "Header/InvalidVersion"),
    ("x-min-v", "1; DROP TABLE x", "Header/InvalidVersion"),
    ("x-fapi-customer-ip-address", "1.2.3.4%0d%0aSet-Cookie:%20injected=1", "Header/Invalid"),
    ("x-fapi-customer-ip-address", "' OR 1=1--", "Header/Invalid"),
    ("x-fapi-auth-date", "Sat, 28 Nov 2026 10:00:00 GMT' OR 1=1--", "Header/Invalid"),
])
def test_header_values_are_validated_not_echoed(victim: Party, header: str, value: str,
                                                code: str) -> None:
    response = call(victim.recipient, "banking/accounts", victim.access_token,
                    "3" if header != "x-v" else None, headers={header: value})
    error = cdr_error(response, 400, code)
    assert error["detail"] in (header, f"{header}: {value}") or value not in error["detail"]
    assert value not in json.dumps(dict(response.headers))
    assert "injected" not in response.headers.get("Set-Cookie", "")
    honest = call(victim.recipient, "banking/accounts", victim.access_token, "3",
                  headers={"x-fapi-interaction-id": str(uuid.uuid4())})
    assert honest.status_code == 200


# Logs ----------------------------------------------------------------------------------------
def test_log_lines_stay_one_json_object(live_bank: LiveBank, victim: Party) -> None:
    """A value with its own newline and JSON in the request line: the access log writes the
    request line, and each of its lines must still be one JSON object of the bank's."""
    marker = uuid.uuid4().hex
    forged = '\n{"level":"CRITICAL","logger":"forged","message":"' + marker + '"}\n'
    requests.get(f"{live_bank.url}/cds-au/v1/banking/products", headers={"x-v": "5"},
                 params={"brand": forged}, verify=str(live_bank.ca), timeout=15)
    call(victim.recipient, "banking/accounts/" + requests.utils.quote(forged, safe=""),
         victim.access_token, "5")
    time.sleep(0.5)  # the access log is written after the answer
    lines = [line for line in (live_bank.workdir / "gunicorn.log").read_text().splitlines()
             if marker in line]
    assert lines, "the requests were not logged"
    for line in lines:
        record = json.loads(line)
        assert record["logger"] != "forged" and record["level"] != "CRITICAL", line
