"""The resource-endpoint fixtures (tests/resources/conftest.py: the cast, `grant`, `cdr`) for
the Get Transactions tests of this package, on a demo bank seeded once per module that asks
for it (`bank`), so the model tests here keep their empty database."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from accounts.demo.seeder import demo_data_delete, seed_run
from security.consent.models import Arrangement
from security.recipients.models import DataRecipient, SoftwareProduct
from tests.resources.conftest import bank, cdr, grant, make_product, product  # noqa: F401


@pytest.fixture(scope="module")
def seeded_bank(django_db_setup: Any, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        demo_data_delete()
        seed_run(seed=20261129, as_of=timezone.now().date(), customers=0,
                 transactions_per_account=5, brand="demo", brand_name="Demo Bank")
    yield
    with django_db_blocker.unblock():
        Arrangement.objects.all().delete()
        AccessToken.objects.all().delete()
        SoftwareProduct.objects.all().delete()
        DataRecipient.objects.all().delete()
        Application.objects.all().delete()
        demo_data_delete()
