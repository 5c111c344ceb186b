"""Schemathesis against the live bank, over TLS and mTLS with a certificate-bound token that
carries every banking and common scope: the bank's own OpenAPI document and the official CDS
1.36.0 banking and common files, each as published (`raw`) and with valid request headers
and real IDs (`deep`, tests/fuzz/documents.py).

Every response, whatever was sent:
- is not a 5xx (`not_a_server_error`);
- has a status the operation documents (`status_code_conformance`; for the official files,
  plus the statuses the standard allows on every endpoint, which its per-operation lists
  leave out), a documented content type and documented response headers;
- has a body valid for the document (`response_schema_conformance`) and for the official
  schema of the version the bank says it served, with no undeclared field and every CDS type
  in its format (`cdr_body_conformance`, tests/cdr_schema.py);
- carries the bank's security headers and an `x-fapi-interaction-id` (`security_headers`).

Each operation is fuzzed in schemathesis's positive mode (valid requests) and negative mode
(requests the schema forbids: they must be refused with a documented 4xx, never a 5xx). A
positive deep run must also reach the view: at least one success per operation, so that a
broken narrowing cannot pass by answering 400 to everything.

Bounded: `BANK_FUZZ_EXAMPLES` examples per operation and mode (default 8: about three minutes
with the bank's start), Hypothesis derandomized so that a CI failure reproduces; raise it
locally to go deeper (`BANK_FUZZ_EXAMPLES=200 make fuzz`). No per-example Hypothesis deadline:
the time is the network's and the bank's, bounded by each request's 30 s timeout; a
deadline would only make the run flaky on a loaded machine. Marked `fuzz` and left out of
`make test` (pyproject addopts): it runs minutes, not seconds, so it is its own CI step,
`make fuzz`.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, CheckContext, Response
from schemathesis.checks import not_a_server_error
from schemathesis.openapi.checks import UndefinedStatusCode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from security.headers import API_CSP, FIXED
from tests.cdr_schema import _operations as official_operations
from tests.cdr_schema import validate_body
from tests.e2e.conftest import LiveBank
from tests.fuzz import documents
from tests.fuzz.conftest import Credentials

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("BANK_FUZZ_EXAMPLES", "8"))
#: Every endpoint may answer these, whatever its own list says (CDS "HTTP Response Codes":
#: 401/403 on authorisation, 405/406/415 on the request's form, 429 on traffic thresholds).
GENERIC_STATUSES = {401, 403, 405, 406, 415, 429}
CONFIG = schemathesis.Config.from_dict({
    "seed": 20261109,
    "generation": {"mode": "all"},
})


def _fuzz_settings(func: Any) -> Any:
    return settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True)(func)


# The schemas (fixtures, because the bank's URLs exist only once it runs) -----------------
def _ids(bank: LiveBank, credentials: Credentials) -> dict[str, list[str]]:
    """IDs this token may see (accounts, transactions, payees) and public product IDs."""
    def get(path: str, x_v: str) -> Any:
        response = credentials.recipient.api(path, credentials.access_token(), x_v=x_v)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()["data"]

    accounts = [a["accountId"] for a in get("banking/accounts", "3")["accounts"]]
    transactions = [t["transactionId"] for t in get(f"banking/accounts/{accounts[0]}/transactions",
                                                    "2")["transactions"]
                    if t.get("transactionId")]
    payees = [p["payeeId"] for p in get("banking/payees", "2")["payees"]]
    products = requests.get(f"{bank.url}/cds-au/v1/banking/products", headers={"x-v": "5"},
                            verify=str(bank.ca), timeout=15).json()["data"]["products"]
    assert accounts and transactions and products
    return {"accountId": accounts, "transactionAccountId": accounts[:1],
            "transactionId": transactions[:10], "payeeId": payees,
            "productId": [p["productId"] for p in products[:10]]}


@pytest.fixture(scope="session")
def fuzz_ids(live_bank: LiveBank, fuzz_credentials: Credentials) -> dict[str, list[str]]:
    return _ids(live_bank, fuzz_credentials)


@pytest.fixture(scope="session")
def project_document(live_bank: LiveBank) -> dict[str, Any]:
    response = requests.get(f"{live_bank.url}/api/schema?format=json", verify=str(live_bank.ca),
                            timeout=30)
    assert response.status_code == 200
    return dict(response.json())


@pytest.fixture(scope="session")
def project_routes(live_bank: LiveBank, project_document) -> dict[tuple[str, str], documents.Route]:
    return documents.routes_for_project(project_document, public_url=live_bank.url,
                                        mtls_url=live_bank.mtls_url)


@pytest.fixture(scope="session")
def official_routes(live_bank: LiveBank) -> dict[tuple[str, str], documents.Route]:
    return documents.routes_for_official(documents.official_document(), public_url=live_bank.url,
                                         mtls_url=live_bank.mtls_url)


@pytest.fixture(scope="session")
def project_raw(project_document):
    return schemathesis.openapi.from_dict(project_document, config=CONFIG)


@pytest.fixture(scope="session")
def project_deep(project_document, fuzz_ids):
    return schemathesis.openapi.from_dict(documents.deepen(project_document, ids=fuzz_ids),
                                          config=CONFIG)


@pytest.fixture(scope="session")
def official_raw():
    return schemathesis.openapi.from_dict(documents.official_document(), config=CONFIG)


@pytest.fixture(scope="session")
def official_deep(fuzz_ids, project_document):
    return schemathesis.openapi.from_dict(
        documents.deepen(documents.official_document(), ids=fuzz_ids,
                         versions_by_operation=documents.supported_versions(project_document)),
        config=CONFIG)


# The bank's own checks -------------------------------------------------------------------
def security_headers(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """The headers security/headers.py and Django's SecurityMiddleware put on every answer."""
    headers = {name.lower(): values[-1] for name, values in response.headers.items()}
    problems = [f"{name}: {headers.get(name.lower())!r}, expected {value!r}"
                for name, value in FIXED.items() if headers.get(name.lower()) != value]
    html = headers.get("content-type", "").startswith("text/html")
    expected = {
        "strict-transport-security": "max-age=63072000; includeSubDomains",
        "x-content-type-options": "nosniff",
        "cross-origin-opener-policy": "same-origin",
        # HTML pages keep Django's same-origin (their form POSTs need an Origin).
        "referrer-policy": "same-origin" if html else "no-referrer",
    }
    problems += [f"{name}: {headers.get(name)!r}, expected {value!r}"
                 for name, value in expected.items() if headers.get(name) != value]
    if not headers.get("content-security-policy"):
        problems.append("no Content-Security-Policy")
    elif headers.get("content-type", "").startswith("application/json") and \
            headers["content-security-policy"] != API_CSP:
        problems.append(f"Content-Security-Policy of a JSON answer: "
                        f"{headers['content-security-policy']!r}")
    sent_credentials = "authorization" in {k.lower() for k in response.request.headers}
    cache = headers.get("cache-control")
    if not cache or (sent_credentials and cache != "no-store"):
        problems.append(f"Cache-Control: {cache!r}")
    if not headers.get("x-fapi-interaction-id"):
        problems.append("no x-fapi-interaction-id")
    for leaky in ("server", "x-powered-by"):
        if leaky in headers:
            problems.append(f"{leaky}: {headers[leaky]!r}")
    if problems:
        raise AssertionError("security headers: " + "; ".join(problems))
    return None


