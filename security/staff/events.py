"""Audit event types of the staff console (`<ENTITY>_<PAST_TENSE>`, STYLE.md §11)."""

STAFF_LOGIN_SUCCEEDED = "STAFF_LOGIN_SUCCEEDED"
#: The password step failed or was refused (wrong credentials, not staff, too many attempts).
STAFF_LOGIN_FAILED = "STAFF_LOGIN_FAILED"
#: The password was right but the second factor was not (wrong or replayed code, no device,
#: device locked after failures). The code itself is never recorded.
STAFF_MFA_FAILED = "STAFF_MFA_FAILED"
STAFF_MFA_STEPPED_UP = "STAFF_MFA_STEPPED_UP"
STAFF_SESSION_EXPIRED = "STAFF_SESSION_EXPIRED"
STAFF_TOTP_ENROLLED = "STAFF_TOTP_ENROLLED"
STAFF_TOTP_REMOVED = "STAFF_TOTP_REMOVED"
SENSITIVE_DATA_UNMASKED = "SENSITIVE_DATA_UNMASKED"
#: An unmask was refused (not a sensitive field, over the limit, step-up failed).
SENSITIVE_DATA_UNMASK_REFUSED = "SENSITIVE_DATA_UNMASK_REFUSED"
