"""Read-only questions about the authorization server's records (for metrics and staff)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from security.oauth.authorization import AUTHORIZATION_CODE_LIFETIME
from security.oauth.models import AuthorizationRequest

Stage = AuthorizationRequest.Stage

#: CDS Get Metrics `abandonmentsByStage` members, in the standard's order.
ABANDONMENT_STAGES = (
    Stage.IDENTIFICATION, Stage.AUTHENTICATION, Stage.ACCOUNT_SELECTION, Stage.AUTHORISATION,
    Stage.REJECTED, Stage.CODE_ISSUED,
)


def authorization_abandonments_by_stage(
    *, since: datetime, until: datetime, now: datetime | None = None
) -> dict[str, int]:
    """Consent flows started in [since, until) that did not end in tokens, per CDS stage name
    (preIdentification ... failedTokenExchange). A flow still in progress at `now` (pending
    and unexpired, or a code that can still be redeemed) is not counted; each abandoned flow
    counts once, at the stage it last reached."""
    now = now or timezone.now()
    finished_page = Q(stage__in=ABANDONMENT_STAGES[:4]) & (
        ~Q(status=AuthorizationRequest.Status.PENDING) | Q(expires_at__lte=now)
    )
    unredeemed = Q(stage=Stage.CODE_ISSUED, decided_at__lte=now - AUTHORIZATION_CODE_LIFETIME)
    rows = (
        AuthorizationRequest.objects.filter(created_at__gte=since, created_at__lt=until)
        .filter(finished_page | Q(stage=Stage.REJECTED) | unredeemed)
        .values("stage")
        .annotate(count=Count("pk"))
    )
    counts = {row["stage"]: row["count"] for row in rows}
    return {Stage(stage).label: counts.get(stage, 0) for stage in ABANDONMENT_STAGES}
