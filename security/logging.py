"""Structured JSON log lines, each carrying the request's interaction id, and the redaction
layer every line passes through.

`RedactionFilter` sits on every handler (LOGGING in bank/settings/base.py), so it sees the
records of every logger, the bank's and third parties' alike (Django, DOT, oauthlib, Celery,
urllib3...), before any formatter: the message with its arguments, every `extra=` value, the
exception text and the stack. It removes what must never be logged: bearer and basic
credentials, JWTs (tokens, client assertions, request objects), PEM keys and certificates,
cookies and session ids, passwords, one-time codes, secrets, OAuth codes and tokens in
`key=value` or JSON form, card numbers, BSB-and-account pairs, email addresses; any value
under a sensitive key (`password`, `token`, `account_number`...) whatever it looks like; and a
Django request passed as `extra={"request": ...}` becomes its method and path (no query).

What cannot be recognised by its shape (a bare random token, a name) is kept out by the
callers: they log identifiers and pseudonyms, not values; this layer is the net under them.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from security.interaction import current_interaction_id, current_principal

# Attributes every LogRecord has; anything else was passed in `extra=` and is logged as data.
_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "interaction_id", "client", "customer"}
)


class InteractionIdFilter(logging.Filter):
    """Attach the current `x-fapi-interaction-id` (or None) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # A record can pass several handlers: what an earlier one found is kept (by then the
        # redaction has replaced a `request` extra by its description).
        interaction_id = current_interaction_id() or getattr(record, "interaction_id", None)
        if interaction_id is None:
            # django.request logs after the middleware has returned: use the request's id.
            interaction_id = getattr(getattr(record, "request", None), "interaction_id", None)
        record.interaction_id = interaction_id
        principal = current_principal()
        record.client = principal.get("client") or getattr(record, "client", None)
        record.customer = principal.get("customer") or getattr(record, "customer", None)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, interaction id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "interaction_id": getattr(record, "interaction_id", None),
            "client": getattr(record, "client", None),
            "customer": getattr(record, "customer", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS:
                line[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str, separators=(",", ":"))


# The redaction layer ----------------------------------------------------------------------
REDACTED = "[REDACTED]"

#: A key whose value is never logged, whatever the value looks like (matched after removing
#: "-" and "_" and lowercasing, so `client_assertion`, `clientAssertion`, `Client-Assertion`).
_SENSITIVE_KEY = re.compile(
    r"(password|passwd|passphrase|pwd|secret|token|assertion|authorization|cookie|session"
    r"(id|key)?$|csrf|otp|onetimecode|^code$|^pin$|pin$|apikey|privatekey|^key$|keymaterial"
    r"|accountnumber|accountno|cardnumber|^pan$|bsb|^email|^phone|mobile|dateofbirth|^dob$"
    r"|^name$|firstname|lastname|familyname|givenname|address|requestobject)")

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # PEM blocks: keys, certificates, CSRs.
    (re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(-----END [A-Z0-9 ]+-----|$)", re.S),
     REDACTED),
    # JWS / JWE compact serialisations (tokens, ID tokens, client assertions, JARM, SSAs).
    (re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"
                r"(\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?"), REDACTED),
    # HTTP credentials and cookies, as headers or as environ keys.
    (re.compile(r"(?i)\b(bearer|basic|dpop)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (re.compile(r"(?i)((?:set-)?cookie|http_cookie)(\W{1,4})[^\n]*"), r"\1\2" + REDACTED),
    # key=value / key: value / "key": "value" for sensitive keys.
    (re.compile(
        r"(?i)([\"']?\b[\w-]*(?:password|passwd|secret|token|assertion|authorization|otp|"
        r"one[_-]?time[_-]?code|code|pin|session(?:id)?|csrf[\w-]*|api[_-]?key|private[_-]?key|"
        r"account[_-]?number|card[_-]?number|bsb|request)[\"']?\s*[=:]\s*)"
        r"(\"[^\"]*\"|'[^']*'|[^\s&,;\"'}\]]+)"), r"\1" + REDACTED),
    # Email addresses (personal data).
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), REDACTED),
    # A BSB with an account number, "062-000 12345678" / "062000 12345678".
    (re.compile(r"\b\d{3}-?\d{3}[ /]+\d{4,10}\b"), REDACTED),
]
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return REDACTED if 13 <= len(digits) <= 19 and _luhn(digits) else match.group(0)


def redact_text(text: str) -> str:
    """`text` with every recognisable secret or personal datum replaced by [REDACTED]."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _CARD.sub(_card, text)


def _sensitive_key(key: object) -> bool:
    return bool(_SENSITIVE_KEY.search(str(key).replace("-", "").replace("_", "").lower()))


def redact_value(value: Any, *, depth: int = 0) -> Any:
    """A copy of `value` safe to log: strings redacted, sensitive keys' values dropped."""
    if depth > 8:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, dict):
        return {k: REDACTED if _sensitive_key(k) and v not in (None, "")
                else redact_value(v, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v, depth=depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_text(_describe(value))


def _describe(value: Any) -> str:
    """A Django request as its method and path (never its query, headers or body)."""
    method, path = getattr(value, "method", None), getattr(value, "path", None)
    if isinstance(method, str) and isinstance(path, str):
        return f"<{type(value).__name__} {method} {path}>"
    return str(value)


class RedactionFilter(logging.Filter):
    """Redact a record in place before any handler formats it (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line, nor leak its args
            message = str(record.msg)
        record.msg, record.args = redact_text(message), None
        for key, value in list(record.__dict__.items()):
            if key in _STANDARD_ATTRS:
                continue
            record.__dict__[key] = (REDACTED if _sensitive_key(key) and value not in (None, "")
                                    else redact_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
            # The traceback object keeps frames whose locals hold the secrets: formatters
            # must use the redacted text, never format the exception again.
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True
