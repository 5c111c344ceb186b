"""Purging the authorization server's single-use records once they can no longer matter.

A jti, a request_uri or a pending authorization only has to be remembered while the thing it
guards could still be presented; codes are remembered a day after use so that a late replay
is still recognised (and its tokens revoked). Run hourly by Celery beat.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

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


@transaction.atomic
def oauth_records_purge() -> dict[str, int]:
    now = timezone.now()
    return {
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
