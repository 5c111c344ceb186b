"""Celery entry points of the authorization server (STYLE.md §9): load by id, call a service.

Task arguments are primary keys only: brokers and result backends get logged, so no token,
JWT or cdr_arrangement_id travels through them.
"""

from __future__ import annotations

from typing import Any

import requests

from bank.celery import app
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
    autoretry_for=(requests.RequestException, KeyManagerError),
    max_retries=5,
    retry_backoff=30,  # 30 s, 60 s, 120 s... (doubling, with jitter)
    retry_backoff_max=600,
    retry_jitter=True,
    acks_late=True,
)
def arrangement_revocation_notify(arrangement_id: int) -> None:
    """Tell the recipient that arrangement `arrangement_id` was revoked at the bank."""
    arrangement = (
        Arrangement.objects.select_related("software_product").filter(pk=arrangement_id).first()
    )
    if arrangement is None:
        return  # deleted since (demo reset): nobody left to tell
    notifications.arrangement_revocation_notice_send(arrangement=arrangement)


@app.task
def oauth_records_purge() -> dict[str, int]:
    """Hourly: forget single-use records (jti, request_uri, used codes) past their use."""
    from security.oauth import housekeeping

    return housekeeping.oauth_records_purge()
