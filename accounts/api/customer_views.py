"""Get Customer v1 and Get Customer Detail v2 (cds_common.json 1.36.0)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors
from accounts.api.customer_serializers import (
    CustomerDetailOutputSerializer,
    CustomerOutputSerializer,
)
from bank.api.views import AuthenticatedCdrApi
from security import scopes


class CustomerApi(AuthenticatedCdrApi):
    versions = (1,)
    required_scopes = (scopes.COMMON_CUSTOMER_BASIC_READ,)

    def get(self, request: Request) -> Response:
        return self.single(selectors.customer_get(context=self.cdr), CustomerOutputSerializer)


class CustomerDetailApi(AuthenticatedCdrApi):
    versions = (2,)
    required_scopes = (scopes.COMMON_CUSTOMER_DETAIL_READ,)

    def get(self, request: Request) -> Response:
        return self.single(selectors.customer_get(context=self.cdr), CustomerDetailOutputSerializer)
