"""Get Products v5 and Get Product Detail v7: the public catalogue (cds_banking.json)."""

from __future__ import annotations

import re

from rest_framework.request import Request
from rest_framework.response import Response

from accounts import product_selectors
from accounts.api.product_serializers import (
    ProductDetailOutputSerializer,
    ProductOutputSerializer,
)
from accounts.models import Product
from bank.api import errors
from bank.api.filters import parse_datetime_string, parse_enum, parse_text
from bank.api.views import PublicCdrApi

PRODUCT_CATEGORIES = frozenset(c for c, _ in Product._meta.get_field("category").choices or ())
_PRODUCT_ID = re.compile(r"^[A-Za-z0-9._~-]{1,64}$")


class ProductListApi(PublicCdrApi):
    versions = (5,)
    query_params = frozenset({"effective", "updated-since", "brand", "product-category"})
    paginated = True

    def get(self, request: Request) -> Response:
        params = request.query_params
        filters = product_selectors.ProductFilters(
            effective=parse_enum(
                params.get("effective"),
                name="effective",
                allowed=("ALL", "CURRENT", "FUTURE"),
                default="CURRENT",
            )
            or "CURRENT",
            updated_since=parse_datetime_string(params.get("updated-since"), name="updated-since"),
            brand=parse_text(params.get("brand"), name="brand", max_length=100),
            category=parse_enum(
                params.get("product-category"),
                name="product-category",
                allowed=PRODUCT_CATEGORIES,
            ),
        )
        products = product_selectors.product_list(filters=filters)
        return self.paginate(products, ProductOutputSerializer, key="products")


class ProductDetailApi(PublicCdrApi):
    versions = (7,)

    def get(self, request: Request, product_id: str) -> Response:
        product = (
            product_selectors.product_get(product_id=product_id)
            if _PRODUCT_ID.match(product_id)
            else None
        )
        if product is None:
            # The ID is echoed only when it has the shape of one of ours.
            raise errors.InvalidResourceError(
                product_id if _PRODUCT_ID.match(product_id) else "productId"
            )
        return self.single(product, ProductDetailOutputSerializer)
