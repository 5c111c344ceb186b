"""/api/docs/ (Swagger UI) and /api/redoc/ (Redoc): HTML whose every script and style comes
from the bank's /static/, under the bank's CSP, with the files present after collectstatic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from security.headers import PAGE_CSP
from tests.security.test_response_headers import assert_hardened

pytestmark = pytest.mark.django_db

ABSOLUTE_URL = re.compile(r"https?://", re.IGNORECASE)
ASSET = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"')


def _assets(html: str) -> list[str]:
    return ASSET.findall(html)


def test_swagger_ui_page_loads_everything_from_static(client):
    response = client.get("/api/docs/", secure=True)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert not ABSOLUTE_URL.search(html)
    assets = _assets(html)
    assert "/api/docs/?script=" in assets
    static = [a for a in assets if a != "/api/docs/?script="]
    assert static and all(a.startswith("/static/") for a in static), static
    assert "<style" not in html and "<script>" not in html  # nothing inline
    assert response["Content-Security-Policy"] == PAGE_CSP
    assert_hardened(response, "/api/docs/")


def test_swagger_ui_init_script_is_a_script_pointing_at_the_schema(client):
    response = client.get("/api/docs/?script=", secure=True)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    script = response.content.decode()
    assert 'url: "/api/schema"' in script
    assert '"validatorUrl": null' in script  # no call to validator.swagger.io
    assert not ABSOLUTE_URL.search(script)


def test_redoc_page_loads_everything_from_static_with_a_fresh_style_nonce(client):
    first = client.get("/api/redoc/", secure=True)
    second = client.get("/api/redoc/", secure=True)
    assert first.status_code == 200
    html = first.content.decode()
    assert not ABSOLUTE_URL.search(html)
    assets = _assets(html)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    assert "<style" not in html and "<script>" not in html
    nonce = re.search(r'data-nonce="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    csp = first["Content-Security-Policy"]
    assert f"style-src 'self' 'nonce-{nonce}' 'sha256-" in csp
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp
    assert csp.replace(re.search(r"style-src [^;]+", csp).group(0),  # type: ignore[union-attr]
                       "style-src 'self'") == PAGE_CSP
    assert nonce not in second["Content-Security-Policy"]
    assert_hardened(first, "/api/redoc/")


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_every_asset_of_the_pages_is_a_static_file_that_is_served(client, page):
    for asset in _assets(client.get(page, secure=True).content.decode()):
        if not asset.startswith("/static/"):
            continue
        assert finders.find(asset.removeprefix("/static/")), asset
        served = client.get(asset, secure=True)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert body, asset


def test_collectstatic_gathers_the_docs_assets(client, settings, tmp_path: Path):
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", "--noinput", "-v", "0")
    for page in ("/api/docs/", "/api/redoc/"):
        for asset in _assets(client.get(page, secure=True).content.decode()):
            if asset.startswith("/static/"):
                assert (tmp_path / asset.removeprefix("/static/")).is_file(), asset
