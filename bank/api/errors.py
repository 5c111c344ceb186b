"""Every error this server returns: one class per CDS error code (standards/_errors.md).

The class carries the contract (HTTP status, URN, title); an instance carries the `detail`.
Titles are constant per code, as the standard requires. Where the standard has no code for
a status (401, 405, 406 for Accept, 415, 429), the general `GeneralError/Expected` code is
used with its constant title and a precise `detail`.

`detail` is shown to the caller: it names a parameter, a header or an ID the caller sent,
never a token, secret, account number or internal state.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import status
from rest_framework.exceptions import APIException

_ALL = "urn:au-cds:error:cds-all:"
_BANKING = "urn:au-cds:error:cds-banking:"


class CdrError(APIException):
    """Base for every error we return. Subclasses set cds_code, title and status_code."""

    cds_code: ClassVar[str]
    title: ClassVar[str]
    status_code: int = status.HTTP_400_BAD_REQUEST
    default_detail = ""
    #: For the audit trail only, when known: whose request was refused (security/refusals.py).
    software_product_id: str = ""
    arrangement_id: str = ""

    def __init__(
        self, detail: str | None = None, *, headers: dict[str, str] | None = None,
        reason: str = "",
    ):
        # DRF would turn the detail into an ErrorDetail list; we keep a plain string.
        self.detail = detail if detail is not None else (self.default_detail or self.title)  # type: ignore[assignment]
        self.headers = dict(headers or {})
        #: Why, for the audit trail only (security/refusals.py); never shown to the caller.
        self.reason = reason

    def as_error_object(self) -> dict[str, Any]:
        """The ErrorV2 object (`code`, `title`, `detail` required)."""
        return {"code": self.cds_code, "title": self.title, "detail": str(self.detail)}

    def __str__(self) -> str:
        return f"{self.cds_code}: {self.detail}"


# 4xx / 5xx general -------------------------------------------------------------------
class ExpectedError(CdrError):
    """GeneralError/Expected: an expected 4xx not covered by a more specific code."""

    cds_code = _ALL + "GeneralError/Expected"
    title = "Expected Error Encountered"


class NotAuthenticatedError(ExpectedError):
    """401: no or invalid credentials (standards/_response-codes.md)."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Authentication credentials are missing or invalid."

    def __init__(
        self, detail: str | None = None, *, headers: dict[str, str] | None = None,
        reason: str = "",
    ):
        # RFC 6750 §3: a 401 names the scheme; a token we refuse is an invalid_token.
        super().__init__(
            detail,
            headers=headers or {"WWW-Authenticate": 'Bearer realm="cdr", error="invalid_token"'},
            reason=reason,
        )


class ForbiddenError(ExpectedError):
    """403: the caller is known but this operation is not allowed to it."""

    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "This operation is not permitted."


class MethodNotAllowedError(ExpectedError):
    status_code = status.HTTP_405_METHOD_NOT_ALLOWED


class NotAcceptableError(ExpectedError):
    """406 for an Accept header or charset we cannot produce (not for versions)."""

    status_code = status.HTTP_406_NOT_ACCEPTABLE


class UnsupportedMediaTypeError(ExpectedError):
    """415: a request body that is not application/json."""

    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE


