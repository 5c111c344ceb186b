"""Parsing of CDR query parameters into typed values, with the standard's error for each.

Views describe their filters with these parsers (allow-list validation: a value that does not
parse is rejected, never cleaned up); the CDR parameter names stay in the view and the typed
values go to selectors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from bank.api import errors

# RFC 3339 date-time with a mandatory offset (CDS DateTimeString).
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
_MAX_TEXT = 256
# A bank's history and a query's horizon both fit well inside these years.
_EARLIEST_YEAR = 1900
_LATEST_YEAR = 9000


def parse_enum(
    raw: str | None, *, name: str, allowed: Iterable[str], default: str | None = None
) -> str | None:
    """One of the CDS enum values, exactly as written (upper case); else 400 Field/Invalid."""
    if raw is None:
        return default
    if raw not in set(allowed):
        raise errors.InvalidFieldError(name)
    return raw


def parse_datetime_string(raw: str | None, *, name: str) -> datetime | None:
    """A DateTimeString with its UTC offset; else 400 Field/InvalidDateTime naming it."""
    if raw is None:
        return None
    if re.search(r" \d{2}:\d{2}$", raw):
        # An unencoded '+' in a query string arrives as a space: '...00:00 10:00'.
        raw = raw[:-6] + "+" + raw[-5:]
    if len(raw) > 40 or not _RFC3339.fullmatch(raw):
        raise errors.InvalidDateTimeError(name)
    text = raw.replace("z", "Z").replace("Z", "+00:00")
    if "." in text:  # Python 3.11 takes at most 6 fractional digits
        head, _, rest = text.partition(".")
        digits = re.match(r"\d+", rest).group(0)  # type: ignore[union-attr]
        text = f"{head}.{digits[:6]}{rest[len(digits):]}"
    try:
        value = datetime.fromisoformat(text)
        # Normalised to UTC here, so that no later arithmetic (a default 90-day window, the
        # database's own conversion) can overflow on year 1 or 9999 and end as a 500.
        utc = value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # e.g. 2024-02-30, 9999-12-31T23:59:59-14:00
        raise errors.InvalidDateTimeError(name) from exc
    if not _EARLIEST_YEAR <= utc.year <= _LATEST_YEAR:
        raise errors.InvalidDateTimeError(name)
    return utc


def parse_text(raw: str | None, *, name: str, max_length: int = _MAX_TEXT) -> str | None:
    """Free text: printable, bounded; else 400 Field/Invalid."""
    if raw is None:
        return None
    if raw == "" or len(raw) > max_length or not raw.isprintable():
        raise errors.InvalidFieldError(name)
    return raw


def parse_amount(raw: str | None, *, name: str) -> Decimal | None:
    """An AmountString: optional '-', digits, optional decimals; else 400 Field/Invalid."""
    if raw is None:
        return None
    if not re.fullmatch(r"-?\d{1,16}(\.\d{1,16})?", raw):
        raise errors.InvalidFieldError(name)
    try:
        return Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards
        raise errors.InvalidFieldError(name) from exc


def parse_boolean(raw: str | None, *, name: str) -> bool | None:
    """`true` or `false` (JSON booleans, lower case); else 400 Field/Invalid."""
    if raw is None:
        return None
    if raw not in {"true", "false"}:
        raise errors.InvalidFieldError(name)
    return raw == "true"
