"""The client's own endpoints, on a local port while a command runs (default 127.0.0.1:8450).

- `GET /jwks`: its public signing key. The bank fetches it to check the client's DCR request,
  request objects and client assertions (and caches it for up to an hour).
- `GET /callback`: its redirect URI. The customer's browser lands here after the consent pages
  with the JARM response (`?response=<JWT>&iss=...`); the command waiting for it checks it.
- `POST /arrangements/revoke`: the CDR revocation endpoint a recipient hosts; the bank calls it
  when the customer withdraws consent at the bank. `on_revocation` decides the answer.

The demo bank accepts plain-HTTP loopback URIs for recipients (BANK_ALLOW_HTTP_CLIENT_URIS, dev
and test only); a production bank requires https.
"""

from __future__ import annotations

import html
import json
import queue
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: The longest request body the listener reads (a revocation notice is about 2 KB).
MAX_BODY = 16 * 1024

_DONE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>bank-client</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"""


class Listener:
    def __init__(self, address: str, *, public_jwks: dict[str, Any],
                 on_revocation: Callable[[dict[str, str], str], int] | None = None) -> None:
        host, _, port = address.rpartition(":")
        self.host, self.port = host or "127.0.0.1", int(port)
        self.public_jwks = public_jwks
        self.on_revocation = on_revocation
        self.callbacks: queue.Queue[str] = queue.Queue()
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> Listener:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "bank-client"
            sys_version = ""
            timeout = 10  # seconds per socket operation: a stalled peer cannot hold a thread

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Referrer-Policy", "no-referrer")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == "/jwks":
                    self._send(200, json.dumps(owner.public_jwks).encode(), "application/json")
                elif path == "/callback":
                    # Only what looks like an authorization response is queued; whatever is,
                    # the waiting command verifies it and discards what fails (anyone on this
                    # machine, or any web page, can send a request here).
                    query = parse_qs(urlsplit(self.path).query)
                    ok = "response" in query
                    if ok:
                        owner.callbacks.put(self.path)
                    page = _DONE_PAGE.format(
                        title="Back at bank-client" if ok else "No authorisation response",
                        text=html.escape("You can close this window; bank-client carries on."
                                         if ok else "This address expects the bank's response."))
                    self._send(200 if ok else 400, page.encode(), "text/html; charset=utf-8")
                else:
                    self._send(404, b"{}", "application/json")

            def do_POST(self) -> None:
                if urlsplit(self.path).path != "/arrangements/revoke" or not owner.on_revocation:
                    self._send(404, b"{}", "application/json")
                    return
                declared = self.headers.get("Content-Length") or "0"
                if not declared.isdigit():
                    self._send(400, b"{}", "application/json")
                    return
                length = int(declared)
                if length > MAX_BODY:
                    self._send(413, b"{}", "application/json")
                    return
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status = owner.on_revocation(form, self.headers.get("Authorization", ""))
                self._send(status, b"", "text/plain")

            def log_message(self, *args: Any) -> None:
                pass  # the query string holds the authorization response: never log it

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def wait_for_callback(self, timeout: float) -> str:
        """The path and query the browser brought to /callback (raises queue.Empty)."""
        return self.callbacks.get(timeout=timeout)
