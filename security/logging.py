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
import os
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
        # Only from the request's principal: an `extra=` of the same name cannot write a raw
        # value into these fields (they are not redacted, being pseudonyms).
        principal = current_principal()
        record.client = principal.get("client")
        record.customer = principal.get("customer")
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


#: Control characters, shown escaped in text lines: a newline or CR in a logged value would
#: forge a second line, ESC would drive the reader's terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _inert(text: str) -> str:
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


class TextFormatter(logging.Formatter):
    """One readable line per record, for a person watching the demo's terminal (dev only;
    BANK_LOG_FORMAT=text): level (coloured unless NO_COLOR is set), logger, message, then
    the interaction id and a few extras, shortened. No time: honcho (`make demo`) stamps each
    line. It formats the same redacted record as JsonFormatter: nothing it prints escaped the
    redaction filter."""

    _COLOURS = {"DEBUG": "\x1b[2m", "INFO": "\x1b[32m", "WARNING": "\x1b[33m",
                "ERROR": "\x1b[31m", "CRITICAL": "\x1b[1;31m"}
    #: Extras worth a glance; the rest (an audit event's whole detail) is in the JSON log.
    _EXTRAS = ("event_type", "outcome", "actor_id", "subject_type", "subject_id", "seq",
               "status", "path", "task", "rule")
    MAX_LINE = 400

    def __init__(self) -> None:
        super().__init__()
        self.colour = not os.environ.get("NO_COLOR")

    def format(self, record: logging.LogRecord) -> str:
        level = f"{record.levelname:<7}"
        if self.colour:
            level = f"{self._COLOURS.get(record.levelname, '')}{level}\x1b[0m"
        extras = [f"{key}={_inert(str(value))}" for key in self._EXTRAS
                  if (value := record.__dict__.get(key)) not in (None, "")]
        interaction_id = getattr(record, "interaction_id", None)
        if interaction_id:
            extras.append(f"iid={interaction_id}")
        message = _inert(record.getMessage())
        line = f"{level} {record.name}: {message}"
        if extras:
            line += "  (" + " ".join(extras) + ")"
        if len(line) > self.MAX_LINE:
            line = line[: self.MAX_LINE - 1] + "\u2026"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


# The redaction layer ----------------------------------------------------------------------
REDACTED = "[REDACTED]"

#: Longest text the patterns read: longer strings are cut first, so that no log call costs
#: more than a few milliseconds, whatever a caller (or an attacker's header) hands it.
MAX_TEXT = 8192

#: Keys whose value is never logged, whatever it looks like, compared after lowercasing and
#: removing "-" and "_" (`client_assertion`, `clientAssertion`, `Client-Assertion`): exact
#: names, and name endings (`access_token`, `refresh_token`, `db_password`...).
_SENSITIVE_NAMES = frozenset({
    "code", "otp", "pin", "key", "pan", "bsb", "dob", "cvv", "cvc", "email", "phone",
    "mobile", "name", "cookie", "setcookie", "httpcookie", "session", "sessionid",
    "sessionkey", "authorization", "httpauthorization", "proxyauthorization", "assertion",
    "requestobject", "address", "postaladdress", "streetaddress", "firstname",
    "lastname", "familyname", "givenname", "middlename", "fullname", "dateofbirth",
    "birthdate", "keymaterial", "signature",
})
_SENSITIVE_ENDINGS = ("password", "passwd", "passphrase", "secret", "token", "assertion",
                      "apikey", "privatekey", "accountnumber", "accountno", "cardnumber",
                      "onetimecode", "otpcode", "cookie", "sessionid", "emailaddress",
                      "phonenumber", "mobilenumber")


def _sensitive_key(key: object) -> bool:
    name = str(key).replace("-", "").replace("_", "").lower()
    return name in _SENSITIVE_NAMES or name.endswith(_SENSITIVE_ENDINGS)


# An unquoted value stops at "=" or ":" and is never itself a key (possessive, then not
# followed by "=" / ":"), so "parse: code=..." leaves "code=..." to be seen as a pair.
# Every pattern is linear in its input: a repeated part is bounded or must start a token
# (the lookbehinds), so no text can make it backtrack over the whole string.
_VALUE = (r"""("(?:\\.|[^"\\]){0,4096}"|'[^']{0,4096}'|\[[^\]]{0,4096}\]|\([^)]{0,4096}\)"""
          r"""|[^\s&,;:="'})\]]{1,4096}+(?![=:]))""")
