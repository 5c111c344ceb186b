"""System checks: staff SSO never starts with an algorithm list that lets a token be forged,
nor, outside dev and test, without requiring MFA at the IdP (the console's second factor)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from security.staff_sso.config import ASYMMETRIC_ALGORITHMS, sso_enabled

#: Where SSO may run without an MFA requirement (a local test IdP).
_ENVIRONMENTS_WITHOUT_MFA = frozenset({"dev", "test"})


@checks.register(checks.Tags.security)
def check_staff_sso_algorithms(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not sso_enabled():
        return []
    configured = set(settings.BANK_STAFF_OIDC_SIGNING_ALGORITHMS)
    refused = sorted(configured - ASYMMETRIC_ALGORITHMS)
    errors: list[checks.CheckMessage] = []
    if refused or not configured:
        errors.append(checks.Error(
            f"BANK_STAFF_OIDC_SIGNING_ALGORITHMS may list asymmetric algorithms only; "
            f"refused: {refused or 'an empty list'}", id="staff_sso.E001"))
    if not settings.OIDC_USE_PKCE or not settings.OIDC_USE_NONCE or settings.OIDC_CREATE_USER:
        errors.append(checks.Error(
            "staff SSO needs OIDC_USE_PKCE and OIDC_USE_NONCE on and OIDC_CREATE_USER off",
            id="staff_sso.E002"))
    if (not settings.BANK_STAFF_OIDC_MFA_VALUES
            and settings.BANK_ENVIRONMENT not in _ENVIRONMENTS_WITHOUT_MFA):
        # An empty list accepts any IdP sign-in (a password) as the console's second factor.
        errors.append(checks.Error(
            "BANK_STAFF_OIDC_MFA_VALUES is empty: list the amr (RFC 8176) or acr values that "
            "show the IdP used MFA", id="staff_sso.E003"))
    return errors
