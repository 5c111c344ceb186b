"""The bank's OpenAPI document: valid, served at /api/schema, and true to the code.

The comparison with the official files is test_official_comparison.py; here: OpenAPI
validation, `manage.py spectacular --validate --fail-on-warn`, the schema endpoint, and the
facts the document takes from the views (versions, scopes, listeners, enums the code checks).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.urls import resolve
from drf_spectacular.validation import validate_schema
from openapi_spec_validator import validate

from accounts.api.views import PRODUCT_CATEGORIES
from bank.api.views import AuthenticatedCdrApi
from bank.metrics.periods import Period
from bank.openapi import extensions
from bank.openapi.views import openapi_document
from security import listeners
from security.headers import API_CSP
from security.oauth.register_client import ADMIN_SCOPES
from tests.openapi.comparator import resolve as resolve_ref
from transactions import payment_selectors
from transactions.api.payee_views import PAYEE_TYPE_VALUES

PREFIX = "/cds-au/v1"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def _cdr_operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        if path.startswith(PREFIX):
            for method, operation in item.items():
                yield path, method, operation


# Valid -------------------------------------------------------------------------------------
def test_the_document_is_valid_openapi_3_0(document):
    assert document["openapi"] == "3.0.3"
    validate(document)  # openapi-spec-validator: raises on any error
    validate_schema(document)  # drf-spectacular's own check (what --validate runs)


def test_manage_spectacular_writes_it_with_no_warning(tmp_path: Path, document):
    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    written = yaml.safe_load(out.read_text())
    assert written["paths"].keys() == document["paths"].keys()


def test_a_query_parameter_the_standard_lacks_fails_generation(tmp_path: Path, monkeypatch):
    from accounts.api.views import ProductListApi

    monkeypatch.setattr(ProductListApi, "query_params", ProductListApi.query_params | {"sort"})
    with pytest.raises(Exception, match="Failing as requested due to warnings"):
        call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "x.yaml"))


# Served --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_schema_is_yaml_by_default_and_json_on_request(client, document):
    as_yaml = client.get("/api/schema", secure=True)
    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(as_yaml.content) == json.loads(json.dumps(document))
    for response in (client.get("/api/schema?format=json", secure=True),
                     client.get("/api/schema", secure=True, HTTP_ACCEPT="application/json")):
        assert response.status_code == 200
        assert "json" in response["Content-Type"]
        assert response.json()["paths"].keys() == document["paths"].keys()


@pytest.mark.django_db
def test_schema_answers_with_the_banks_headers_and_no_token(client):
    response = client.get("/api/schema?format=json", secure=True)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == API_CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Strict-Transport-Security"].startswith("max-age=63072000")
    # Anonymous and the same for everyone: cacheable, with an ETag for revalidation.
    assert response["Cache-Control"] == "public, max-age=3600"
    etag = response["ETag"]
    again = client.get("/api/schema?format=json", secure=True, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    as_yaml = client.get("/api/schema", secure=True, HTTP_IF_NONE_MATCH=etag)
    assert as_yaml.status_code == 200 and as_yaml["ETag"] != etag  # another representation
    # A credentialed request never gets a cacheable answer.
    with_cookie = client.get("/api/schema?format=json", secure=True, HTTP_COOKIE="a=b")
    assert with_cookie["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_schema_and_docs_are_rate_limited_per_source(client, settings):
    from security.throttling.enforce import VIEW_OPERATIONS
    from security.throttling.policy import Operation

    for name in ("schema", "api-docs", "api-redoc"):
        assert VIEW_OPERATIONS[name] == Operation.DISCOVERY
    settings.BANK_RATE_LIMIT_MULTIPLIER = 1  # the test settings scale every limit up
    settings.BANK_RATE_LIMITS = {**settings.BANK_RATE_LIMITS, "public_per_source": ("2/m", 2)}
    answers = [client.get("/api/schema?format=json", secure=True).status_code for _ in range(3)]
    assert answers[:2] == [200, 200] and answers[2] == 429


@pytest.mark.django_db
def test_schema_and_docs_are_on_the_public_listener_only(client, settings):
    settings.BANK_LISTENER = "mtls"
    for path in ("/api/schema", "/api/docs/", "/api/redoc/"):
        assert listeners.listener_for_path(path) == listeners.PUBLIC
        assert client.get(path, secure=True).status_code == 404


def test_servers_are_the_base_urls_of_the_listeners(settings):
    settings.BANK_PUBLIC_BASE_URL = "https://bank.example"
    settings.BANK_MTLS_BASE_URL = "https://mtls.bank.example"
    document = openapi_document()
    assert [s["url"] for s in document["servers"]] == ["https://bank.example",
                                                       "https://mtls.bank.example"]
    paths = document["paths"]
    assert [s["url"] for s in paths[PREFIX + "/banking/products"]["get"]["servers"]] == [
        "https://bank.example"]
    assert [s["url"] for s in paths[PREFIX + "/banking/accounts"]["get"]["servers"]] == [
        "https://mtls.bank.example"]
    assert [s["url"] for s in paths["/token"]["post"]["servers"]] == ["https://mtls.bank.example"]
    flows = document["components"]["securitySchemes"]["cdrCustomerToken"]["flows"]
    assert flows["authorizationCode"]["authorizationUrl"] == "https://bank.example/authorize"
    assert flows["authorizationCode"]["tokenUrl"] == "https://mtls.bank.example/token"


# True to the code ----------------------------------------------------------------------------
def _view(path: str) -> Any:
    return resolve(re.sub(r"\{\w+\}", "x1", path)).func.view_class


def test_versions_and_scopes_are_the_views(document):
    for path, method, operation in _cdr_operations(document):
        view = _view(path)
        versions = view.method_versions.get(method.upper(), view.versions)
        assert operation["x-supported-versions"] == [str(v) for v in versions], path
        assert operation["x-version"] == str(max(versions))
        assert operation.get("x-scopes", []) == list(getattr(view, "required_scopes", ()))
        authenticated = issubclass(view, AuthenticatedCdrApi)
        headers = {p["name"] for p in map(lambda p: resolve_ref(p, document),
                                          operation["parameters"]) if p["in"] == "header"}
        assert ("x-fapi-auth-date" in headers) == authenticated, path
        assert {"x-v", "x-min-v", "x-fapi-interaction-id"} <= headers


def test_every_operation_is_on_the_listener_that_serves_it(document):
    for path, item in document["paths"].items():
        concrete = re.sub(r"\{\w+\}", "x1", path)
        listener = listeners.listener_for_path(concrete)
        for operation in item.values():
            expected = {listeners.PUBLIC: "Public", listeners.MTLS: "mTLS"}[listener]
            assert [s["description"].split(" ")[0] for s in operation["servers"]] == [expected]


def _enum(document: dict[str, Any], path: str, name: str) -> list[str]:
    parameters = [resolve_ref(p, document) for p in document["paths"][path]["get"]["parameters"]]
    schema = resolve_ref(next(p for p in parameters if p["name"] == name)["schema"], document)
    return sorted(schema["enum"])


def test_enums_are_the_values_the_code_accepts(document):
    assert _enum(document, PREFIX + "/banking/payees", "type") == sorted(PAYEE_TYPE_VALUES)
    assert _enum(document, PREFIX + "/banking/accounts/payments/plans", "plan-status") == sorted(
        [payment_selectors.PLAN_STATUS_ACTIVE, payment_selectors.PLAN_STATUS_INACTIVE,
         payment_selectors.PLAN_STATUS_ALL])
    assert _enum(document, PREFIX + "/admin/metrics", "period") == sorted(Period.__members__)
    assert _enum(document, PREFIX + "/banking/products", "product-category") == sorted(
        PRODUCT_CATEGORIES)


def test_security_schemes_name_the_scopes_the_bank_grants(document, settings):
    schemes = document["components"]["securitySchemes"]
    customer = schemes["cdrCustomerToken"]["flows"]["authorizationCode"]["scopes"]
    data_scopes = {s for s in settings.OAUTH2_PROVIDER["SCOPES"] if ":" in s}
    assert set(customer) == data_scopes
    register = schemes["cdrRegisterToken"]["flows"]["clientCredentials"]["scopes"]
    assert set(register) == set(extensions.ADMIN_SCOPES) == set(ADMIN_SCOPES)


def test_the_authorization_server_is_described(document):
    for path in ("/.well-known/openid-configuration", "/jwks", "/authorize", "/par", "/token",
                 "/introspect", "/revoke", "/arrangements/revoke", "/userinfo", "/register",
                 "/register/{clientId}"):
        assert path in document["paths"], path
        resolve(re.sub(r"\{\w+\}", "x1", path))  # a real route of the bank