_PAIR = re.compile(r"""(?<![\w-])(["']?)([A-Za-z][\w-]{0,63})\1(\s{0,4}[=:]\s{0,4})""" + _VALUE)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # PEM blocks: keys, certificates, CSRs.
    (re.compile(r"-----BEGIN [A-Z0-9 ]{1,40}-----.*?(?:-----END [A-Z0-9 ]{1,40}-----|\Z)",
                re.S), REDACTED),
    # JWS / JWE compact serialisations (tokens, ID tokens, client assertions, JARM, SSAs).
    (re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"
                r"(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?"), REDACTED),
    # The credentials of an Authorization header, whatever the scheme, and every cookie.
    (re.compile(r"(?i)(?<![\w-])((?:proxy-)?authorization|http_authorization)"
                r"([\"']?\s{0,4}[:=]\s{0,4})[^\n,;}]*"), r"\1\2" + REDACTED),
    (re.compile(r"(?i)(?<![\w-])(bearer|basic|dpop|mac|token|negotiate)\s{1,4}"
                r"(?=[A-Za-z0-9._~+/=-]{0,4096}[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,4096}"),
     r"\1 " + REDACTED),
    (re.compile(r"(?i)(?<![\w-])((?:set-)?cookie|http_cookie)([\"']?\s{0,4}[:=]\s{0,4})[^\n]*"),
     r"\1\2" + REDACTED),
    # PostgreSQL's "Key (column)=(value)" in constraint errors.
    (re.compile(r"(Key \([^)]{1,200}\)=\()[^)]{0,4096}\)"), r"\1" + REDACTED + ")"),
    # Email addresses (personal data).
    (re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}"
                r"(?:\.[A-Za-z0-9-]{1,63}){1,8}"), REDACTED),
    # A BSB with an account number, "062-000 12345678" / "062000 12345678".
    (re.compile(r"\b\d{3}-?\d{3}[ /]{1,3}\d{4,10}\b"), REDACTED),
]
# Card numbers start with 2-6 (Mastercard, Amex, Visa, Discover...): never 1, so epoch
# milliseconds are left alone.
_CARD = re.compile(r"(?<![\d-])[2-6](?:[ -]?\d){11,17}\d(?!\d)")
# Python's repr of key/value pairs, ('password', 'x') as parse_qsl returns them.
_TUPLE = re.compile(r"""\((['"])([A-Za-z][\w-]{0,63})\1,\s{0,4}(['"])[^'"]{0,4096}\3\)""")


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return REDACTED if 13 <= len(digits) <= 19 and _luhn(digits) else match.group(0)


def _tuple(match: re.Match[str]) -> str:
    if not _sensitive_key(match.group(2)):
        return match.group(0)
    return f"({match.group(1)}{match.group(2)}{match.group(1)}, {REDACTED})"


def _pair(match: re.Match[str]) -> str:
    quote, key, separator = match.group(1), match.group(2), match.group(3)
    if not _sensitive_key(key):
        return match.group(0)
    return f"{quote}{key}{quote}{separator}{REDACTED}"


def redact_text(text: str) -> str:
    """`text` with every recognisable secret or personal datum replaced by [REDACTED]."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"...[{len(text) - MAX_TEXT} characters cut]"
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    text = _PAIR.sub(_pair, text)
    text = _TUPLE.sub(_tuple, text)
    return _CARD.sub(_card, text)


def redact_value(value: Any, *, depth: int = 0) -> Any:
    """A copy of `value` safe to log: strings redacted, sensitive keys' values dropped."""
    if depth > 8:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, dict):
        return {redact_text(str(k)): REDACTED if _sensitive_key(k) and v not in (None, "")
                else redact_value(v, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v, depth=depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_text(_describe(value))


def _describe(value: Any) -> str:
    """A Django request as its method and path (never its query, headers or body); a
    QueryDict (a request's GET or POST) as its keys only."""
    method, path = getattr(value, "method", None), getattr(value, "path", None)
    if isinstance(method, str) and isinstance(path, str):
        return f"<{type(value).__name__} {method} {path}>"
    if type(value).__name__ == "QueryDict":
        return f"<QueryDict keys={sorted(value.keys())}>"
    return str(value)


def _safe_arg(value: Any) -> Any:
    safe = redact_value(value)
    # %r / %d of a string would still work on the redacted copy; keep lists and dicts as such.
    return safe


_TASK_NAME = re.compile(r"[a-z_][a-z0-9_]{0,60}(?:\.[a-z_][a-z0-9_]{0,60}){1,8}")


def _celery_task_name(record: logging.LogRecord) -> str:
    """Celery's task lines ("Task %(name)s[%(id)s] succeeded") name the task `name`: kept
    when it is a dotted lower-case path (no person's name or secret has that shape)."""
    if not record.name.startswith("celery."):
        return ""
    name = record.args.get("name") if isinstance(record.args, dict) else None
    return name if isinstance(name, str) and _TASK_NAME.fullmatch(name) else ""


class RedactionFilter(logging.Filter):
    """Redact a record in place before any handler formats it (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            task_name = _celery_task_name(record)
            safe_args = redact_value(record.args)
            if task_name:  # "name" is a person's name elsewhere; here a task's dotted path
                safe_args["name"] = task_name
            record.args = safe_args
        elif isinstance(record.args, tuple):
            # Objects become safe strings before they are formatted: a request as its path,
            # a QueryDict as its keys, a dict with its sensitive values dropped.
            record.args = tuple(a if isinstance(a, int | float) else _safe_arg(a)
                                for a in record.args)
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
