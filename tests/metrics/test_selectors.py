from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bank.metrics.recorder import recorder
from bank.metrics.selectors import client_call_counts, metrics_flush

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _call(at: datetime, product: str, *, status: int = 200) -> None:
    recorder.record(at=at.timestamp(), tier="lowPriority", software_product_id=product,
                    status_code=status, authenticated=True, customer_present=True,
                    latency_us=1000, within_threshold=True)


def test_client_call_counts_counts_calls_per_software_product_in_the_window() -> None:
    recorder.drain()
    _call(T0, "product-a")
    _call(T0 + timedelta(seconds=59), "product-a", status=404)
    _call(T0 + timedelta(minutes=1), "product-b")
    _call(T0 + timedelta(minutes=2), "product-a")  # outside [T0, T0+2m)
    _call(T0 - timedelta(seconds=1), "product-b")  # before the window
    _call(T0, "")  # no software product: not a client's call
    metrics_flush()

    assert client_call_counts(T0, T0 + timedelta(minutes=2)) == {"product-a": 2, "product-b": 1}


def test_client_call_counts_adds_up_flushes_of_the_same_minute() -> None:
    recorder.drain()
    _call(T0, "product-a")
    metrics_flush()
    _call(T0 + timedelta(seconds=5), "product-a")
    metrics_flush()

    assert client_call_counts(T0, T0 + timedelta(minutes=1)) == {"product-a": 2}


def test_client_call_counts_is_empty_without_calls() -> None:
    assert client_call_counts(T0, T0 + timedelta(minutes=1)) == {}
