"""Calling the bank's CDR APIs as a data recipient: the headers, tokens, pages and errors.

- Every call carries the endpoint's version (`x-v`, the one this client's tables are written
  for), a fresh `x-fapi-interaction-id` (the bank echoes it; it names the call in the bank's
  logs and in the error this client prints) and `x-fapi-auth-date` (when the customer last
  authenticated, from the ID token).
- Resource calls go to the mTLS listener with the client certificate the tokens are bound to.
  An access token within 30 s of expiry is refreshed first (the arrangement's refresh token;
  the bank does not rotate it), and a 401 is retried once after a refresh.
- Pages are followed through `links.next` only while it stays on the bank's mTLS origin: a
  next link elsewhere would receive the bearer token.
- A CDR error becomes `BankError` with the status, each error's code, title and detail, and the
  interaction ID to quote to the bank.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

import requests

from bank_client.config import ClientConfig, ClientHome
from bank_client.recipient import Recipient
from bank_client.vault import TokenVault

JSON = dict[str, Any]

#: The version of each endpoint this client reads (CDS 1.36.0, the versions the bank serves).
VERSIONS = {
    "accounts": "3", "account": "5", "balances": "2", "balance": "1", "transactions": "2",
    "transaction": "3", "payees": "2", "payee": "2", "direct-debits": "2",
    "account-direct-debits": "1", "scheduled-payments": "3",
    "account-scheduled-payments": "2", "customer": "1", "customer-detail": "2",
    "balances-for": "1", "direct-debits-for": "1", "scheduled-payments-for": "2",
    "instalment-plans": "1", "account-instalment-plans": "1",
    "products": "5", "product": "7", "status": "1", "outages": "1",
}
#: Refresh an access token this close to its expiry rather than have a call refused.
REFRESH_MARGIN = 30
TIMEOUT = 20


@dataclass
class BankError(Exception):
    """The bank refused a call: its CDR errors and the interaction ID of the call."""

    status: int
    errors: list[JSON] = field(default_factory=list)
    interaction_id: str = ""
    what: str = ""

    def __str__(self) -> str:
        lines = [f"{self.what or 'The bank'} answered HTTP {self.status}"]
        for error in self.errors or [{}]:
            if error:
                text = f"  {error.get('code', '')}: {error.get('title', '')}"
                if error.get("detail"):
                    text += f" ({error['detail']})"
                lines.append(text)
        if self.interaction_id:
            lines.append(f"  x-fapi-interaction-id: {self.interaction_id}")
        return "\n".join(lines)


class NotLoggedIn(Exception):
    pass


def errors_of(response: requests.Response) -> list[JSON]:
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list):
        return [e for e in errors if isinstance(e, dict)]
    if isinstance(body, dict) and "error" in body:  # an OAuth endpoint's error
        return [{"code": body["error"], "title": body.get("error_description", "")}]
    return []


class Bank:
    def __init__(self, config: ClientConfig, home: ClientHome, recipient: Recipient,
                 vault: TokenVault, *, progress: Callable[[str], Any] | None = None) -> None:
        self.config = config
        self.home = home
        self.recipient = recipient
        self.vault = vault
        self._tokens: JSON | None = None
        self.progress = progress

    # -- tokens --------------------------------------------------------------------------
    @property
    def tokens(self) -> JSON:
        if self._tokens is None:
            self._tokens = self.vault.load()
        if not self._tokens:
            raise NotLoggedIn("No tokens yet: run `bank-client login` (add --headless to let "
                              "the client log the demo customer in itself).")
        return self._tokens

    def store(self, token: JSON, *, auth_time: int | None = None) -> JSON:
        """Keep a token response (and what the client needs later), encrypted."""
        previous = self._tokens or {}
        tokens = {
            "access_token": token["access_token"],
            "refresh_token": token.get("refresh_token") or previous.get("refresh_token", ""),
            "expires_at": int(time.time()) + int(token.get("expires_in", 0)),
            "scope": token.get("scope", previous.get("scope", "")),
            "cdr_arrangement_id": token.get("cdr_arrangement_id")
            or previous.get("cdr_arrangement_id", ""),
            "auth_time": auth_time or previous.get("auth_time") or int(time.time()),
        }
        self.vault.save(tokens)
        self._tokens = tokens
        return tokens

    def refresh(self) -> JSON:
        refresh_token = self.tokens.get("refresh_token")
        if not refresh_token:
            raise NotLoggedIn("The access token has expired and this arrangement has no refresh "
                              "token (a once-off consent): run `bank-client login` again.")
        return self.store(self.recipient.refresh(refresh_token))

    def access_token(self) -> str:
        if self.tokens["expires_at"] - REFRESH_MARGIN < time.time():
            self.refresh()
        return str(self.tokens["access_token"])

    # -- calls ---------------------------------------------------------------------------
    def _headers(self, version: str, *, authenticated: bool) -> dict[str, str]:
        headers = {"x-v": version, "x-fapi-interaction-id": str(uuid.uuid4()),
                   "Accept": "application/json"}
        if authenticated:
            headers["x-fapi-auth-date"] = formatdate(self.tokens["auth_time"], usegmt=True)
            headers["Authorization"] = f"Bearer {self.access_token()}"
        return headers

    def _send(self, url: str, version: str, params: JSON | None, *, authenticated: bool,
              body: JSON | None = None) -> requests.Response:
        return requests.request(
            "POST" if body is not None else "GET", url, params=params, json=body,
            headers=self._headers(version, authenticated=authenticated),
            verify=str(self.home.ca), timeout=TIMEOUT,
            cert=self.home.tls_pair if authenticated else None, allow_redirects=False)

    def get(self, path: str, *, version: str, params: JSON | None = None,
            public: bool = False, url: str | None = None, body: JSON | None = None) -> JSON:
        """One page of `/cds-au/v1/<path>` (or the `url` of a next page); with `body`, the
        POST form of the endpoint (the "specific accounts" variants)."""
        base = self.config.bank_url if public else self.config.mtls_url
        target = url or f"{base}/cds-au/v1/{path}"
        response = self._send(target, version, params, authenticated=not public, body=body)
        if response.status_code == 401 and not public and self.tokens.get("refresh_token"):
            self.refresh()  # expired early, or the bank restarted its clock: once more
            response = self._send(target, version, params, authenticated=True, body=body)
        if response.status_code != 200:
            method = "POST" if body is not None else "GET"
            raise BankError(response.status_code, errors_of(response),
                            response.headers.get("x-fapi-interaction-id", ""),
                            what=f"{method} /cds-au/v1/{path}")
        answer: JSON = response.json()
        return answer

    def get_all(self, path: str, *, version: str, key: str, params: JSON | None = None,
                limit: int | None = None, public: bool = False,
                body: JSON | None = None) -> tuple[list[JSON], JSON]:
        """The `data[key]` items of every page, up to `limit`, and the last page's body."""
        origin = urlsplit(self.config.bank_url if public else self.config.mtls_url)
        items: list[JSON] = []
        page = self.get(path, version=version, params=params, public=public, body=body)
        while True:
            items.extend(page["data"][key])
            next_url = (page.get("links") or {}).get("next")
            if not next_url or (limit is not None and len(items) >= limit):
                break
            parts = urlsplit(next_url)
            if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
                raise BankError(0, [{"code": "client", "title": "links.next leaves the bank",
                                     "detail": parts.netloc}], what=f"GET /cds-au/v1/{path}")
            if self.progress:
                self.progress(f"{len(items)} {key} so far; next page")
            page = self.get(path, version=version, url=next_url, public=public, body=body)
        return (items[:limit] if limit is not None else items), page
