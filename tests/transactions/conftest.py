"""The resource-endpoint fixtures (tests/resources/conftest.py: the cast, `grant`, `cdr`) for
the Get Transactions tests of this package, on a demo bank seeded once per module that asks
for it (`bank`), so the model tests here keep their empty database."""

from __future__ import annotations

from typing import Any

import pytest

from tests.resources.conftest import (  # noqa: F401
    bank,
    cdr,
    demo_bank_seeded,
    grant,
    make_product,
    product,
)


@pytest.fixture(scope="module")
def seeded_bank(django_db_setup: Any, django_db_blocker: Any) -> Any:
    yield from demo_bank_seeded(django_db_blocker, seed=20261129, transactions_per_account=5)
