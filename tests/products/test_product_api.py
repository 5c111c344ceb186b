"""Get Products v5 and Get Product Detail v7 (cds_banking.json), public and CORS-open."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Product, ProductFeature, ProductFee
from tests.cdr_schema import assert_cdr_response
from tests.conftest import assert_cdr_error

pytestmark = pytest.mark.django_db
LIST = "/cds-au/v1/banking/products"


def make_product(name: str, **fields) -> Product:
    defaults = {
        "brand": "demo-bank", "brand_name": "Demo Bank", "name": name, "description": f"{name} account",
        "category": "TRANS_AND_SAVINGS_ACCOUNTS", "last_updated": datetime(2026, 1, 1, tzinfo=UTC),
    }
    defaults.update(fields)
    return Product.objects.create(**defaults)


def test_product_detail_whole_body(api):
    product = make_product("Everyday", effective_from=datetime(2025, 1, 1, tzinfo=UTC))
    ProductFeature.objects.create(product=product, position=0, feature_type="DIGITAL_WALLET",
                                  additional_value="Apple Pay")
    ProductFee.objects.create(product=product, position=0, name="Monthly fee", fee_type="PERIODIC",
                              fee_method_utype="fixedAmount", amount=Decimal("5"), currency="AUD",
                              additional_value="P1M")
    response = api("get", f"{LIST}/{product.product_id}", x_v="7")
    body = assert_cdr_response(response, "getBankingProductDetail")
    assert body == {
        "data": {
            "productId": product.product_id,
            "effectiveFrom": "2025-01-01T00:00:00Z",
            "lastUpdated": "2026-01-01T00:00:00Z",
            "productCategory": "TRANS_AND_SAVINGS_ACCOUNTS",
            "name": "Everyday",
            "description": "Everyday account",
            "brand": "demo-bank",
            "brandName": "Demo Bank",
            "isTailored": False,
            "cardArt": [],
            "bundles": [],
            "features": [{"featureType": "DIGITAL_WALLET", "additionalValue": "Apple Pay"}],
            "constraints": [],
            "eligibility": [],
            "fees": [{"name": "Monthly fee", "feeType": "PERIODIC", "feeMethodUType": "fixedAmount",
                      "fixedAmount": {"amount": "5.00"}, "currency": "AUD", "additionalValue": "P1M",
                      "discounts": []}],
            "depositRates": [],
            "lendingRates": [],
        },
        "links": {"self": f"https://bank.example.test{LIST}/{product.product_id}"},
        "meta": {},
    }
    assert response["x-v"] == "7"


def test_product_list_whole_body_and_pagination(api):
    for i in range(3):
        make_product(f"P{i}")
    body = assert_cdr_response(api("get", f"{LIST}?page-size=2", x_v="5"), "listBankingProducts")
    assert [p["name"] for p in body["data"]["products"]] == ["P0", "P1"]
    assert body["meta"] == {"totalRecords": 3, "totalPages": 2}
    assert body["links"]["next"] == f"https://bank.example.test{LIST}?page-size=2&page=2"


def test_effective_filter(api):
    now = timezone.now()
    make_product("current", effective_from=now - timedelta(days=1))
    make_product("future", effective_from=now + timedelta(days=30))
    make_product("retired", effective_from=now - timedelta(days=60), effective_to=now - timedelta(days=1))
    names = lambda q: [p["name"] for p in api("get", f"{LIST}{q}", x_v="5").json()["data"]["products"]]
    assert names("") == ["current"]
    assert names("?effective=CURRENT") == ["current"]
    assert names("?effective=FUTURE") == ["future"]
    assert names("?effective=ALL") == ["current", "future", "retired"]


def test_updated_since_brand_and_category_filters(api):
    make_product("old", last_updated=datetime(2025, 1, 1, tzinfo=UTC))
    make_product("new", last_updated=datetime(2026, 6, 1, tzinfo=UTC), category="TERM_DEPOSITS")
    make_product("other brand", brand="other-brand")
    names = lambda q: [p["name"] for p in api("get", f"{LIST}{q}", x_v="5").json()["data"]["products"]]
    assert names("?updated-since=2026-01-01T00:00:00Z") == ["new"]
    assert names("?updated-since=2026-01-01T10:00:00%2B10:00") == ["new"]
    assert names("?brand=other-brand") == ["other brand"]
    assert names("?product-category=TERM_DEPOSITS") == ["new"]


@pytest.mark.parametrize(
    ("query", "code", "detail"),
    [
        ("effective=NOW", "Field/Invalid", "effective"),
        ("effective=current", "Field/Invalid", "effective"),
        ("product-category=LOANS", "Field/Invalid", "product-category"),
        ("updated-since=yesterday", "Field/InvalidDateTime", "updated-since"),
        ("updated-since=2026-01-01T00:00:00", "Field/InvalidDateTime", "updated-since"),
        ("updated-since=2026-02-30T00:00:00Z", "Field/InvalidDateTime", "updated-since"),
        ("brand=" + "b" * 101, "Field/Invalid", "brand"),
        ("open-status=OPEN", "Field/Invalid", "open-status"),
        ("page-size=1001", "Field/InvalidPageSize", None),
    ],
)
def test_product_list_rejects_bad_parameters(api, query, code, detail):
    response = api("get", f"{LIST}?{query}", x_v="5")
    assert_cdr_error(response, 400, code, detail=detail)
    assert_cdr_response(response, "listBankingProducts")


def test_product_list_page_past_the_end(api):
    make_product("only")
    response = api("get", f"{LIST}?page=2", x_v="5")
    assert_cdr_error(response, 422, "Field/InvalidPage", detail="1")
    assert_cdr_response(response, "listBankingProducts")


@pytest.mark.parametrize(("x_v", "x_min_v"), [("4", None), ("6", None), ("3", "1")])
def test_product_list_serves_only_v5(api, x_v, x_min_v):
    response = api("get", LIST, x_v=x_v, x_min_v=x_min_v)
    assert_cdr_error(response, 406, "Header/UnsupportedVersion")
    assert_cdr_response(response, "listBankingProducts")


def test_product_list_with_a_range_reaching_5(api):
    assert api("get", LIST, x_v="8", x_min_v="2")["x-v"] == "5"


def test_product_detail_serves_only_v7(api):
    product = make_product("x")
    assert_cdr_error(api("get", f"{LIST}/{product.product_id}", x_v="6"), 406, "Header/UnsupportedVersion")


def test_unknown_product_is_invalid_resource_naming_the_id(api):
    response = api("get", f"{LIST}/doesnotexist", x_v="7")
    assert_cdr_error(response, 404, "Resource/Invalid", detail="doesnotexist")
    assert_cdr_response(response, "getBankingProductDetail")


def test_malformed_product_id_is_not_echoed(api):
    response = api("get", f"{LIST}/%3Cscript%3Ealert(1)%3C", x_v="7")
    error = assert_cdr_error(response, 404, "Resource/Invalid", detail="productId")
    assert "<script>" not in response.content.decode()
    assert error


def test_internal_pk_is_not_a_product_id(api):
    product = make_product("x")
    assert_cdr_error(api("get", f"{LIST}/{product.pk}", x_v="7"), 404, "Resource/Invalid")


def test_products_are_public_and_cors_open(api):
    make_product("x")
    response = api("get", LIST, x_v="5", HTTP_ORIGIN="https://anyone.example")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


def test_product_list_query_count_does_not_grow_with_products(api):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api("get", f"{LIST}?page-size=100", x_v="5").status_code == 200
        return len(queries)

    make_product("first")
    few = count_queries()
    for i in range(30):
        make_product(f"P{i:02}")
    assert count_queries() == few <= 5


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_products_are_read_only(api, method):
    assert_cdr_error(api(method, LIST, x_v="5"), 405, "GeneralError/Expected")


def test_updated_since_with_an_unencoded_plus_offset(api):
    make_product("new", last_updated=datetime(2026, 6, 1, tzinfo=UTC))
    response = api("get", f"{LIST}?updated-since=2026-01-01T10:00:00+10:00", x_v="5")
    assert [p["name"] for p in response.json()["data"]["products"]] == ["new"]
