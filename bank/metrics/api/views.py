"""The CDR admin API, called only by the CDR Register (cds_admin.json, x-restricted-access).

Both endpoints sit on the mTLS listener (AdminBaseUri, security/listeners.py) and accept only
the Register's certificate-bound client-credentials token with the endpoint's admin scope
(bank/metrics/api/authentication.py).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from bank.api.filters import parse_enum
from bank.api.views import BaseCdrApi
from bank.metrics.api.authentication import RegisterTokenAuthentication
from bank.metrics.api.bodies import parse_metadata_update
from bank.metrics.api.serializers import MetricsOutputSerializer
from bank.metrics.periods import Period
from bank.metrics.report import metrics_report
from bank.metrics.services import recipient_metadata_refresh_request
from security import audit
from security.permissions import HasCdrScope
from security.throttling.policy import Operation

#: CDS admin scopes (standards/_scopes.md.erb); the Register's token carries only these
#: (security/oauth/register_client.py ADMIN_SCOPES).
ADMIN_METRICS_BASIC_READ = "admin:metrics.basic:read"
ADMIN_METADATA_UPDATE = "admin:metadata:update"


class _RegisterApi(BaseCdrApi):
    authentication_classes = (RegisterTokenAuthentication,)
    permission_classes = (HasCdrScope,)
    # Limited like the other client calls: per client certificate and per client.
    operation = Operation.CLIENT_CALL


class MetricsGetApi(_RegisterApi):
    """Get Metrics (v5)."""

    versions = (5,)
    query_params = frozenset({"period"})
    required_scopes = (ADMIN_METRICS_BASIC_READ,)

    def get(self, request: Request) -> Response:
        period = parse_enum(request.query_params.get("period"), name="period",
                            allowed=Period.__members__, default=Period.ALL)
        # requestTime is the instant every figure of the body is computed at ("so far today").
        report = metrics_report(period=Period(period or Period.ALL), now=timezone.now())
        return Response(MetricsOutputSerializer(report).data)


class MetadataUpdateApi(_RegisterApi):
    """Metadata Update (v1): refresh the recipients' statuses from the Register now."""

    versions = (1,)
    required_scopes = (ADMIN_METADATA_UPDATE,)

    def post(self, request: Request) -> Response:
        parse_metadata_update(request.data)
        recipient_metadata_refresh_request(
            actor=audit.Actor(audit.ActorType.CLIENT, settings.BANK_REGISTER_CLIENT_ID))
        # cds_admin.json: 200 with no body schema; nothing to say beyond the status.
        return Response(status=200)
