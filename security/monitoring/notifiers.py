"""Who hears of a new alert: BANK_ALERT_NOTIFIERS, dotted paths of `notify(alert)` callables.

Shipped: `log_notify` (the default: one WARNING line a SIEM can page on) and `webhook_notify`
(a JSON POST to BANK_MONITORING["webhook_url"], sent by a Celery task with retries, so the
detector never waits on the receiver). A notifier that raises is logged and skipped: the
others, and the detector, go on.

Notifiers run once per alert, when it opens; the finding lines of services.py follow it while
it grows. A webhook may be delivered twice (a retry after a lost response): the receiver can
tell by `alert_id`.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS
from django.utils.module_loading import import_string

from security.monitoring.models import Alert

logger = logging.getLogger("bank.security.alert")


def alert_notify(alert_id: int, *, db: str = DEFAULT_DB_ALIAS) -> None:
    """Hand the alert to every configured notifier; a failing one never stops the others."""
    alert = Alert.objects.using(db).filter(pk=alert_id).first()
    if alert is None:
        return
    for path in settings.BANK_ALERT_NOTIFIERS:
        try:
            import_string(path)(alert)
        except Exception:
            logger.exception("Alert notifier %s failed", path,
                             extra={"event": "security.alert.notifier_failed", "notifier": path,
                                    "alert_id": alert.pk, "rule": alert.rule})


def log_notify(alert: Alert) -> None:
    logger.warning(
        "Security alert %s needs attention", alert.rule,
        extra={"event": "security.alert.notified", "alert_id": alert.pk, "rule": alert.rule,
               "severity": alert.severity, "software_product_id": alert.software_product_id,
               "source_network": alert.source_ip},
    )


def webhook_notify(alert: Alert) -> None:
    """Queue the POST (security.monitoring.tasks.alert_webhook_send); returns at once."""
    from security.monitoring.tasks import alert_webhook_send

    alert_webhook_send.delay(alert.pk)


def alert_webhook_payload(alert: Alert) -> dict[str, Any]:
    """What the receiver gets: the alert's own fields, nothing secret."""
    return {
        "alert_id": alert.pk,
        "rule": alert.rule,
        "severity": alert.severity,
        "status": alert.status,
        "first_seen": alert.first_seen.isoformat(),
        "last_seen": alert.last_seen.isoformat(),
        "count": alert.count,
        "software_product_id": alert.software_product_id,
        "source_network": alert.source_ip,
        "detail": alert.detail,
    }


class WebhookUnavailable(Exception):
    """The receiver could not be reached, or is down or busy (5xx, 429): worth retrying.

    It carries only a reason (an exception's type name, or the HTTP status) and never the
    error it replaces: a requests error quotes the URL (its text, its `.request`), and the
    URL's path is often the receiver's secret, which Celery would log on every retry.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def alert_webhook_post(*, alert: Alert) -> None:
    """POST the alert to the configured URL; raises WebhookUnavailable for the task to
    retry. The URL is never logged, nor put in an error: webhook URLs often carry a secret.
    """
    config = settings.BANK_MONITORING
    url = str(config.get("webhook_url") or "")
    if not url.startswith("https://"):
        # Fail closed: alerts about attacks are not sent in clear text (checks.py refuses it
        # at start-up too).
        raise ImproperlyConfigured("BANK_MONITORING['webhook_url'] must be an https URL.")
    response = _post(url, payload=alert_webhook_payload(alert),
                     timeout=config["webhook_timeout_seconds"])
    if response.status_code == 429 or response.status_code >= 500:
        raise WebhookUnavailable(f"HTTP {response.status_code}")
    if not 200 <= response.status_code < 300:
        # The receiver refuses this alert: sending it again will not change its mind.
        logger.error("Alert webhook refused alert %s", alert.pk,
                     extra={"event": "security.alert.webhook_refused", "alert_id": alert.pk,
                            "status": response.status_code})


def _post(url: str, *, payload: dict[str, Any], timeout: float) -> requests.Response:
    try:
        return requests.post(url, json=payload, timeout=timeout, allow_redirects=False,
                             verify=settings.BANK_OUTBOUND_CA_BUNDLE or True)
    except Exception as exc:  # any error of the POST may quote the URL
        reason = type(exc).__name__
    # Raised outside the except block, so the original is not even its __context__.
    raise WebhookUnavailable(reason) from None
