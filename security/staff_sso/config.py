"""Whether staff SSO is configured, and the settings the hardening reads."""

from __future__ import annotations

from django.conf import settings

#: Signature algorithms an ID token may use: asymmetric only. "none" and HS* are never
#: accepted, whatever the settings say (an HS* check keyed with a public key is forgeable).
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

#: The session marker the admin gate reads (issue 9 contract).
SECOND_FACTOR_SESSION_KEY = "staff_second_factor"
#: States of sign-ins started as a step-up (re-authentication) in this session.
STEP_UP_STATES_SESSION_KEY = "staff_sso_step_up_states"


def sso_enabled() -> bool:
    """True when the issuer, the client and every endpoint are configured."""
    return all((settings.BANK_STAFF_OIDC_ISSUER, settings.OIDC_RP_CLIENT_ID,
                settings.OIDC_RP_CLIENT_SECRET, settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
                settings.OIDC_OP_TOKEN_ENDPOINT, settings.OIDC_OP_JWKS_ENDPOINT))


def allowed_algorithms() -> frozenset[str]:
    """The configured algorithms that are asymmetric."""
    return frozenset(settings.BANK_STAFF_OIDC_SIGNING_ALGORITHMS) & ASYMMETRIC_ALGORITHMS
