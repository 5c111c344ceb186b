"""Telling a data recipient that an arrangement was revoked at the bank (CDS
security/endpoints/_cdr_arrangement_revocation.md, "Data Recipient hosted endpoint").

POST `<RecipientBaseUri>/arrangements/revoke`, form-encoded, with:
- `cdr_arrangement_jwt`: a JWT signed by the bank (PS256) carrying `cdr_arrangement_id` and
  the self-signed JWT claims (iss = sub = the holder's client ID, aud = that URL, iat, exp,
  jti), the "CDR Arrangement JWT method" holders MUST use since 31 July 2022;
- `Authorization: Bearer <self-signed JWT>` (security/_client_authentication.md, "Data Holders
  calling Data Recipients": iss = sub = the holder's ID, aud = the endpoint's resource path).

Both JWTs are made afresh for every attempt: their `jti` is single use at the recipient, so a
retry with the old ones would be refused as a replay. Transport is TLS (not mTLS) to the
recipient, verified against BANK_OUTBOUND_CA_BUNDLE or the system's CAs.
"""

from __future__ import annotations

import logging
import time
import uuid

import requests
from django.conf import settings

from security import audit, outbound
from security.consent.models import Arrangement, ArrangementStatus
from security.oauth.endpoints import issuer
from security.oauth.jose import sign
from security.oauth.models import ClientRegistration

logger = logging.getLogger(__name__)

ARRANGEMENT_REVOCATION_NOTIFIED = "ARRANGEMENT_REVOCATION_NOTIFIED"
ARRANGEMENT_REVOCATION_NOTICE_FAILED = "ARRANGEMENT_REVOCATION_NOTICE_FAILED"

REVOCATION_PATH = "/arrangements/revoke"
JWT_LIFETIME = 300  # seconds; as the CDS examples (exp - iat = 300)
TIMEOUT = 10  # seconds for the whole call
ANY_STATUS = frozenset(range(100, 600))


class RecipientUnavailable(requests.RequestException):
    """5xx or 429 from the recipient: worth trying again later."""


def holder_client_id() -> str:
    """The `iss`/`sub` of JWTs the bank signs for recipients.

    CDS: the Data Holder Brand ID the Register issued (BANK_DATA_HOLDER_BRAND_ID); the demo,
    which has none, uses the issuer URL.
    """
    return settings.BANK_DATA_HOLDER_BRAND_ID or issuer()


def recipient_revocation_url(*, arrangement: Arrangement) -> str | None:
    """`<RecipientBaseUri>/arrangements/revoke` of the arrangement's software product."""
    registration = (
        ClientRegistration.objects.filter(
            software_product_id=arrangement.software_product_id,
            status=ClientRegistration.Status.ACTIVE,
        )
        .exclude(recipient_base_uri="")
        .first()
    )
    if registration is None:
        return None
    base = registration.recipient_base_uri.rstrip("/")
    if not base.startswith("https://") and not settings.BANK_ALLOW_HTTP_CLIENT_URIS:
        return None
    return base + REVOCATION_PATH


def _self_signed(*, audience: str, extra: dict[str, str] | None = None) -> str:
    holder, now = holder_client_id(), int(time.time())
    claims = {
        "iss": holder, "sub": holder, "aud": audience, "iat": now, "exp": now + JWT_LIFETIME,
        "jti": str(uuid.uuid4()), **(extra or {}),
    }
    return sign(claims, alg="PS256", typ="JWT")


def arrangement_revocation_notice_send(*, arrangement: Arrangement) -> None:
    """One attempt to tell the recipient. Raises a requests exception when a retry may
    help (network, timeout, 5xx, 429); records and gives up when it cannot (other 4xx)."""
    actor = audit.Actor.system("arrangement-revocation-notice")
    if arrangement.status != ArrangementStatus.REVOKED:
        return  # only a revoked arrangement is ever announced
    url = recipient_revocation_url(arrangement=arrangement)
    if url is None:
        audit.audit_record(
            actor=actor, event_type=ARRANGEMENT_REVOCATION_NOTICE_FAILED,
            outcome=audit.Outcome.FAILURE, subject_type="arrangement",
            subject_id=arrangement.pk, detail={"reason": "no recipient_base_uri"},
        )
        return
    arrangement_jwt = _self_signed(
        audience=url, extra={"cdr_arrangement_id": arrangement.cdr_arrangement_id}
    )
    try:
        # security/outbound.py: a public address only (a recipient_base_uri on the bank's
        # own network is refused), no redirect (it would carry the bearer JWT elsewhere).
        answer = outbound.call(
            "POST", url, expect=ANY_STATUS, max_bytes=0, deadline=TIMEOUT, read_body=False,
            data={"cdr_arrangement_jwt": arrangement_jwt},
            headers={"Authorization": f"Bearer {_self_signed(audience=url)}"},
            verify=settings.BANK_OUTBOUND_CA_BUNDLE or True)
    except outbound.OutboundRefused as exc:
        audit.audit_record(
            actor=actor, event_type=ARRANGEMENT_REVOCATION_NOTICE_FAILED,
            outcome=audit.Outcome.FAILURE, subject_type="arrangement",
            subject_id=arrangement.pk, detail={"reason": f"destination refused: {exc}"},
        )
        return
    status = answer.status
    if status >= 500 or status == 429:
        raise RecipientUnavailable(f"recipient answered {status}")
    outcome = audit.Outcome.SUCCESS if 200 <= status < 300 else audit.Outcome.FAILURE
    audit.audit_record(
        actor=actor,
        event_type=(
            ARRANGEMENT_REVOCATION_NOTIFIED
            if outcome == audit.Outcome.SUCCESS
            else ARRANGEMENT_REVOCATION_NOTICE_FAILED
        ),
        outcome=outcome, subject_type="arrangement", subject_id=arrangement.pk,
        detail={"status": status},
    )


def arrangement_revocation_notice_abandon(*, arrangement_id: int, reason: str) -> None:
    """Every retry failed: leave a trace for operations (the recipient may still be using
    the arrangement's data, so a human follows up)."""
    logger.error(
        "arrangement revocation notice abandoned", extra={"arrangement_pk": arrangement_id}
    )
    audit.audit_record(
        actor=audit.Actor.system("arrangement-revocation-notice"),
        event_type=ARRANGEMENT_REVOCATION_NOTICE_FAILED, outcome=audit.Outcome.FAILURE,
        subject_type="arrangement", subject_id=arrangement_id,
        detail={"reason": reason, "retries_exhausted": True},
    )
