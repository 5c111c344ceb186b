"""The FAPI / CDS request headers of authenticated resource calls (standards/_headers.md).

- `x-fapi-auth-date`: required on every authenticated call, an HTTP-date (RFC 7231 §7.1.1.1);
  the OpenAPI file marks it optional but the normative text requires it.
- `x-fapi-customer-ip-address`: present only when the customer is present; its presence is
  what makes a call "customer present" (nfrs/_definitions.md). Must be an IP address.
- `x-cds-client-headers`: the customer's original HTTP headers, Base64; mandatory when the
  customer is present.

Missing -> 400 Header/Missing, malformed -> 400 Header/Invalid, naming the header only.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.http import parse_http_date

from bank.api import errors

AUTH_DATE = "x-fapi-auth-date"
CUSTOMER_IP = "x-fapi-customer-ip-address"
CLIENT_HEADERS = "x-cds-client-headers"
# Base64 of a browser's request headers fits easily; more is not a header block.
_CLIENT_HEADERS_MAX = 16 * 1024


@dataclass(frozen=True, slots=True)
class FapiHeaders:
    auth_time: int
    customer_present: bool


def fapi_headers_parse(headers: Mapping[str, str]) -> FapiHeaders:
    raw_date = headers.get(AUTH_DATE)
    if raw_date is None or not raw_date.strip():
        raise errors.MissingHeaderError(AUTH_DATE)
    try:
        auth_time = parse_http_date(raw_date.strip())
    except ValueError:
        raise errors.InvalidHeaderError(AUTH_DATE) from None

    customer_ip = headers.get(CUSTOMER_IP)
    if customer_ip is None:
        return FapiHeaders(auth_time=auth_time, customer_present=False)
    try:
        ipaddress.ip_address(customer_ip.strip())
    except ValueError:
        raise errors.InvalidHeaderError(CUSTOMER_IP) from None

    client_headers = headers.get(CLIENT_HEADERS)
    if client_headers is None or not client_headers.strip():
        raise errors.MissingHeaderError(CLIENT_HEADERS)
    text = client_headers.strip()
    if len(text) > _CLIENT_HEADERS_MAX:
        raise errors.InvalidHeaderError(CLIENT_HEADERS)
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidHeaderError(CLIENT_HEADERS) from None
    return FapiHeaders(auth_time=auth_time, customer_present=True)
