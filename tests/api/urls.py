"""A test-only URLconf with small endpoints that exercise each CDR convention."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response

from bank.api.filters import parse_datetime_string
from bank.api.views import PublicCdrApi
from bank.urls import urlpatterns as bank_urlpatterns


class NumbersApi(PublicCdrApi):
    """Serves versions 2 and 3 side by side; pages over 1..N (N from ?count=)."""

    versions = (2, 3)
    query_params = frozenset({"count", "since"})
    paginated = True

    def get(self, request: Request) -> Response:
        from rest_framework import serializers

        class NumberSerializer(serializers.BaseSerializer):  # type: ignore[type-arg]
            def to_representation(self, value: int) -> dict[str, int]:
                key = "number" if self.context["version"] == 3 else "n"
                return {key: value}

        parse_datetime_string(request.query_params.get("since"), name="since")
        count = int(request.query_params.get("count", "60"))
        return self.paginate(list(range(1, count + 1)), NumberSerializer, key="numbers")


class EchoApi(PublicCdrApi):
    versions = (1,)

    def post(self, request: Request) -> Response:
        return Response({"received": request.data})


class BoomApi(PublicCdrApi):
    versions = (1,)

    def get(self, request: Request) -> Response:
        raise RuntimeError("secret internal state: password=hunter2")


class SingleApi(PublicCdrApi):
    versions = (1,)

    def get(self, request: Request) -> Response:
        return Response({"value": "x"})


urlpatterns = [
    path("cds-au/v1/test/numbers", NumbersApi.as_view()),
    path("cds-au/v1/test/echo", EchoApi.as_view()),
    path("cds-au/v1/test/boom", BoomApi.as_view()),
    path("cds-au/v1/test/single", SingleApi.as_view()),
    path("", include(bank_urlpatterns)),
]

handler400 = "bank.api.views.handler400"
handler403 = "bank.api.views.handler403"
handler404 = "bank.api.views.handler404"
handler500 = "bank.api.views.handler500"
