"""The CDS 1.36.0 error table (standards/_errors.md): code -> constant title.

Copied from the standard, not from bank/api/errors.py, so that a wrong title in the code under
test is caught rather than mirrored.
"""

_ALL = "urn:au-cds:error:cds-all:"
_BANKING = "urn:au-cds:error:cds-banking:"

TITLES = {
    _ALL + "GeneralError/Expected": "Expected Error Encountered",
    _ALL + "GeneralError/Unexpected": "Unexpected Error Encountered",
    _ALL + "Service/Unavailable": "Service Unavailable",
    _ALL + "Field/Missing": "Missing Required Field",
    _ALL + "Header/Missing": "Missing Required Header",
    _ALL + "Field/Invalid": "Invalid Field",
    _ALL + "Header/Invalid": "Invalid Header",
    _ALL + "Field/InvalidDateTime": "Invalid Date",
    _ALL + "Field/InvalidPageSize": "Invalid Page Size",
    _ALL + "Header/InvalidVersion": "Invalid Version",
    _ALL + "Authorisation/AdrStatusNotActive": "ADR Status Is Not Active",
    _ALL + "Authorisation/RevokedConsent": "Consent Is Revoked",
    _ALL + "Authorisation/InvalidConsent": "Consent Is Invalid",
    _ALL + "Resource/NotImplemented": "Resource Not Implemented",
    _ALL + "Resource/NotFound": "Resource Not Found",
    _ALL + "Resource/Invalid": "Invalid Resource",
    _ALL + "Resource/Unavailable": "Unavailable Resource",
    _BANKING + "Authorisation/InvalidBankingAccount": "Invalid Banking Account",
    _BANKING + "Authorisation/UnavailableBankingAccount": "Unavailable Banking Account",
    _ALL + "Header/UnsupportedVersion": "Unsupported Version",
    _ALL + "Authorisation/InvalidArrangement": "Invalid Consent Arrangement",
    _ALL + "Field/InvalidPage": "Invalid Page",
}
