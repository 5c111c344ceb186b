"""Purging the authorization server's single-use records once they can no longer matter.

A jti, a request_uri or a pending authorization only has to be remembered while the thing it
guards could still be presented; codes are remembered a day after use so that a late replay
is still recognised (and its tokens revoked). Run hourly by Celery beat.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from security import audit
from security.oauth.models import (
    AuthorizationRequest,
    PushedAuthorizationRequest,
    UsedAuthorizationCode,
    UsedClientAssertion,
)

USED_CODE_MEMORY = timedelta(days=1)
# Pushed requests and authorizations are kept eight days past expiry: the CDR metrics report
# abandoned consent flows by stage for the current day and the seven before it
# (security/oauth/selectors.py), and investigations need them too.
EXPIRED_REQUEST_MEMORY = timedelta(days=8)


AUTHORIZATION_ABANDONED = "AUTHORIZATION_ABANDONED"


def authorization_requests_expire(*, now: datetime) -> int:
    """Close the consent flows nobody finished: PENDING past their expiry become EXPIRED,
    each with an audit event naming the stage it was abandoned at (no customer data: the
    stage, the software product)."""
    abandoned = list(
        AuthorizationRequest.objects.filter(
            status=AuthorizationRequest.Status.PENDING, expires_at__lte=now
        ).select_related("pushed__registration__software_product")
    )
    for authorization in abandoned:
        closed = AuthorizationRequest.objects.filter(
            pk=authorization.pk, status=AuthorizationRequest.Status.PENDING
        ).update(status=AuthorizationRequest.Status.EXPIRED)
        if closed:
            audit.audit_record(
                actor=audit.Actor.system("oauth_records_purge"),
                event_type=AUTHORIZATION_ABANDONED, outcome=audit.Outcome.FAILURE,
                subject_type="authorization_request", subject_id=authorization.pk,
                detail={
                    "stage": AuthorizationRequest.Stage(authorization.stage).label,
                    "software_product_id":
                        authorization.pushed.registration.software_product.software_product_id,
                },
            )
    return len(abandoned)


@transaction.atomic
def oauth_records_purge() -> dict[str, int]:
    now = timezone.now()
    return {
        "authorizations_abandoned": authorization_requests_expire(now=now),
        "client_assertions": UsedClientAssertion.objects.filter(expires_at__lt=now).delete()[0],
        "authorization_requests": AuthorizationRequest.objects.filter(
            expires_at__lt=now - EXPIRED_REQUEST_MEMORY
        ).delete()[0],
        "pushed_requests": PushedAuthorizationRequest.objects.filter(
            expires_at__lt=now - EXPIRED_REQUEST_MEMORY
        ).delete()[0],
        "used_codes": UsedAuthorizationCode.objects.filter(
            used_at__lt=now - USED_CODE_MEMORY
        ).delete()[0],
    }
