import pytest
from django.utils import timezone

from accounts.demo.seeder import demo_data_delete, seed_run


@pytest.fixture
def seeded_products(db):
    """A small demo bank (products, the cast, a few transactions) for rows to hang off."""
    demo_data_delete()
    seed_run(seed=7, as_of=timezone.now().date(), customers=0, transactions_per_account=1,
             brand="demo", brand_name="Demo Bank")
