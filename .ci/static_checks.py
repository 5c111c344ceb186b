"""The two static checks that need more than one command (.ci/static-checks runs them; so does
tests/test_static_checks.py, through the same functions).

`deploy`: `manage.py check --deploy --fail-level WARNING` on bank.settings.prod with the
environment a real deployment has (deploy/prod-local/prodlocal.py `bank_env`): every mandatory
secret present, freshly generated here and never printed. The database URL names a PostgreSQL
server nobody listens on: `check` never connects (no check asks for a database; a check that
started to would fail loudly here rather than touch a real one).

`secrets`: detect-secrets over the tracked files against `.secrets.baseline`. Every entry of
the baseline must be audited as not a secret (`detect-secrets audit .secrets.baseline`: each
is a test fixture or a false positive); anything found that is not in the baseline fails. Line
numbers do not matter (a secret is its file, type and hash), so an edit above a known fixture
does not fail the check.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / ".secrets.baseline"
VENV_BIN = Path(sys.executable).parent


SOFTHSM_LIBRARY = os.environ.get("BANK_SOFTHSM_LIBRARY", "/usr/lib/softhsm/libsofthsm2.so")


def production_environment(hsm_dir: Path) -> dict[str, str]:
    """What bank.settings.prod needs to start, with dummy secrets made now, its keys in a new
    SoftHSM2 token in `hsm_dir` (production signs in the HSM: bank.E010 otherwise)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    pin = secrets.token_hex(12)
    conf = hsm_dir / "softhsm2.conf"
    (hsm_dir / "tokens").mkdir(mode=0o700)
    conf.write_text(f"directories.tokendir = {hsm_dir / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    util = shutil.which("softhsm2-util")
    if util is None:
        raise SystemExit("softhsm2-util is not on PATH (apt-get install softhsm2): the production "
                         "settings keep their signing keys in an HSM")
    subprocess.run([util, "--init-token", "--free", "--label", "bank-check",  # noqa: S603
                    "--so-pin", secrets.token_hex(12), "--pin", pin],
                   env={**os.environ, "SOFTHSM2_CONF": str(conf)}, check=True,
                   capture_output=True, timeout=60)
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "DJANGO_SETTINGS_MODULE": "bank.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "bank.example.com,mtls.bank.example.com",
        # Port 9 (discard): nothing answers, and check --deploy does not connect.
        "DATABASE_URL": f"postgres://bank:{secrets.token_hex(8)}@127.0.0.1:9/bank",
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "CELERY_BROKER_URL": f"amqp://bank:{secrets.token_hex(8)}@127.0.0.1:9//",
        "BANK_LISTENER": "mtls",
        "BANK_PUBLIC_BASE_URL": "https://bank.example.com",
        "BANK_MTLS_BASE_URL": "https://mtls.bank.example.com",
        "BANK_RESOURCE_ID_KEY": base64.urlsafe_b64encode(secrets.token_bytes(64)).decode()
        .rstrip("="),
        "BANK_SIGNING_KEYS_SOURCE": "key-manager",
        "BANK_SIGNING_KEYS_ACTIVE": "PS256=ps256-check,ES256=es256-check",  # _MAKE_KEYS
        "BANK_REGISTER_BASE_URL": "https://register.example.com",
        "BANK_REGISTER_JWKS_URI": "https://register.example.com/cdr-register/v1/jwks",
        "BANK_DATA_HOLDER_BRAND_ID": str(uuid.uuid4()),
        "EMAIL_URL": f"smtp+tls://bank:{secrets.token_hex(8)}@127.0.0.1:9",
        "BANK_OTP_FROM_EMAIL": "no-reply@bank.example.com",
        "BANK_PKCS11_LIBRARY": SOFTHSM_LIBRARY,
        "BANK_PKCS11_TOKEN_LABEL": "bank-check",
        "BANK_PKCS11_PIN": pin,
        "SOFTHSM2_CONF": str(conf),
        # Behind nginx, as deploy/ runs it.
        "BANK_TRUSTED_PROXIES": "127.0.0.1",
        "BANK_TRUSTED_PROXY_CERT_HEADER": "HTTP_X_SSL_CLIENT_CERT",
        "BANK_TRUSTED_PROXY_IP_HEADER": "HTTP_X_REAL_IP",
    }


#: Makes the PS256 and ES256 signing keys inside the token, as `signing_keys rotate` does
#: (without its audit row: there is no database here).
_MAKE_KEYS = ("import django; django.setup(); from security.oauth import signing_keys; "
              "print(','.join(signing_keys.generate_in_key_manager(kid_suffix='check')))")


def deploy_check() -> subprocess.CompletedProcess[str]:
    """`manage.py check --deploy --fail-level WARNING` on the production settings."""
    with tempfile.TemporaryDirectory(prefix="bank-deploy-check-") as hsm_dir:
        env = production_environment(Path(hsm_dir))
        made = subprocess.run([sys.executable, "-c", _MAKE_KEYS], env=env,  # noqa: S603
                              cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
        if made.returncode != 0:
            return made
        return subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level",
             "WARNING"],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def _key(filename: str, finding: dict[str, object]) -> tuple[str, str, str]:
    return filename, str(finding["type"]), str(finding["hashed_secret"])


def baseline_problems(baseline: dict[str, object]) -> list[str]:
    """Entries of the baseline that are not audited as false positives."""
    results = baseline.get("results")
    if not isinstance(results, dict):
        return ["the baseline has no results"]
    return [f"{filename}:{finding.get('line_number')} {finding.get('type')}: "
            f"is_secret={finding.get('is_secret')!r} (audit it: detect-secrets audit)"
            for filename, findings in results.items() for finding in findings
            if finding.get("is_secret") is not False]


def secrets_scan() -> list[str]:
    """Problems: unaudited baseline entries and secrets found that the baseline lacks."""
    baseline = json.loads(BASELINE.read_text())
    problems = baseline_problems(baseline)
    scan = _scan_fresh(baseline)
    known = {_key(f, item) for f, items in baseline["results"].items() for item in items}
    for filename, findings in scan["results"].items():
        for finding in findings:
            if _key(filename, finding) not in known:
                problems.append(f"{filename}:{finding['line_number']} {finding['type']}: "
                                "new, not in .secrets.baseline")
    return problems


def _scan_fresh(baseline: dict[str, object]) -> dict[str, dict[str, list[dict[str, object]]]]:
    """A scan of the tracked files with the baseline's plugins and filters (the baseline
    file itself is not rewritten)."""
    args = [str(VENV_BIN / "detect-secrets"), "scan"]
    filters = baseline.get("filters_used")
    for entry in filters if isinstance(filters, list) else []:
        if entry.get("path") == "detect_secrets.filters.regex.should_exclude_file":
            args += [arg for pattern in entry.get("pattern", [])
                     for arg in ("--exclude-files", pattern)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600,  # noqa: S603
                          check=True)
    found: dict[str, dict[str, list[dict[str, object]]]] = json.loads(done.stdout)
    return found


def main(argv: list[str]) -> int:
    if argv == ["deploy"]:
        done = deploy_check()
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        return done.returncode
    if argv == ["secrets"]:
        problems = secrets_scan()
        for problem in problems:
            print(problem)
        print("detect-secrets: " + ("FAILED" if problems else "no new secret; baseline audited"))
        return 1 if problems else 0
    print("usage: static_checks.py deploy|secrets", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
