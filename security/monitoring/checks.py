"""System checks: every rule has its thresholds, every notifier imports, the webhook is https.

A rule without a threshold would raise at every run, and a notifier that does not import
would be skipped at every alert: both would switch monitoring off quietly, so the bank
refuses to start instead.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

WEBHOOK_NOTIFIER = "security.monitoring.notifiers.webhook_notify"


@checks.register(checks.Tags.security)
def monitoring_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from security.monitoring.rules import RULE_NAMES, WINDOWED_RULES

    problems: list[checks.CheckMessage] = []
    configured = settings.BANK_MONITORING
    for rule in WINDOWED_RULES:
        try:
            rule.severity  # noqa: B018  (validates)
            rule.thresholds()
        except ImproperlyConfigured as exc:
            problems.append(checks.Error(str(exc), id="monitoring.E001"))
    settings_keys = {"webhook_url", "webhook_timeout_seconds"}
    for name in sorted(set(configured) - set(RULE_NAMES) - settings_keys):
        problems.append(checks.Error(
            f"BANK_MONITORING names an unknown rule: {name} (a typo detects nothing).",
            id="monitoring.E002"))
    notifiers = settings.BANK_ALERT_NOTIFIERS
    if not notifiers:
        problems.append(checks.Error("BANK_ALERT_NOTIFIERS is empty: nobody would hear of "
                                     "an alert.", id="monitoring.E003"))
    for path in notifiers:
        try:
            if not callable(import_string(path)):
                raise ImportError(path)
        except ImportError:
            problems.append(checks.Error(f"Alert notifier {path} is not an importable callable.",
                                         id="monitoring.E004"))
    if WEBHOOK_NOTIFIER in notifiers:
        if not str(configured.get("webhook_url") or "").startswith("https://"):
            problems.append(checks.Error(
                "The webhook notifier needs BANK_MONITORING['webhook_url'], an https URL.",
                id="monitoring.E005"))
        timeout = configured.get("webhook_timeout_seconds")
        if not isinstance(timeout, int | float) or not 0 < timeout <= 30:
            problems.append(checks.Error(
                "BANK_MONITORING['webhook_timeout_seconds'] must be between 0 and 30 seconds.",
                id="monitoring.E006"))
    return problems
