"""CDS data types written once (standards/_types.md): AmountString, RateString,
DateTimeString, DateString and the masked account and card numbers.

Every serializer and the admin console format through these functions, so a value has one
rendering everywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

_TWO_PLACES = Decimal("0.01")


def amount_string(value: Decimal | None) -> str | None:
    """AmountString: optional '-', digits, '.', at least two decimals (more only if needed).

    Decimal in, never float: Decimal('1.999') -> '1.999', Decimal('5') -> '5.00'.
    """
    if value is None:
        return None
    if not isinstance(value, Decimal):
        raise TypeError("amounts are Decimal, never float")
    if not value.is_finite():
        raise ValueError("amount is not finite")
    normalised = value.normalize()
    if normalised.as_tuple().exponent > -2:  # type: ignore[operator]
        normalised = value.quantize(_TWO_PLACES)
    text = format(normalised, "f")
    return "0.00" if text in {"-0.00", "-0"} else text


def rate_string(value: Decimal | None) -> str | None:
    """RateString: a fraction (1 = 100%) as a plain decimal, without exponent or trailing zeros."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        raise TypeError("rates are Decimal, never float")
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def datetime_string(value: datetime | None) -> str | None:
    """DateTimeString: RFC 3339 with an explicit UTC offset; we always answer in UTC ('Z')."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not DateTimeStrings")
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def date_string(value: date | None) -> str | None:
    """DateString: RFC 3339 full-date."""
    return None if value is None else value.isoformat()


def masked_account_number(bsb: str, account_number: str) -> str:
    """MaskedAccountString: the display form with every digit but the last four as 'x'.

    '062000', '12345678' -> 'xxx-xxx xxxx5678'. Works on the digits only, so a stored value
    with spaces or dashes masks the same way.
    """
    bsb_digits = "".join(c for c in bsb if c.isdigit())
    number = "".join(c for c in account_number if c.isdigit())
    masked_number = "x" * max(len(number) - 4, 0) + number[-4:]
    if not bsb_digits:
        return masked_number
    masked_bsb = "x" * len(bsb_digits)
    return f"{masked_bsb[:3]}-{masked_bsb[3:]} {masked_number}"


def masked_pan(card_number: str) -> str:
    """MaskedPANString: 'xxxx xxxx xxxx 1234'."""
    digits = "".join(c for c in card_number if c.isdigit())
    masked = "x" * max(len(digits) - 4, 0) + digits[-4:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


def duration_string(value: timedelta) -> str:
    """ISO 8601 duration without recurrence: timedelta(hours=2, minutes=30) -> 'PT2H30M'."""
    if value < timedelta(0):
        raise ValueError("durations are not negative")
    seconds = int(value.total_seconds())
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    text = "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return text if text != "P" else "PT0S"
