"""Checks that only mean something on the real services (make test-services)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction

from bank.discovery.models import Outage


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_enforces_check_constraints_below_the_orm():
    assert connection.vendor == "postgresql"
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO discovery_outage (outage_time, duration, is_partial, explanation, updated_at)"
                " VALUES (now(), interval '0 seconds', false, 'x', now())"
            )
    assert not Outage.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_keeps_money_exact():
    from django.apps import apps

    Product = apps.get_model("accounts", "Product")
    product = Product.objects.create(
        brand="b", name="n", description="d", category="TERM_DEPOSITS",
        last_updated=datetime(2026, 1, 1, tzinfo=UTC), instalments_limit=Decimal("9999999999999999.99"),
    )
    product.refresh_from_db()
    assert product.instalments_limit == Decimal("9999999999999999.99")


@pytest.mark.redis
def test_redis_cache_round_trips():
    from django.conf import settings

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    cache.set("bank-test-key", {"v": 1}, timeout=10)
    assert cache.get("bank-test-key") == {"v": 1}
    cache.delete("bank-test-key")
    assert cache.get("bank-test-key") is None
