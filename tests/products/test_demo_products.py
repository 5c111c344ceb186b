"""Every product of the demo bank validates against the official 1.36.0 schemas."""

import pytest
from django.core.management import call_command

from accounts.models import Product
from tests.cdr_schema import assert_cdr_response

pytestmark = pytest.mark.django_db
LIST = "/cds-au/v1/banking/products"


@pytest.fixture(scope="module")
def demo_bank(django_db_setup, django_db_blocker, tmp_path_factory):
    """The seeded demo bank, once for this module (products are read-only here)."""
    with django_db_blocker.unblock():
        call_command("seed_demo", "--reset", "--transactions-per-account", "1",
                     "--credentials-file", str(tmp_path_factory.mktemp("demo") / "logins.json"),
                     verbosity=0)
    yield
    with django_db_blocker.unblock():
        call_command("flush", "--no-input", verbosity=0)


def test_every_demo_product_validates_in_list_and_detail(demo_bank, api):
    body = assert_cdr_response(api("get", f"{LIST}?effective=ALL&page-size=1000", x_v="5"), "listBankingProducts")
    products = body["data"]["products"]
    assert len(products) == Product.objects.count() >= 13
    assert {p["productCategory"] for p in products} >= {
        "BUSINESS_LOANS", "BUY_NOW_PAY_LATER", "CRED_AND_CHRG_CARDS", "LEASES", "MARGIN_LOANS", "OVERDRAFTS",
        "PERS_LOANS", "REGULATED_TRUST_ACCOUNTS", "RESIDENTIAL_MORTGAGES", "TERM_DEPOSITS", "TRADE_FINANCE",
        "TRANS_AND_SAVINGS_ACCOUNTS", "TRAVEL_CARDS"}
    for product in products:
        detail = assert_cdr_response(
            api("get", f"{LIST}/{product['productId']}", x_v="7"), "getBankingProductDetail"
        )["data"]
        # The detail starts with exactly the list entry.
        assert {k: detail[k] for k in product} == product
    # The demo bank exercises the optional detail members somewhere.
    details = [api("get", f"{LIST}/{p['productId']}", x_v="7").json()["data"] for p in products]
    for member in ("bundles", "features", "constraints", "eligibility", "fees", "depositRates", "lendingRates"):
        assert any(d[member] for d in details), member
    assert any("instalments" in d for d in details)
    assert any(fee.get("discounts") for d in details for fee in d["fees"])
    assert any(rate.get("tiers") for d in details for rate in d["lendingRates"] + d["depositRates"])
