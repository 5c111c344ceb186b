"""The FAPI request headers of authenticated calls (standards/_headers.md)."""

from __future__ import annotations

import pytest

from bank.api import errors
from security.fapi_headers import fapi_headers_parse

DATE = "Thu, 16 Jan 2020 16:50:15 GMT"


def test_unattended_call():
    parsed = fapi_headers_parse({"x-fapi-auth-date": DATE})
    assert parsed.customer_present is False
    assert parsed.auth_time == 1579193415


@pytest.mark.parametrize("ip", ["203.0.113.7", "2001:db8::1"])
def test_customer_present_call(ip):
    parsed = fapi_headers_parse({"x-fapi-auth-date": DATE, "x-fapi-customer-ip-address": ip,
                                 "x-cds-client-headers": "VXNlci1BZ2VudDogeA=="})
    assert parsed.customer_present is True


@pytest.mark.parametrize(
    ("headers", "error", "detail"),
    [
        ({}, errors.MissingHeaderError, "x-fapi-auth-date"),
        ({"x-fapi-auth-date": " "}, errors.MissingHeaderError, "x-fapi-auth-date"),
        ({"x-fapi-auth-date": "2020-01-16T16:50:15Z"}, errors.InvalidHeaderError, "x-fapi-auth-date"),
        ({"x-fapi-auth-date": DATE, "x-fapi-customer-ip-address": "1.2.3"}, errors.InvalidHeaderError,
         "x-fapi-customer-ip-address"),
        ({"x-fapi-auth-date": DATE, "x-fapi-customer-ip-address": "1.2.3.4"}, errors.MissingHeaderError,
         "x-cds-client-headers"),
        ({"x-fapi-auth-date": DATE, "x-fapi-customer-ip-address": "1.2.3.4", "x-cds-client-headers": "a b"},
         errors.InvalidHeaderError, "x-cds-client-headers"),
        ({"x-fapi-auth-date": DATE, "x-fapi-customer-ip-address": "1.2.3.4",
          "x-cds-client-headers": "QUJD" * 5000}, errors.InvalidHeaderError, "x-cds-client-headers"),
    ],
)
def test_refusals(headers, error, detail):
    with pytest.raises(error) as raised:
        fapi_headers_parse(headers)
    assert raised.value.detail == detail
