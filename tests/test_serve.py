"""`python -m bank.serve`: the listener launcher (bank/serve.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("settings_module", ["bank.settings.prod", ""])
def test_outside_the_demo_the_certificates_must_be_named(settings_module):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    if settings_module:
        env["DJANGO_SETTINGS_MODULE"] = settings_module
    done = subprocess.run([sys.executable, "-m", "bank.serve", "mtls", "--bind", "127.0.0.1:1"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--certfile, --keyfile and --ca-certs are required" in done.stderr


def test_the_gunicorn_command_carries_the_policy_and_the_listener(monkeypatch, tmp_path):
    from bank import serve

    calls = []
    monkeypatch.setattr(os, "execv", lambda path, argv: calls.append(argv))
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "bank.settings.dev")
    # main() sets both for gunicorn: restored after the test, never leaked to other tests.
    monkeypatch.setenv("BANK_LISTENER", "")
    monkeypatch.setenv("OPENSSL_CONF", "")
    serve.main(["public", "--bind", "127.0.0.1:8443", "--pki-dir", str(tmp_path)])
    argv = calls[0]
    assert argv[1:4] == ["-m", "gunicorn", "bank.wsgi:application"]
    assert argv[argv.index("--config") + 1].endswith("bank/gunicorn_tls.py")
    assert argv[argv.index("--worker-class") + 1] == "gthread"
    assert argv[argv.index("--ca-certs") + 1] == str(tmp_path / "ca" / "ca.pem")
    assert os.environ["BANK_LISTENER"] == "public"
    assert os.environ["OPENSSL_CONF"].endswith("deploy/tls/openssl.cnf")
