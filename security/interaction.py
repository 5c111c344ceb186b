"""The request's `x-fapi-interaction-id`, available to logs and errors without a request object.

FAPI 1.0 Baseline §6.2.1 (11): the resource server MUST play back the id it received, or
generate one (an RFC 4122 UUID). CDS standards/_headers.md: it MUST be on success and error
responses of authenticated APIs; we put it on every response.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "x-fapi-interaction-id"
# RFC 4122 textual form: 8-4-4-4-12 hex digits, any letter case.
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_current: ContextVar[str | None] = ContextVar("interaction_id", default=None)


def current_interaction_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    return _current.get()


def bind_interaction_id(value: str | None):
    """Bind `value` for this context; returns the token for `reset_interaction_id`."""
    return _current.set(value)


def reset_interaction_id(token) -> None:
    _current.reset(token)


def parse_interaction_id(raw: str | None) -> str | None:
    """Return a client-supplied id exactly as sent if it is a UUID, else None.

    FAPI: the id is played back verbatim, so it is not canonicalised. Allow-list: only the
    UUID text form passes, so the header cannot carry injected text into responses or logs.
    """
    if raw is None or not _UUID.fullmatch(raw):
        return None
    return raw


def new_interaction_id() -> str:
    return str(uuid.uuid4())


# Who the request acts for, as pseudonyms on every log line (security/logging.py) ------------
_principal: ContextVar[dict[str, str] | None] = ContextVar("principal", default=None)


def bind_principal_scope():
    """A fresh, empty principal for this request; returns the token for reset_principal."""
    return _principal.set({})


def reset_principal(token) -> None:
    _principal.reset(token)


def principal_bind(*, client: str | None = None, customer_id: int | None = None) -> None:
    """Record the client (its software product ID) and the customer (as a pseudonym)."""
    principal = _principal.get()
    if principal is None:
        return
    if client:
        principal["client"] = client
    if customer_id is not None:
        principal["customer"] = customer_pseudonym(customer_id)


def current_principal() -> dict[str, str]:
    return dict(_principal.get() or {})


def customer_pseudonym(customer_id: int) -> str:
    """A stable pseudonym of a customer for logs: a keyed hash, not the row key.

    A SIEM can follow one customer across lines; nobody can map it back without the key.
    """
    import hashlib
    import hmac

    from django.conf import settings

    digest = hmac.new(settings.SECRET_KEY.encode(), f"log-customer:{customer_id}".encode(),
                      hashlib.sha256).hexdigest()
    return "cust-" + digest[:16]
