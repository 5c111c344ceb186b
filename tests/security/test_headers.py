"""Security headers on API responses, success and error alike."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "x_v"),
    [("/cds-au/v1/discovery/status", "1"), ("/cds-au/v1/discovery/status", "99"), ("/nowhere", "1")],
)
def test_api_responses_carry_security_headers_and_hsts_over_https(url, x_v):
    response = Client().get(url, HTTP_X_V=x_v, secure=True)
    assert response["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "no-referrer"  # JSON; pages: same-origin (headers.py)
    assert response["Content-Type"] == "application/json"
    assert "Server" not in response


def test_plain_http_is_redirected_to_https_outside_dev_and_test(settings):
    settings.SECURE_SSL_REDIRECT = True  # base.py's default; dev and test relax it
    response = Client().get("/cds-au/v1/discovery/status", HTTP_X_V="1")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/cds-au/v1/discovery/status"
