"""Get Status and Get Outages: public, unauthenticated, CORS-open (cds_common.json)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from bank.api.views import PublicCdrApi
from bank.discovery import selectors
from bank.discovery.api.serializers import OutageOutputSerializer, StatusOutputSerializer


class StatusGetApi(PublicCdrApi):
    versions = (1,)

    def get(self, request: Request) -> Response:
        return self.single(selectors.service_status_get(), StatusOutputSerializer)


class OutageListApi(PublicCdrApi):
    versions = (1,)

    def get(self, request: Request) -> Response:
        outages = OutageOutputSerializer(selectors.outage_list_upcoming(), many=True).data
        return Response({"outages": outages})
