"""Per-software-product overrides of the rate-limit rules, set by staff in the admin."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from security.recipients.models import SoftwareProduct


class RateLimitOverride(models.Model):
    """One rule's limit for one software product instead of the setting's.

    Takes effect within BANK_RATE_LIMIT_OVERRIDE_TTL seconds on every worker (each process
    reloads the table that often), and is audited when saved or deleted.
    """

    software_product = models.ForeignKey(
        SoftwareProduct, on_delete=models.CASCADE, related_name="rate_limit_overrides"
    )
    rule = models.CharField(max_length=100)
    rate = models.CharField(
        max_length=40, help_text='"N/s", "N/m", "N/h" (rates) or "N/session", "N/day" (quotas)'
    )
    burst = models.PositiveIntegerField(
        null=True, blank=True, help_text="Rates only: calls let through at once (default N)."
    )
    reason = models.CharField(max_length=200, help_text="Why this product needs its own limit.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )

    class Meta:
        ordering = ["software_product", "rule"]
        constraints = [
            models.UniqueConstraint(fields=["software_product", "rule"],
                                    name="rate_limit_override_one_per_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.rate}"

    def as_setting(self) -> object:
        return self.rate if self.burst is None else (self.rate, self.burst)

    def clean(self) -> None:
        from security.throttling.limits import limit_parse
        from security.throttling.policy import configured_limit, rule_names

        if self.rule not in rule_names():
            raise ValidationError({"rule": f"Not a rule. Rules: {', '.join(rule_names())}."})
        try:
            limit = limit_parse(self.as_setting())
        except ValueError as exc:
            raise ValidationError({"rate": str(exc)}) from exc
        if limit.is_quota != configured_limit(self.rule).is_quota:
            kind = ("a quota (N/session or N/day)" if not limit.is_quota
                    else "a rate (N/s, N/m, N/h)")
            raise ValidationError({"rate": f"The rule {self.rule} takes {kind}."})
