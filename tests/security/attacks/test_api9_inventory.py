"""OWASP API9:2023 Improper Inventory Management: no endpoint the bank does not declare.

What a tester looks for: routes nobody documented (old versions, debug and toolbar pages, a test
double left mounted, an admin nobody lists). Here every URL the URL configuration resolves is
either an operation of the bank's OpenAPI document (GET /api/schema, bank/openapi) with the same
methods, or on the allow-list below, each entry with its reason; the same holds for the URL
configuration as production settings build it (a separate process with bank.settings.prod), where
the mock Register is gone; and no debug or toolbar route exists anywhere. Against the live bank:
each documented path answers on its listener (nothing documented is missing) and the schema the
live bank serves is the one checked here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest
import requests
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from security.listeners import MTLS, listener_for_path
from tests.e2e.conftest import LiveBank
from tests.test_settings import GOOD_PROD_ENV, ROOT

#: Routes that are not API operations, by prefix, and why they may exist without being in the
#: OpenAPI document.
ALLOWED = {
    "admin/": "the staff console (Django admin): mTLS listener, staff login with TOTP or SSO; "
              "HTML pages, not an API",
    "staff-sso/": "the staff console's single sign-on (only when configured): HTML redirects",
    "consent/": "the customer's consent pages (HTML), reached from /authorize only",
    "dashboard/": "the customer's data-sharing dashboard (HTML)",
    "health/": "liveness and readiness probes for the orchestrator; no data",
    "api/schema": "the OpenAPI document itself",
    "api/docs/": "Swagger UI over the document",
    "api/redoc/": "Redoc over the document",
}
#: Only in dev and test settings (prod.py refuses to enable it).
DEV_ONLY = {"mock-register/": "the mock CDR Register, for the demo and the tests"}
_DEBUG = re.compile(r"(?i)(__debug__|debug|silk|toolbar|profil|phpinfo|console/|graphql|swagger\.json"
                    r"|actuator|\.env|server-status|test)")
_HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _routes(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + str(pattern.pattern), pattern.callback))
    return found


def _openapi_path(route: str) -> str:
    """`cds-au/v1/banking/accounts/<str:account_id>` -> `/cds-au/v1/banking/accounts/{}`."""
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "{}", route)


def _document() -> dict[str, Any]:
    response = Client().get("/api/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return dict(json.loads(response.content))


def _documented(document: dict[str, Any]) -> dict[str, set[str]]:
    return {re.sub(r"\{\w+\}", "{}", path): {m for m in item if m in _HTTP_METHODS}
            for path, item in document["paths"].items()}


def _allowed(route: str, allow: dict[str, str]) -> bool:
    return any(route.startswith(prefix) for prefix in allow)


def test_every_route_is_documented_or_allow_listed(db: Any) -> None:
    documented = _documented(_document())
    undocumented = [route for route, _ in _routes(get_resolver().url_patterns)
                    if _openapi_path(route) not in documented
                    and not _allowed(route, {**ALLOWED, **DEV_ONLY})]
    assert undocumented == []


def test_documented_methods_are_the_views_methods(db: Any) -> None:
    """For the class-based API views: each method a view implements is documented, and each
    documented one is implemented (no hidden PUT, no documented ghost)."""
    documented = _documented(_document())
    checked = 0
    for route, callback in _routes(get_resolver().url_patterns):
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        path = _openapi_path(route)
        if view_class is None or path not in documented or _allowed(route, ALLOWED):
            continue
        implemented = {m for m in _HTTP_METHODS if hasattr(view_class, m)}
        assert implemented == documented[path], (route, implemented, documented[path])
        checked += 1
    assert checked >= 20  # the CDR API views


def test_every_documented_path_has_a_route(db: Any) -> None:
    routes = {_openapi_path(route) for route, _ in _routes(get_resolver().url_patterns)}
    assert set(_documented(_document())) - routes == set()


def test_no_debug_or_toolbar_routes_exist() -> None:
    suspicious = [route for route, _ in _routes(get_resolver().url_patterns)
                  if _DEBUG.search(route) and not route.startswith("admin/")]
    assert suspicious == []


_PROD_ROUTES = (
    "import django, json; django.setup()\n"
    "from django.urls import get_resolver\n"
    "from tests.security.attacks.test_api9_inventory import _routes\n"
    "print(json.dumps([r for r, _ in _routes(get_resolver().url_patterns)]))\n"
)


@pytest.fixture(scope="module")
def production_routes(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The URL configuration as production settings build it (a fresh process)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "BANK_"))
           and k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    keys = tmp_path_factory.mktemp("prod-signing")
    from security.oauth.signing_keys import generate_signing_keys

    generate_signing_keys(keys, kid_suffix="prod-test")
    # Asking for the mock Register through the environment changes nothing in production.
    env.update(GOOD_PROD_ENV, DJANGO_SETTINGS_MODULE="bank.settings.prod",
               BANK_MOCK_REGISTER_ENABLED="true",
               BANK_SIGNING_KEYS_SOURCE="files", BANK_SIGNING_KEYS_DIR=str(keys))
    done = subprocess.run([sys.executable, "-c", _PROD_ROUTES], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_production_serves_no_mock_register(production_routes: list[str]) -> None:
    assert production_routes, "no routes at all"
    assert [r for r in production_routes if r.startswith("mock-register")] == []
    assert "cds-au/v1/banking/accounts" in production_routes


def test_production_routes_are_documented_or_allow_listed(db: Any,
                                                          production_routes: list[str]) -> None:
    documented = _documented(_document())
    extra = [route for route in production_routes
             if _openapi_path(route) not in documented and not _allowed(route, ALLOWED)]
    assert extra == []
    assert [route for route in production_routes
            if _DEBUG.search(route) and not route.startswith("admin/")] == []


# Against the live bank ---------------------------------------------------------------------
def test_the_live_schema_lists_the_same_paths(live_bank: LiveBank, db: Any) -> None:
    live = requests.get(f"{live_bank.url}/api/schema", headers={"Accept": "application/json"},
                        verify=str(live_bank.ca), timeout=30)
    assert live.status_code == 200
    assert set(_documented(live.json())) == set(_documented(_document()))


def test_every_documented_path_answers_on_its_listener(live_bank: LiveBank, db: Any) -> None:
    """Nothing documented is missing from the running bank: each path, with dummy IDs,
    answers something other than the URL-level 404 on its own listener."""
    cert = live_bank.pki.client("inventory").pair
    missing = []
    with requests.Session() as session:
        for path, methods in sorted(_documented(_document()).items()):
            concrete = path.replace("{}", "x1")
            mtls = listener_for_path(concrete) == MTLS
            url = (live_bank.mtls_url if mtls else live_bank.url) + concrete
            method = "get" if "get" in methods else sorted(methods)[0]
            response = session.request(method.upper(), url, verify=str(live_bank.ca),
                                       cert=cert if mtls else None, timeout=15,
                                       allow_redirects=False, headers={"x-v": "1"})
            body = response.text
            if response.status_code == 404 and "Resource/NotFound" in body \
                    and "x1" not in concrete:
                missing.append(path)
    assert missing == []
