"""gunicorn behind the bank's nginx (deploy/nginx/bank.conf): plain HTTP on a loopback port.

    BANK_LISTENER=mtls python -m gunicorn bank.wsgi:application \\
        --config deploy/gunicorn.conf.py --bind 127.0.0.1:9452

One gunicorn per listener process (BANK_LISTENER, security/listeners.py); nginx balances two of
each. TLS, client certificates and HSTS are nginx's; this process trusts what nginx forwards
only from BANK_TRUSTED_PROXIES (the address nginx connects from: `proxy_bind`):

- the app (security/mtls.py, prod.py) believes X-SSL-Client-Cert and X-Real-IP only when
  REMOTE_ADDR is a trusted proxy;
- gunicorn sets the https scheme from X-Forwarded-Proto only for those addresses
  (forwarded_allow_ips), and `pre_request` below deletes the header from everyone else,
  because Django's SECURE_PROXY_SSL_HEADER believes it from anyone.

Sizes from the environment: BANK_GUNICORN_WORKERS (default 2), BANK_GUNICORN_THREADS (4),
BANK_GUNICORN_TIMEOUT (30 s). gunicorn's "Server" header is removed (bank/gunicorn_tls.py) and
nginx sends its own without a version (server_tokens off).
"""

from __future__ import annotations

import os
from typing import Any

# Imported for its side effect (gunicorn's Response no longer writes "Server: gunicorn") and
# for the access format and logging configuration shared with the TLS-terminating demo.
import bank.gunicorn_tls

_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("BANK_TRUSTED_PROXIES", "").split(",")
                    if p.strip()]

wsgi_app = "bank.wsgi:application"
worker_class = "gthread"
workers = int(os.environ.get("BANK_GUNICORN_WORKERS") or "2")
threads = int(os.environ.get("BANK_GUNICORN_THREADS") or "4")
# A stuck request is killed (and nginx's proxy_read_timeout, 30 s, gives up at the same time).
timeout = int(os.environ.get("BANK_GUNICORN_TIMEOUT") or "30")
# On SIGTERM (stop, deploy) in-flight requests get this long to finish; nginx sends new ones
# to the other gunicorn meanwhile.
graceful_timeout = 20
# Longer than nginx's upstream keepalive_timeout (60 s): nginx always closes an idle
# connection first, so it never reuses one gunicorn is closing.
keepalive = 75
# Two processes per listener side by side: their runtime control sockets would collide.
control_socket_disable = True
proxy_protocol = False
# The scheme from X-Forwarded-Proto, only when nginx (a trusted proxy) says it.
forwarded_allow_ips = ",".join(_TRUSTED_PROXIES)
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
# nginx forwards no SCRIPT_NAME/PATH_INFO/REMOTE_USER; nobody may set them.
forwarder_headers = ""
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Access lines come from nginx (bank_access) and the app's JSON log; gunicorn's errors only.
accesslog = None  # nginx logs access (its format names the path, not the query string)
# The access line (if switched on) names the path, never the query string, and gunicorn's own
# loggers go through the bank's JSON formatter and redaction: as in bank/gunicorn_tls.py.
access_log_format = bank.gunicorn_tls.access_log_format
# A logconfig_dict makes gunicorn write access lines even with accesslog None: behind nginx,
# which already logs each request, they would only duplicate it (and cost each request a
# redacted JSON line: about 8% of a Get Accounts in `make bench`). Its error log stays on.
logconfig_dict = {
    **bank.gunicorn_tls.logconfig_dict,
    "loggers": {
        **bank.gunicorn_tls.logconfig_dict["loggers"],
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}
# The configuration this server starts with goes on the audit trail (security/config_audit.py).
post_worker_init = bank.gunicorn_tls.post_worker_init
errorlog = "-"


def pre_request(worker: Any, req: Any) -> None:
    """Delete X-Forwarded-Proto from a peer that is not a trusted proxy, before the WSGI
    environ is built (gunicorn calls this just before `wsgi.create`)."""
    peer = req.peer_addr[0] if isinstance(req.peer_addr, tuple) else None
    if peer not in _TRUSTED_PROXIES:
        req.headers = [(name, value) for name, value in req.headers
                       if name != "X-FORWARDED-PROTO"]