class PayloadTooLargeError(ExpectedError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


class TooManyRequestsError(ExpectedError):
    """429, always with Retry-After (seconds)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS


class UnexpectedError(CdrError):
    """GeneralError/Unexpected: any unhandled failure. Details go to the log only."""

    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    cds_code = _ALL + "GeneralError/Unexpected"
    title = "Unexpected Error Encountered"
    default_detail = (
        "The request could not be completed. Quote the x-fapi-interaction-id when reporting it."
    )


class ServiceUnavailableError(CdrError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    cds_code = _ALL + "Service/Unavailable"
    title = "Service Unavailable"


# 400 ----------------------------------------------------------------------------------
class MissingFieldError(CdrError):
    cds_code = _ALL + "Field/Missing"
    title = "Missing Required Field"


class MissingHeaderError(CdrError):
    cds_code = _ALL + "Header/Missing"
    title = "Missing Required Header"


class InvalidFieldError(CdrError):
    cds_code = _ALL + "Field/Invalid"
    title = "Invalid Field"


class InvalidHeaderError(CdrError):
    cds_code = _ALL + "Header/Invalid"
    title = "Invalid Header"


class InvalidDateTimeError(CdrError):
    cds_code = _ALL + "Field/InvalidDateTime"
    title = "Invalid Date"


class InvalidPageSizeError(CdrError):
    """page-size over the maximum (1000) (standards/_pagination.md)."""

    cds_code = _ALL + "Field/InvalidPageSize"
    title = "Invalid Page Size"


class InvalidVersionError(CdrError):
    """x-v / x-min-v is not a positive integer."""

    cds_code = _ALL + "Header/InvalidVersion"
    title = "Invalid Version"


# 403 ----------------------------------------------------------------------------------
class AdrStatusNotActiveError(CdrError):
    status_code = status.HTTP_403_FORBIDDEN
    cds_code = _ALL + "Authorisation/AdrStatusNotActive"
    title = "ADR Status Is Not Active"


class RevokedConsentError(CdrError):
    status_code = status.HTTP_403_FORBIDDEN
    cds_code = _ALL + "Authorisation/RevokedConsent"
    title = "Consent Is Revoked"


class InvalidConsentError(CdrError):
    status_code = status.HTTP_403_FORBIDDEN
    cds_code = _ALL + "Authorisation/InvalidConsent"
    title = "Consent Is Invalid"


# 404 ----------------------------------------------------------------------------------
class ResourceNotImplementedError(CdrError):
    status_code = status.HTTP_404_NOT_FOUND
    cds_code = _ALL + "Resource/NotImplemented"
    title = "Resource Not Implemented"


class ResourceNotFoundError(CdrError):
    """The URL is not an endpoint of this server."""

    status_code = status.HTTP_404_NOT_FOUND
    cds_code = _ALL + "Resource/NotFound"
    title = "Resource Not Found"
    default_detail = "The requested URL is not an endpoint of this server."


class InvalidResourceError(CdrError):
    """An ID in the URI that is permanently unavailable; `detail` is the ID."""

    status_code: int = status.HTTP_404_NOT_FOUND
    cds_code = _ALL + "Resource/Invalid"
    title = "Invalid Resource"


class UnavailableResourceError(CdrError):
    status_code: int = status.HTTP_404_NOT_FOUND
    cds_code = _ALL + "Resource/Unavailable"
    title = "Unavailable Resource"


class InvalidBankingAccountError(CdrError):
    status_code: int = status.HTTP_404_NOT_FOUND
    cds_code = _BANKING + "Authorisation/InvalidBankingAccount"
    title = "Invalid Banking Account"


class UnavailableBankingAccountError(CdrError):
    status_code: int = status.HTTP_404_NOT_FOUND
    cds_code = _BANKING + "Authorisation/UnavailableBankingAccount"
    title = "Unavailable Banking Account"


# 406 ----------------------------------------------------------------------------------
class UnsupportedVersionError(CdrError):
    status_code = status.HTTP_406_NOT_ACCEPTABLE
    cds_code = _ALL + "Header/UnsupportedVersion"
    title = "Unsupported Version"


# 422 ----------------------------------------------------------------------------------
class InvalidPageError(CdrError):
    """A page past the last one; `detail` is the last page number."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    cds_code = _ALL + "Field/InvalidPage"
    title = "Invalid Page"


class InvalidArrangementError(CdrError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    cds_code = _ALL + "Authorisation/InvalidArrangement"
    title = "Invalid Consent Arrangement"


class InvalidResourceInBodyError(InvalidResourceError):
    """Resource/Invalid for an ID in a request body: 422, not 404 (standards/_errors.md)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class UnavailableResourceInBodyError(UnavailableResourceError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class InvalidBankingAccountInBodyError(InvalidBankingAccountError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class UnavailableBankingAccountInBodyError(UnavailableBankingAccountError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
