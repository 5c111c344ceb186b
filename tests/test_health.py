"""Liveness and readiness (bank/health.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from bank import health

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("listener", ["public", "mtls", "all"])
def test_live_and_ready_answer_on_every_listener_over_plain_http(settings, listener):
    settings.BANK_LISTENER = listener
    settings.SECURE_SSL_REDIRECT = True  # production's: probes still get an answer
    client = Client()
    assert client.get("/health/live").json() == {"status": "live"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    assert ready["Cache-Control"] == "no-store"


@pytest.fixture(autouse=True)
def _fresh_readiness():
    from bank.health import ready_forget

    ready_forget()
    yield
    ready_forget()


def test_ready_names_the_failed_component_and_not_the_reason(monkeypatch, caplog):
    def broken() -> None:
        raise ConnectionError("redis://:hunter2@cache.internal:6379 refused")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["cache"]}
    assert "hunter2" not in response.content.decode()


def test_health_is_read_only():
    assert Client().post("/health/ready").status_code == 405


def test_a_flood_of_readiness_probes_checks_the_components_once(monkeypatch):
    calls = []
    monkeypatch.setitem(health.CHECKS, "database", lambda: calls.append(1))
    client = Client()
    assert [client.get("/health/ready").status_code for _ in range(20)] == [200] * 20
    assert len(calls) == 1
