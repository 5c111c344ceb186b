"""gunicorn configuration for a listener that terminates TLS itself (`python -m bank.serve`).

The certificate, key and CA come from the command line; the policy from security/tls.py. The
listener (BANK_LISTENER, set by bank.serve) decides whether a client certificate is required:
the mTLS listener refuses the handshake without one from the trusted CA.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from typing import Any

from gunicorn.http import wsgi as gunicorn_wsgi

from security.tls import server_context_harden

_default_headers = gunicorn_wsgi.Response.default_headers


def _default_headers_without_server(self: Any) -> list[str]:
    # gunicorn always writes "Server: gunicorn" and has no setting against it; the bank
    # advertises nothing about its stack.
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


gunicorn_wsgi.Response.default_headers = _default_headers_without_server

# Two listeners run side by side: gunicorn's runtime control socket (one fixed path per
# user) would collide, and the bank does not use it.
control_socket_disable = True
proxy_protocol = False
forwarded_allow_ips = ""  # never trust X-Forwarded-* when gunicorn faces clients itself
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
graceful_timeout = 20
# The access line names the path, never the query string (it may carry a search text or an
# authorization request's parameters): client, method, path, status, bytes, microseconds.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(D)s'

# gunicorn's own loggers (its error log: worker crashes with the request line; its access
# log) through the bank's JSON formatter and redaction, not gunicorn's plain handlers; the
# demo's terminal asks for readable lines (BANK_LOG_FORMAT=text, as bank/settings/dev.py).
_LOG_FORMAT = os.environ.get("BANK_LOG_FORMAT", "json")
if _LOG_FORMAT not in {"json", "text"}:
    raise RuntimeError("BANK_LOG_FORMAT must be json or text")
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "security.logging.JsonFormatter"},
                   "text": {"()": "security.logging.TextFormatter"}},
    "filters": {"redaction": {"()": "security.logging.RedactionFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": _LOG_FORMAT,
                    "filters": ["redaction"], "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
timeout = 30


def post_worker_init(worker: Any) -> None:
    """The first worker of this server start puts the configuration it runs with on the
    audit trail (CONFIG_LOADED, and CONFIG_CHANGED if it differs from the previous start)."""
    # Imported here: this file is read before Django is set up; a worker has set it up.
    from security.config_audit import gunicorn_post_worker_init

    gunicorn_post_worker_init(worker)


def ssl_context(conf: Any,
                default_ssl_context_factory: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    listener = os.environ.get("BANK_LISTENER", "")
    if listener not in {"public", "mtls"}:
        raise RuntimeError("BANK_LISTENER must be public or mtls (start: python -m bank.serve).")
    return server_context_harden(default_ssl_context_factory(),
                                 require_client_certificate=listener == "mtls",
                                 ca_file=conf.ca_certs)
