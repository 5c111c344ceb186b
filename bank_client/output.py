"""How the client shows what the bank returned: a table per resource, or the JSON itself.

Tables go to standard output through rich (plain text when it is not a terminal, so they can
be piped); progress and errors go to standard error, so `--json` output stays parseable.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

JSON = dict[str, Any]
Column = tuple[str, Callable[[JSON], Any]]

# Piped output is not cut to 80 columns: IDs are 32+ characters and rows should stay whole
# for grep (COLUMNS still wins).
out = Console(highlight=False, soft_wrap=False,
              width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200)
err = Console(stderr=True, highlight=False)


def _get(*keys: str) -> Callable[[JSON], Any]:
    def pick(item: JSON) -> Any:
        value: Any = item
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value
    return pick


def _money(amount_key: str, currency_key: str = "currency") -> Callable[[JSON], str]:
    def show(item: JSON) -> str:
        amount = item.get(amount_key)
        if amount in (None, ""):
            return ""
        return f"{amount} {item.get(currency_key) or 'AUD'}"
    return show


def _date(*keys: str) -> Callable[[JSON], str]:
    """The first of `keys` present, as its date and time without seconds' fraction."""
    def show(item: JSON) -> str:
        for key in keys:
            if item.get(key):
                return str(item[key]).replace("T", " ")[:16]
        return ""
    return show


TABLES: dict[str, list[Column]] = {
    "accounts": [("Account ID", _get("accountId")), ("Name", _get("displayName")),
                 ("Nickname", _get("nickname")), ("Number", _get("maskedNumber")),
                 ("Category", _get("productCategory")), ("Product", _get("productName")),
                 ("Status", _get("openStatus"))],
    "balances": [("Account ID", _get("accountId")),
                 ("Current", _money("currentBalance")),
                 ("Available", _money("availableBalance"))],
    "transactions": [("Date", _date("postingDateTime", "executionDateTime", "valueDateTime")),
                     ("Description", _get("description")), ("Amount", _money("amount")),
                     ("Type", _get("type")), ("Status", _get("status")),
                     ("Transaction ID", _get("transactionId"))],
    "payees": [("Payee ID", _get("payeeId")), ("Nickname", _get("nickname")),
               ("Type", _get("type")), ("Description", _get("description"))],
    "directDebitAuthorisations": [
        ("Account ID", _get("accountId")),
        ("Authorised entity", lambda item: _get("authorisedEntity", "description")(item)
         or _get("authorisedEntity", "financialInstitution")(item)),
        ("Last debit", _date("lastDebitDateTime")), ("Amount", _money("lastDebitAmount"))],
    "scheduledPayments": [
        ("Payment ID", _get("scheduledPaymentId")), ("Nickname", _get("nickname")),
        ("Status", _get("status")), ("Payer reference", _get("payerReference")),
        ("Next", _get("recurrence", "nextPaymentDate")),
        ("Recurrence", _get("recurrence", "recurrenceUType"))],
    "plans": [
        ("Plan ID", _get("planId")), ("Nickname", _get("planNickname")),
        ("Merchant", _get("merchantName")), ("Amount", _money("amount", "planCurrency")),
        ("Created", _get("creationDate")), ("Duration", _get("duration")),
        ("Every", _get("instalmentInterval"))],
    "products": [("Product ID", _get("productId")), ("Name", _get("name")),
                 ("Category", _get("productCategory")), ("Brand", _get("brand")),
                 ("Last updated", _date("lastUpdated"))],
    "outages": [("From", _date("outageTime")), ("Duration", _get("duration")),
                ("Partial", _get("isPartial")), ("Explanation", _get("explanation"))],
}
#: Columns whose values are right-aligned.
_NUMERIC = {"Current", "Available", "Amount"}


#: C0 and C1 control characters (ESC starts terminal escape sequences: hyperlinks, window
#: titles, clipboard writes). Transaction descriptions, payee names and references are
#: written by third parties: none of it may drive the user's terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def clean(value: object, *, newlines: bool = False) -> Text:
    """The value as inert text: no rich markup, no control characters (shown as U+FFFD)."""
    pattern = _CONTROL_BUT_NEWLINE if newlines else _CONTROL
    return Text(pattern.sub("\ufffd", str(value)))


def error(message: str) -> None:
    """An error line on standard error; the message may quote the bank, so it is inert."""
    line = Text("error: ", style="red")
    line.append_text(clean(message, newlines=True))
    err.print(line, highlight=False)


def table(kind: str, items: list[JSON], *, title: str = "") -> None:
    columns = TABLES[kind]
    grid = Table(title=clean(title) if title else None, title_justify="left",
                 header_style="bold")
    for header, _ in columns:
        grid.add_column(header, justify="right" if header in _NUMERIC else "left",
                        overflow="fold", no_wrap=header.endswith(" ID") or header in _NUMERIC)
    for item in items:
        grid.add_row(*(Text("") if (v := pick(item)) is None else clean(v) for _, pick in columns))
    out.print(grid)
    if not items:
        out.print("(none)")


def fields(record: JSON, *, title: str = "") -> None:
    """One record as `key  value` lines, nested objects flattened with dots."""
    grid = Table(title=clean(title) if title else None, title_justify="left",
                 show_header=False, box=None)
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for key, value in _flatten(record):
        grid.add_row(clean(key), clean(value))
    out.print(grid)


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, inner in enumerate(value):
            yield from _flatten(inner, f"{prefix}[{index}]")
    else:
        yield prefix, ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def as_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


@contextmanager
def progress(message: str) -> Iterator[Callable[[str], None]]:
    """A spinner on standard error while something runs (only when it is a terminal)."""
    if not err.is_terminal:
        yield lambda _text: None
        return
    with err.status(message) as status:
        yield lambda text: status.update(f"{message}: {text}")
