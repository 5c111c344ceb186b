"""The staff SSO authentication backend: mozilla-django-oidc, hardened.

The library exchanges the code (with the PKCE verifier and the nonce it kept under the
state) and calls us back for the ID token and the user. We replace both: the token is
checked by id_token.py, and the user is found by issuer + subject in StaffIdentity, never
by email, never created, and only if active staff (and, when configured, signed in at the
IdP with MFA). A refusal raises StaffSsoRefusedError, which the callback view turns into an
audited refusal page.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from security.staff_sso import errors
from security.staff_sso.config import sso_enabled
from security.staff_sso.errors import StaffSsoRefusedError
from security.staff_sso.id_token import id_token_auth_time, id_token_verify
from security.staff_sso.models import StaffIdentity


def _has_mfa(claims: dict[str, Any]) -> bool:
    wanted = set(settings.BANK_STAFF_OIDC_MFA_VALUES)
    if not wanted:
        return True
    amr = claims.get("amr")
    amr_values = {v for v in amr if isinstance(v, str)} if isinstance(amr, list) else set()
    return bool(wanted & amr_values) or claims.get("acr") in wanted


def _check_step_up(request: HttpRequest, claims: dict[str, Any], user: Any) -> None:
    """A step-up re-authenticates the member of staff already signed in, just now."""
    auth_time = claims.get("auth_time")
    now = time.time()
    fresh = (isinstance(auth_time, int | float)
             and now - settings.BANK_STAFF_OIDC_STEP_UP_MAX_AGE_SECONDS <= auth_time
             <= now + settings.BANK_STAFF_OIDC_LEEWAY_SECONDS)
    if not fresh or request.user.pk != user.pk:
        raise StaffSsoRefusedError(errors.STEP_UP)


class StaffOidcBackend(OIDCAuthenticationBackend):
    """Authenticates only the callback of a sign-in this session started."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        # Answer only the callback view's call (it passes the nonce and PKCE verifier it kept):
        # a password login to a URL carrying ?code=&state= must not reach the token endpoint.
        if request is None or not sso_enabled() or not kwargs.get("nonce"):
            return None
        if not kwargs.get("code_verifier"):
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: Any, **kwargs: Any) -> dict[str, Any]:
        return id_token_verify(token=token, expected_nonce=kwargs.get("nonce"))

    def get_or_create_user(self, access_token: str, id_token: str,
                           payload: dict[str, Any]) -> Any:
        identity = (StaffIdentity.objects.select_related("user")
                    .filter(issuer=payload["iss"], subject=payload["sub"]).first())
        if identity is None:
            raise StaffSsoRefusedError(errors.UNKNOWN_SUBJECT)
        user = identity.user
        if not (user.is_active and user.is_staff):
            raise StaffSsoRefusedError(errors.NOT_STAFF)
        if not _has_mfa(payload):
            raise StaffSsoRefusedError(errors.MFA)
        if getattr(self.request, "staff_sso_step_up", False):
            _check_step_up(self.request, payload, user)
        # For the callback view: the audit event and the session's marker.
        self.request.staff_sso_identity_id = identity.pk
        self.request.staff_sso_auth_time = id_token_auth_time(payload)
        return user