def cdr_body_conformance(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A CDR operation's JSON body is valid for the official schema of the served version."""
    operation_id = case.operation.definition.raw.get("operationId")
    cdr = case.operation.path.startswith(documents.CDR_PREFIX) or \
        case.operation.schema.raw_schema.get("servers", [{}])[0].get("url", "").endswith(
            documents.CDR_PREFIX)
    if not cdr or operation_id not in official_operations() or not response.content:
        return None
    body = json.loads(response.content)
    served = response.headers.get("x-v", [None])[-1]
    version = int(served) if 200 <= response.status_code < 300 and served else None
    problems = validate_body(body, operation_id, response.status_code, version)
    if problems:
        raise AssertionError(f"{operation_id} {response.status_code} (x-v {served}) is not "
                             "CDS-valid:\n" + "\n".join(problems[:20]))
    return None


def _newest(case: Case) -> str:
    return str(case.operation.definition.raw.get("x-version", ""))


def _status_conformance(generic: bool):
    def check(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        try:
            return status_code_conformance(ctx, response, case)
        except UndefinedStatusCode:
            if generic and response.status_code in GENERIC_STATUSES:
                return None
            raise
    check.__name__ = "status_code_conformance"
    return check


def _call_and_check(case: Case, routes, credentials: Credentials, ca: str, *,
                    official: bool, statuses: Counter[int]) -> None:
    route = routes[(case.method.upper(), case.operation.path)]
    headers: dict[str, str] = {}
    if route.auth == "customer":
        headers["Authorization"] = f"Bearer {credentials.access_token()}"
    elif route.auth == "registration":
        headers["Authorization"] = f"Bearer {credentials.registration_token()}"
    response = case.call(base_url=route.base_url, headers=headers, verify=ca,
                         cert=credentials.cert if route.mtls else None, timeout=30,
                         allow_redirects=False)
    statuses[response.status_code] += 1
    checks = [not_a_server_error, _status_conformance(official), content_type_conformance,
              response_headers_conformance, security_headers, cdr_body_conformance]
    served = response.headers.get("x-v")
    if not (200 <= response.status_code < 300) or served == _newest(case) or not _newest(case):
        # The document's success schema is its newest version's; an older version's body is
        # checked against that version's official schema by cdr_body_conformance.
        checks.append(response_schema_conformance)
    case.validate_response(response, checks=checks, headers=headers,
                           transport_kwargs={"base_url": route.base_url})


# The runs -------------------------------------------------------------------------------
# schemathesis.pytest.from_fixture(...).parametrize() would do the loop below, but its pytest
# plugin (4.32.5) renames the test item through `Function._nodeid`, which pytest 9.2 no longer
# has; so each operation is a Hypothesis test of its own here, reported as a pytest subtest.
#: Deep operations that cannot succeed with a fuzzed request: the OAuth endpoints need a signed
#: client assertion or request object, /authorize a pushed request; they must still fail well.
DEEP_WITHOUT_200 = {"/authorize", "/par", "/token", "/introspect", "/revoke",
                    "/arrangements/revoke", "/register", "/cds-au/v1/admin/metrics",
                    "/cds-au/v1/admin/register/metadata"}
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


def _hypothesis_test(strategy: Any, call: Callable[[Case], None]) -> Callable[[], None]:
    @_fuzz_settings
    @given(case=strategy)
    def run(case: Case) -> None:
        call(case)

    return run


def _fuzz(schema, routes, credentials: Credentials, bank: LiveBank, subtests, *,
          official: bool, deep: bool) -> None:
    ca = str(bank.ca)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:
        for mode in MODES:
            with subtests.test(msg=f"{operation.label} {mode.value}"):
                statuses: Counter[int] = Counter()
                run = _hypothesis_test(
                    operation.as_strategy(generation_mode=mode),
                    partial(_call_and_check, routes=routes, credentials=credentials, ca=ca,
                            official=official, statuses=statuses))
                try:
                    run()
                except Unsatisfiable:
                    if mode is not schemathesis.GenerationMode.NEGATIVE:
                        raise
                    # Nothing in the operation can be made invalid (no parameters or body,
                    # or only free-form strings): there is no negative case to send.
                    pytest.skip("no invalid request can be generated")
                print(f"{operation.label} {mode.value}: {dict(sorted(statuses.items()))}")
                route = routes[(operation.method.upper(), operation.path)]
                if deep and mode is schemathesis.GenerationMode.POSITIVE and \
                        route.auth != "registration" and operation.path not in DEEP_WITHOUT_200:
                    # The narrowing works: valid requests reach the view and succeed.
                    assert any(200 <= status < 300 for status in statuses), (
                        f"{operation.label}: no success among {dict(statuses)}")


def test_project_document_raw(project_raw, project_routes, fuzz_credentials, live_bank, subtests):
    _fuzz(project_raw, project_routes, fuzz_credentials, live_bank, subtests, official=False,
          deep=False)


def test_project_document_deep(project_deep, project_routes, fuzz_credentials, live_bank,
                               subtests):
    _fuzz(project_deep, project_routes, fuzz_credentials, live_bank, subtests, official=False,
          deep=True)


def test_official_schemas_raw(official_raw, official_routes, fuzz_credentials, live_bank,
                              subtests):
    _fuzz(official_raw, official_routes, fuzz_credentials, live_bank, subtests, official=True,
          deep=False)


def test_official_schemas_deep(official_deep, official_routes, fuzz_credentials, live_bank,
                               subtests):
    _fuzz(official_deep, official_routes, fuzz_credentials, live_bank, subtests, official=True,
          deep=True)
