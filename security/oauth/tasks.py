"""Celery entry points of the authorization server (STYLE.md §9): load by id, call a service.

Task arguments are primary keys only: brokers and result backends get logged, so no token,
JWT or cdr_arrangement_id travels through them.
"""

from __future__ import annotations

from typing import Any

import requests

from bank.celery import DATABASE_UNAVAILABLE, RETRY_ON_DATABASE_OUTAGE, app
from security.consent.models import Arrangement
from security.kms import KeyManagerError
from security.oauth import notifications


class _NoticeTask(app.Task):
    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        arrangement_id = kwargs.get("arrangement_id", args[0] if args else None)
        if isinstance(arrangement_id, int):
            notifications.arrangement_revocation_notice_abandon(
                arrangement_id=arrangement_id, reason=type(exc).__name__
            )


@app.task(
    base=_NoticeTask,
    # The recipient unreachable, or the HSM that signs the notice briefly not (a lost PKCS#11
    # session): both pass; the notice is only abandoned after the retries.
    # The database too (the arrangement is read, the outcome audited): not idempotent (a
    # retry after a delivered notice sends it again, which the recipient answers with 422),
    # but a notice sent twice beats a notice never sent.
    autoretry_for=(requests.RequestException, KeyManagerError, *DATABASE_UNAVAILABLE),
    max_retries=5,
    retry_backoff=30,  # 30 s, 60 s, 120 s... (doubling, with jitter)
    retry_backoff_max=600,
    retry_jitter=True,
    acks_late=True,
    # Two signatures (the HSM) and one POST of at most 10 s connecting and 10 s reading.
    soft_time_limit=45,
    time_limit=60,
)
def arrangement_revocation_notify(arrangement_id: int) -> None:
    """Tell the recipient that arrangement `arrangement_id` was revoked at the bank."""
    arrangement = (
        Arrangement.objects.select_related("software_product").filter(pk=arrangement_id).first()
    )
    if arrangement is None:
        return  # deleted since (demo reset): nobody left to tell
    notifications.arrangement_revocation_notice_send(arrangement=arrangement)


@app.task(soft_time_limit=100, time_limit=120, acks_late=True, **RETRY_ON_DATABASE_OUTAGE)
def oauth_records_purge() -> dict[str, int]:
    """Hourly: forget single-use records (jti, request_uri, used codes) past their use."""
    from security.oauth import housekeeping

    return housekeeping.oauth_records_purge()
