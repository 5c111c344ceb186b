"""Get Status v1 and Get Outages v1 bodies (cds_common.json)."""

from __future__ import annotations

from typing import Any

from bank.api.formatting import datetime_string, duration_string
from bank.api.serializers import CdrSerializer


class StatusOutputSerializer(CdrSerializer):
    """ResponseCommonDiscoveryStatus.data"""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return self.without_empty(
            {
                "status": instance.status,
                "explanation": instance.explanation,
                "detectionTime": datetime_string(instance.detection_time),
                "expectedResolutionTime": datetime_string(instance.expected_resolution_time),
                "updateTime": datetime_string(instance.update_time),
            }
        )


class OutageOutputSerializer(CdrSerializer):
    """DiscoveryOutage"""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {
            "outageTime": datetime_string(instance.outage_time),
            "duration": duration_string(instance.duration),
            "isPartial": instance.is_partial,
            "explanation": instance.explanation,
        }

