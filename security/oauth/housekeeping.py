"""Purging the authorization server's records once they can no longer matter, and ending
arrangements whose sharing period is over.

A jti, a request_uri or a pending authorization only has to be remembered while the thing it
guards could still be presented; codes are remembered a day after use so that a late replay
is still recognised (and its tokens revoked). Expired tokens, grants and ID tokens are kept a
day (a late use is audited as "expired", not "unknown"), revoked-token digests until the token
would have expired, sessions until Django's expiry. Run hourly by Celery beat.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from security import audit
from security.consent.models import Arrangement, ArrangementStatus
from security.oauth.models import (
    AuthorizationRequest,
    PushedAuthorizationRequest,
    RevokedToken,
    UsedAuthorizationCode,
    UsedClientAssertion,
)

USED_CODE_MEMORY = timedelta(days=1)
EXPIRED_TOKEN_MEMORY = timedelta(days=1)
# Pushed requests and authorizations are kept eight days past expiry: the CDR metrics report
# abandoned consent flows by stage for the current day and the seven before it
# (security/oauth/selectors.py), and investigations need them too.
EXPIRED_REQUEST_MEMORY = timedelta(days=8)


AUTHORIZATION_ABANDONED = "AUTHORIZATION_ABANDONED"
ARRANGEMENT_EXPIRED = "ARRANGEMENT_EXPIRED"


def arrangements_expire(*, now: datetime) -> int:
    """End the ACTIVE arrangements whose sharing period is over: EXPIRED, their tokens
    deleted (they could not be used any more, but nothing should be left behind), one audit
    event each. Access is already refused at the end of sharing (consent/access.py); this
    makes the record say so. Idempotent: only ACTIVE rows are touched, each once."""
    from oauth2_provider.models import AccessToken, RefreshToken

    due = list(Arrangement.objects.filter(
        status=ArrangementStatus.ACTIVE, sharing_expires_at__lte=now
    ).values_list("pk", "software_product__software_product_id", "sharing_expires_at"))
    for pk, software_product_id, ended in due:
        with transaction.atomic():
            if not Arrangement.objects.filter(pk=pk, status=ArrangementStatus.ACTIVE).update(
                    status=ArrangementStatus.EXPIRED):
                continue  # revoked or expired meanwhile
            tokens = (_deleted(AccessToken.objects.filter(binding__arrangement_id=pk))
                      + _deleted(RefreshToken.objects.filter(context__arrangement_id=pk)))
            audit.audit_record(
                actor=audit.Actor.system("arrangements_expire"),
                event_type=ARRANGEMENT_EXPIRED, subject_type="arrangement", subject_id=pk,
                software_product_id=software_product_id, arrangement_id=pk,
                detail={"sharing_ended": ended.isoformat() if ended else "",
                        "deleted_token_rows": tokens},
            )
    return len(due)


def unredeemed_arrangements_expire(*, cutoff: datetime) -> int:
    """End the arrangements a customer approved but whose code the recipient never redeemed:
    once the code is purged nothing could ever use them, and the customer's dashboard must not
    show them as sharing. Only those with no token ever issued; audited."""
    from oauth2_provider.models import AccessToken, RefreshToken

    from security.oauth.models import GrantContext

    candidates = set(GrantContext.objects.filter(grant__expires__lt=cutoff)
                     .values_list("arrangement_id", flat=True))
    ended = 0
    for pk in candidates:
        with transaction.atomic():
            if (AccessToken.objects.filter(binding__arrangement_id=pk).exists()
                    or RefreshToken.objects.filter(context__arrangement_id=pk).exists()
                    or GrantContext.objects.filter(arrangement_id=pk,
                                                   grant__expires__gte=cutoff).exists()):
                continue
            if not Arrangement.objects.filter(
                    pk=pk, status__in=(ArrangementStatus.ACTIVE, ArrangementStatus.PENDING),
                    token_bindings__isnull=True).update(status=ArrangementStatus.EXPIRED):
                continue
            audit.audit_record(
                actor=audit.Actor.system("unredeemed_arrangements_expire"),
                event_type=ARRANGEMENT_EXPIRED, subject_type="arrangement", subject_id=pk,
                arrangement_id=pk, detail={"reason": "code_never_redeemed"})
            ended += 1
    return ended


def _deleted(queryset: Any) -> int:
    """Rows of the queryset's own model deleted (not the rows cascaded with them)."""
    return int(queryset.delete()[1].get(queryset.model._meta.label, 0))


def expired_tokens_purge(*, now: datetime) -> dict[str, int]:
    """Tokens, codes and ID tokens a day past expiry; revoked-token digests past theirs."""
    from django.db.models import Q
    from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

    cutoff = now - EXPIRED_TOKEN_MEMORY
    return {
        "refresh_tokens": _deleted(RefreshToken.objects.filter(
            Q(context__expires_at__lt=cutoff) | Q(revoked__lt=cutoff))),
        "access_tokens": _deleted(AccessToken.objects.filter(expires__lt=cutoff)),
        "grants": _deleted(Grant.objects.filter(expires__lt=cutoff)),
        "id_tokens": _deleted(IDToken.objects.filter(expires__lt=cutoff)),
        "revoked_token_digests": RevokedToken.objects.filter(expires_at__lt=now).delete()[0],
    }


def sessions_purge() -> None:
    """Django's own expired sessions (what `manage.py clearsessions` does)."""
    from importlib import import_module

    from django.conf import settings

    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


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


def oauth_records_purge() -> dict[str, int]:
    now = timezone.now()
    sessions_purge()
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
        "arrangements_expired": arrangements_expire(now=now),
        "unredeemed_arrangements_expired": unredeemed_arrangements_expire(
            cutoff=now - EXPIRED_TOKEN_MEMORY),
        **expired_tokens_purge(now=now),
    }
