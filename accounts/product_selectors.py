"""Read side of the public product catalogue (Get Products, Get Product Detail)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Product, ProductFee


@dataclass(frozen=True)
class ProductFilters:
    effective: str = "CURRENT"  # CURRENT | FUTURE | ALL
    updated_since: datetime | None = None
    brand: str | None = None
    category: str | None = None


def _effective_now(now: datetime) -> Q:
    started = Q(effective_from__isnull=True) | Q(effective_from__lte=now)
    not_ended = Q(effective_to__isnull=True) | Q(effective_to__gt=now)
    return started & not_ended


def product_list(*, filters: ProductFilters, now: datetime | None = None) -> QuerySet[Product]:
    now = now or timezone.now()
    products = Product.objects.prefetch_related("card_art")
    if filters.effective == "CURRENT":
        products = products.filter(_effective_now(now))
    elif filters.effective == "FUTURE":
        products = products.filter(effective_from__gt=now)
    if filters.updated_since is not None:
        products = products.filter(last_updated__gt=filters.updated_since)
    if filters.brand is not None:
        products = products.filter(brand=filters.brand)
    if filters.category is not None:
        products = products.filter(category=filters.category)
    return products.order_by("name", "pk")


def product_get(*, product_id: str) -> Product | None:
    """The product with its whole detail prefetched, or None."""
    return (
        Product.objects.prefetch_related(
            "card_art",
            "bundles",
            "features",
            "constraints",
            "eligibility",
            Prefetch("fees", queryset=ProductFee.objects.prefetch_related("discounts")),
            "deposit_rates",
            "lending_rates",
        )
        .filter(product_id=product_id)
        .first()
    )
