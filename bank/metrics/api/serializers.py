"""Get Metrics v5 (ResponseMetricsListV5) and Metadata Update (RequestMetaDataUpdateV1).

Every member is listed; CDS names are camelCase, the report's snake_case. currentDay /
previousDays (currentMonth / previousMonths) are conditional: present exactly when the
requested period includes them. The secondary and largeSecondary tiers and secondaryHolder
are conditional too and left out: they measure energy's shared-responsibility requests,
which a bank never makes.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
from typing import Any

from rest_framework import serializers

from bank.metrics.models import Tier

TIERS = tuple(Tier.values)
ABANDONMENT_STAGES = ("preIdentification", "preAuthentication", "preAccountSelection",
                      "preAuthorisation", "rejected", "failedTokenExchange")


class _Rate(serializers.DecimalField):
    """A RateString between 0 and 1, four decimals ("0.9500")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=5, decimal_places=4, coerce_to_string=True,
                         min_value=0, max_value=1, **kwargs)


def _count(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, **kwargs)


class _SeriesSerializer(serializers.Serializer):
    """A report Series as currentDay / previousDays (or ...Month), an absent one left out."""

    def __init__(self, *args: Any, child: serializers.Field, unit: str = "Day",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = copy.deepcopy(child)
        current.source = "current"
        self.fields[f"current{unit}"] = current
        self.fields[f"previous{unit}s"] = serializers.ListField(
            child=copy.deepcopy(child), source="previous")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        return {key: value for key, value in data.items() if value is not None}


def _series(child: serializers.Field, **kwargs: Any) -> _SeriesSerializer:
    return _SeriesSerializer(child=child, **kwargs)


class _KeyedSerializer(serializers.Serializer):
    """Members read from a dict by key: {output name: key} (tiers, authenticated or not)."""

    def __init__(self, *args: Any, keys: dict[str, Hashable], child: serializers.Field,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys = keys
        for name in keys:
            self.fields[name] = copy.deepcopy(child)

    def to_representation(self, instance: dict[Hashable, Any]) -> dict[str, Any]:
        return {name: self.fields[name].to_representation(instance[key])
                for name, key in self.keys.items()}


def _by_tier(child: serializers.Field, **kwargs: Any) -> _KeyedSerializer:
    return _KeyedSerializer(keys={tier: tier for tier in TIERS}, child=child, **kwargs)


class _AvailabilitySerializer(serializers.Serializer):
    aggregate = _series(_Rate(), unit="Month")
    unauthenticated = _series(_Rate(), unit="Month")
    authenticated = _series(_Rate(), unit="Month")


class _PerformanceSerializer(serializers.Serializer):
    """PerformanceMetricsV3: the day's share per day for the aggregate; per tier, hourly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["aggregate"] = _series(_Rate(), source="performance_aggregate")
        self.fields["tiers"] = _by_tier(_series(serializers.ListField(child=_Rate())),
                                        source="performance")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        return {"aggregate": data["aggregate"], **data["tiers"]}


class _ByAuthenticationSerializer(serializers.Serializer):
    """aggregate / unauthenticated / authenticated, each a day series of `child`."""

    def __init__(self, *args: Any, child: serializers.Field, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("aggregate", "unauthenticated", "authenticated"):
            self.fields[name] = _series(child)


class _ErrorsSerializer(serializers.Serializer):
    aggregate = _series(_count())
    unauthenticated = _series(serializers.DictField(child=_count()))
    authenticated = _series(serializers.DictField(child=_count()))


class _ByCustomerTypeSerializer(serializers.Serializer):
    individual = _count()
    nonIndividual = _count(source="non_individual")


class _NewAuthorisationsSerializer(serializers.Serializer):
    onceOff = _ByCustomerTypeSerializer(source="once_off")
    ongoing = _ByCustomerTypeSerializer()


class _AuthorisationsSerializer(serializers.Serializer):
    activeAuthorisationCount = _ByCustomerTypeSerializer(source="active")
    newAuthorisationCount = _series(_NewAuthorisationsSerializer(), source="new")
    revokedAuthorisationCount = _series(_ByCustomerTypeSerializer(), source="revoked")
    amendedAuthorisationCount = _series(_ByCustomerTypeSerializer(), source="amended")
    expiredAuthorisationCount = _series(_ByCustomerTypeSerializer(), source="expired")
    abandonedConsentFlowCount = _series(_count(), source="abandoned")
    abandonmentsByStage = _KeyedSerializer(
        keys={stage: stage for stage in ABANDONMENT_STAGES}, child=_series(_count()),
        source="abandoned_by_stage")


class MetricsOutputSerializer(serializers.Serializer):
    """ResponseMetricsListV5.data, from a report.MetricsReport."""

    requestTime = serializers.DateTimeField(source="request_time")
    availability = _AvailabilitySerializer()
    performance = _PerformanceSerializer(source="*")
    invocations = _by_tier(_series(_count()))
    averageResponse = _by_tier(
        _series(serializers.FloatField(min_value=0)), source="average_response")
    sessionCount = _series(_count(), source="session_count")
    averageTps = _ByAuthenticationSerializer(
        child=serializers.FloatField(min_value=0), source="average_tps")
    peakTps = _ByAuthenticationSerializer(
        child=serializers.FloatField(min_value=0), source="peak_tps")
    # `errors` is added in get_fields: as a class attribute it would hide Serializer.errors.
    rejections = _KeyedSerializer(
        keys={"authenticated": True, "unauthenticated": False}, child=_series(_count()))
    customerCount = _count(source="customer_count")
    recipientCount = _count(source="recipient_count")
    authorisations = _AuthorisationsSerializer()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        order = list(fields)
        order.insert(order.index("rejections"), "errors")
        fields["errors"] = _ErrorsSerializer()
        return {name: fields[name] for name in order}
