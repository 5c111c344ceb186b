"""Why a staff sign-in was refused: a reason class for the audit trail, nothing from the token."""

from __future__ import annotations


class StaffSsoRefusedError(Exception):
    """The sign-in is refused; `reason` is one of the constants below."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


STATE = "state"                    # unknown, reused or missing state (replay, CSRF)
IDP_ERROR = "idp_error"            # the IdP answered with an error
TOKEN_EXCHANGE = "token_exchange"  # noqa: S105  (a reason, not a secret): token endpoint failed
MALFORMED = "malformed"            # no ID token, or not a JWS
ALGORITHM = "algorithm"            # alg not among the configured asymmetric ones
SIGNATURE = "signature"            # unknown key or bad signature
ISSUER = "issuer"
AUDIENCE = "audience"              # aud without our client id, or azp not ours
EXPIRED = "expired"                # exp passed, or iat in the future
CLAIMS = "claims"                  # a required claim missing or malformed
NONCE = "nonce"
MFA = "mfa"                        # no configured amr / acr value
UNKNOWN_SUBJECT = "unknown_subject"  # no StaffIdentity for iss + sub
NOT_STAFF = "not_staff"            # mapped user inactive or not staff
STEP_UP = "step_up"                # auth_time not fresh, or another user
