"""CDS data types (standards/_types.md) formatted in one place."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bank.api.formatting import (
    amount_string,
    date_string,
    datetime_string,
    duration_string,
    masked_account_number,
    masked_pan,
    rate_string,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0.01"), "0.01"),
        (Decimal("-1001.23"), "-1001.23"),
        (Decimal("1.999"), "1.999"),
        (Decimal("5"), "5.00"),
        (Decimal("5.10"), "5.10"),
        (Decimal("5.1000"), "5.10"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("-0"), "0.00"),
        (Decimal("9999999999999999.99"), "9999999999999999.99"),
    ],
)
def test_amount_string(value, text):
    assert amount_string(value) == text


def test_amount_string_refuses_float_and_nan():
    with pytest.raises(TypeError):
        amount_string(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        amount_string(Decimal("NaN"))
    assert amount_string(None) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("0.0345"), "0.0345"), (Decimal("0.03456789"), "0.03456789"), (Decimal("1"), "1"),
     (Decimal("0.0500000000"), "0.05"), (Decimal("1E-10"), "0.0000000001")],
)
def test_rate_string(value, text):
    assert rate_string(value) == text


def test_datetime_string_is_utc_with_z_and_refuses_naive():
    aest = timezone(timedelta(hours=10))
    assert datetime_string(datetime(2026, 1, 2, 13, 4, 5, tzinfo=aest)) == "2026-01-02T03:04:05Z"
    assert datetime_string(datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)) == "2026-01-02T03:04:05.120000Z"
    with pytest.raises(ValueError):
        datetime_string(datetime(2026, 1, 2))
    assert date_string(date(2026, 2, 3)) == "2026-02-03"


@pytest.mark.parametrize(
    ("bsb", "number", "masked"),
    [("062000", "12345678", "xxx-xxx xxxx5678"), ("062-000", "1234 5678", "xxx-xxx xxxx5678"),
     ("", "4111111111111111", "xxxxxxxxxxxx1111"), ("062000", "123", "xxx-xxx 123")],
)
def test_masked_account_number_keeps_only_last_four_digits(bsb, number, masked):
    assert masked_account_number(bsb, number) == masked


def test_masked_pan():
    assert masked_pan("4111 1111 1111 1234") == "xxxx xxxx xxxx 1234"


@pytest.mark.parametrize(
    ("delta", "text"),
    [(timedelta(hours=2, minutes=30), "PT2H30M"), (timedelta(days=1, hours=1), "P1DT1H"),
     (timedelta(days=2), "P2D"), (timedelta(seconds=45), "PT45S"), (timedelta(0), "PT0S")],
)
def test_duration_string(delta, text):
    assert duration_string(delta) == text
