"""Writes on the bank's copy of the CDR Register: recipients, software products, statuses.

Two sources feed it:

- a software statement (SSA) at dynamic client registration, which names the product, its
  brand and its legal entity (`software_product_record`);
- the Register's status endpoints (cds_register.json getDataRecipientsStatuses and
  getSoftwareProductsStatuses, x-v 3), polled every few minutes
  (`recipient_statuses_refresh`). CDS: a holder must stop disclosing within 5 minutes of the
  Register marking a recipient or product not active; the resource API then answers 403
  Authorisation/AdrStatusNotActive (security/consent/access.py).

Every change a security reviewer cares about (a new product, a status change) is audited in
the same transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from security import audit, outbound
from security.recipients.models import (
    DataRecipient,
    RecipientStatus,
    SoftwareProduct,
    SoftwareProductStatus,
)

logger = logging.getLogger(__name__)

SOFTWARE_PRODUCT_RECORDED = "SOFTWARE_PRODUCT_RECORDED"
RECIPIENT_STATUS_CHANGED = "RECIPIENT_STATUS_CHANGED"
SOFTWARE_PRODUCT_STATUS_CHANGED = "SOFTWARE_PRODUCT_STATUS_CHANGED"

STATUS_API_VERSION = "3"
_TIMEOUT = 10
#: The Register's status lists are a few hundred KB at most; far more is not the Register.
REGISTER_MAX_BYTES = 5 * 1024 * 1024
_SYNC_ACTOR = audit.Actor.system("register_status_poll")


class SoftwareProductConflictError(Exception):
    """The software product is already known under another legal entity."""


class RegisterUnavailableError(Exception):
    """The Register's status endpoints could not be read; nothing was changed."""


@transaction.atomic
def software_product_record(
    *,
    software_product_id: str,
    name: str,
    brand_name: str,
    legal_entity_id: str,
    legal_entity_name: str,
    actor: audit.Actor,
) -> SoftwareProduct:
    """The product (and its recipient) as a software statement describes them.

    Names are refreshed; statuses are not: they come from the Register's status endpoints
    only, so a stale SSA cannot re-activate a product the Register has since deactivated.
    """
    recipient = (
        DataRecipient.objects.select_for_update().filter(legal_entity_id=legal_entity_id).first()
    )
    if recipient is None:
        recipient = DataRecipient(legal_entity_id=legal_entity_id,
                                  legal_entity_name=legal_entity_name)
        recipient.full_clean()
        recipient.save()
    elif recipient.legal_entity_name != legal_entity_name:
        recipient.legal_entity_name = legal_entity_name
        recipient.full_clean()
        recipient.save(update_fields=["legal_entity_name", "updated_at"])
    product = (
        SoftwareProduct.objects.select_for_update()
        .filter(software_product_id=software_product_id)
        .first()
    )
    if product is not None and product.recipient_id != recipient.pk:
        raise SoftwareProductConflictError(
            "The software product belongs to another data recipient."
        )
    created = product is None
    if product is None:
        product = SoftwareProduct(software_product_id=software_product_id, recipient=recipient)
    product.name, product.brand_name = name, brand_name
    product.full_clean()
    product.save()
    if created:
        audit.audit_record(
            actor=actor, event_type=SOFTWARE_PRODUCT_RECORDED, subject_type="software_product",
            subject_id=product.pk,
            detail={"software_product_id": software_product_id,
                    "legal_entity_id": legal_entity_id},
        )
    return product


# Register status polling -----------------------------------------------------------------
@dataclass(frozen=True)
class StatusRefreshResult:
    recipients_changed: int
    products_changed: int


def recipient_statuses_refresh() -> StatusRefreshResult:
    """Read both Register status lists, then apply them in one transaction.

    The HTTP calls happen before any transaction opens, so a slow Register never holds
    database locks; a failed call changes nothing (the previous statuses stand until the next
    poll, and the task retries).
    """
    base = str(settings.BANK_REGISTER_BASE_URL).rstrip("/")
    if not base:
        raise ImproperlyConfigured("Set BANK_REGISTER_BASE_URL to poll the Register's statuses.")
    recipients = _register_list(f"{base}/cdr-register/v1/all/data-recipients/status")
    products = _register_list(
        f"{base}/cdr-register/v1/all/data-recipients/brands/software-products/status"
    )
    return _statuses_apply(
        recipients=_statuses(recipients, "legalEntityId", RecipientStatus.values),
        products=_statuses(products, "softwareProductId", SoftwareProductStatus.values),
    )


def _register_list(url: str) -> list[Any]:
    if not url.startswith("https://") and not settings.BANK_ALLOW_HTTP_CLIENT_URIS:
        raise ImproperlyConfigured("BANK_REGISTER_BASE_URL must be https.")
    try:
        # The Register's URL is the operator's (no address rule), but its answer is bounded:
        # 200 only (never a redirect's body), at most REGISTER_MAX_BYTES, within _TIMEOUT.
        answer = outbound.call(
            "GET", url, max_bytes=REGISTER_MAX_BYTES, deadline=_TIMEOUT, check_address=False,
            headers={"Accept": "application/json", "x-v": STATUS_API_VERSION},
            verify=settings.BANK_OUTBOUND_CA_BUNDLE or True)
        body = json.loads(answer.body)
    except (outbound.OutboundRefused, requests.RequestException, ValueError) as exc:
        raise RegisterUnavailableError(f"{url}: {type(exc).__name__}") from exc
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise RegisterUnavailableError(f"{url}: no data list in the response")
    return data


def _statuses(rows: list[Any], id_field: str, allowed: list[str]) -> dict[str, str]:
    """id -> status, keeping only well-formed rows with a status the spec defines."""
    found: dict[str, str] = {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        key, status = row.get(id_field), row.get("status")
        if isinstance(key, str) and status in allowed:
            found[key] = status
        else:
            # Ignored rather than guessed: an unknown status must not reactivate anything.
            logger.warning("Register status row ignored", extra={"id_field": id_field})
    return found


@transaction.atomic
def _statuses_apply(
    *, recipients: dict[str, str], products: dict[str, str]
) -> StatusRefreshResult:
    recipients_changed = 0
    for recipient in DataRecipient.objects.select_for_update().filter(
        legal_entity_id__in=recipients
    ):
        new = recipients[recipient.legal_entity_id]
        if recipient.status != new:
            old, recipient.status = recipient.status, new
            recipient.save(update_fields=["status", "updated_at"])
            recipients_changed += 1
            audit.audit_record(
                actor=_SYNC_ACTOR, event_type=RECIPIENT_STATUS_CHANGED,
                subject_type="data_recipient", subject_id=recipient.pk,
                detail={"legal_entity_id": recipient.legal_entity_id, "from": old, "to": new},
            )
    products_changed = 0
    for product in SoftwareProduct.objects.select_for_update().filter(
        software_product_id__in=products
    ):
        new = products[product.software_product_id]
        if product.status != new:
            old, product.status = product.status, new
            product.save(update_fields=["status", "updated_at"])
            products_changed += 1
            audit.audit_record(
                actor=_SYNC_ACTOR, event_type=SOFTWARE_PRODUCT_STATUS_CHANGED,
                subject_type="software_product", subject_id=product.pk,
                detail={"software_product_id": product.software_product_id, "from": old,
                        "to": new},
            )
    return StatusRefreshResult(recipients_changed=recipients_changed,
                               products_changed=products_changed)
