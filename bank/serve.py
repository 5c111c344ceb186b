"""Serve one of the bank's listeners over TLS with gunicorn (the demo, and TLS without a proxy).

    python -m bank.serve public --bind 127.0.0.1:8443
    python -m bank.serve mtls --bind 127.0.0.1:8444 [--workers 2 --threads 4]

Certificates default to the demo PKI (`manage.py pki init`: var/pki/server/server.pem, its key,
and var/pki/ca/ca.pem as the CA client certificates must chain to); --certfile, --keyfile and
--ca-certs override them. The TLS policy is security/tls.py: this launcher hands OpenSSL
deploy/tls/openssl.cnf (OPENSSL_CONF) and execs gunicorn with bank/gunicorn_tls.py, whose
`ssl_context` hook applies the rest and refuses to start if anything is off. gunicorn's gthread
worker, because it exposes the peer certificate to the app (security/mtls.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from security.tls import OPENSSL_CONF

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = ROOT / "bank" / "gunicorn_tls.py"


def gunicorn_argv(args: argparse.Namespace, extra: list[str]) -> list[str]:
    pki = Path(args.pki_dir)
    return [
        sys.executable, "-m", "gunicorn", "bank.wsgi:application",
        "--config", str(GUNICORN_CONFIG),
        "--bind", args.bind,
        "--worker-class", "gthread", "--workers", str(args.workers), "--threads", str(args.threads),
        "--certfile", args.certfile or str(pki / "server" / "server.pem"),
        "--keyfile", args.keyfile or str(pki / "server" / "server.key"),
        "--ca-certs", args.ca_certs or str(pki / "ca" / "ca.pem"),
        *extra,
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bank.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("listener", choices=["public", "mtls"])
    parser.add_argument("--bind", required=True, help="HOST:PORT")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pki-dir",
                        default=os.environ.get("BANK_PKI_DIR", str(ROOT / "var" / "pki")))
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    parser.add_argument("--ca-certs")
    args, extra = parser.parse_known_args(argv)
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    demo = settings_module.endswith((".dev", ".test"))
    if not demo and not (args.certfile and args.keyfile and args.ca_certs):
        # Outside the demo and the tests, never fall back to the demo PKI in var/pki (a CA
        # whose key sits next to it): name the real certificate, key and client CA.
        parser.error("outside bank.settings.dev/test, --certfile, --keyfile and --ca-certs "
                     "are required")
    os.environ["BANK_LISTENER"] = args.listener
    os.environ["OPENSSL_CONF"] = str(OPENSSL_CONF)
    argv_out = gunicorn_argv(args, extra)
    os.execv(argv_out[0], argv_out)  # noqa: S606 - our own interpreter, fixed arguments


if __name__ == "__main__":
    main()
