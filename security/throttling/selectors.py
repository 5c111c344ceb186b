"""The per-product overrides as the limiter reads them: the whole (small) table, cached."""

from __future__ import annotations

import time

from django.conf import settings

from security.throttling.limits import Limit, limit_parse
from security.throttling.models import RateLimitOverride

_loaded: tuple[float, dict[str, dict[str, Limit]]] = (-1e9, {})


def rate_limit_overrides_for(software_product_id: str) -> dict[str, Limit]:
    """rule -> Limit for one software product (its Register ID); reloaded every TTL seconds."""
    global _loaded
    loaded_at, table = _loaded
    if time.monotonic() - loaded_at > settings.BANK_RATE_LIMIT_OVERRIDE_TTL:
        table = {}
        factor = settings.BANK_RATE_LIMIT_MULTIPLIER
        rows = RateLimitOverride.objects.select_related("software_product")
        for row in rows:
            try:
                limit = limit_parse(row.as_setting()).scaled(factor)
            except ValueError:
                continue  # clean() refuses these; a row written around it changes nothing
            table.setdefault(row.software_product.software_product_id, {})[row.rule] = limit
        _loaded = (time.monotonic(), table)
    return table.get(software_product_id, {})


def rate_limit_overrides_forget() -> None:
    """Reload on next use (after a change in this process, and between tests)."""
    global _loaded
    _loaded = (-1e9, {})
