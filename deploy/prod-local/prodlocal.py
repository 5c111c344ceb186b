"""Run the bank with its production settings, for real, on this machine (`deploy/prod-local/run`).

    deploy/prod-local/run                  set up, then run in the foreground (Ctrl-C stops all)
    deploy/prod-local/run start            set up, start in the background, wait until ready
    deploy/prod-local/run stop             stop the background stack
    deploy/prod-local/run status           what runs, and where
    deploy/prod-local/run destroy          stop, drop the database, flush Redis, delete the state
    deploy/prod-local/run manage ARGS      manage.py with the stack's production environment
    deploy/prod-local/run manage-register ARGS   manage.py of the mock Register (dev settings)

Options (--dir, --port-base...) go before the action.

What runs (DJANGO_SETTINGS_MODULE=bank.settings.prod, every production check on):

- nginx (deploy/nginx/bank.conf, its own prefix under the state directory, never the
  system's): the public front (TLS) and the mTLS front (client certificate from the CA);
- two gunicorns per listener behind it (deploy/gunicorn.conf.py), on 127.0.0.1 ports; nginx
  connects from 127.0.0.2, the only trusted proxy address (BANK_TRUSTED_PROXIES);
- a Celery worker and Celery beat on RabbitMQ;
- PostgreSQL (a database of its own), Redis (a db number of its own), RabbitMQ: the
  machine's services, as found on 127.0.0.1;
- SoftHSM2: a token of its own, made under the state directory; the signing keys are
  generated inside it (`manage.py signing_keys rotate`) and named in BANK_SIGNING_KEYS_ACTIVE;
  the key-encryption keys of encryption at rest live there too;
- the mock CDR Register, which production refuses to serve (prod.py): here it is what it
  stands for, another system, run as a separate process with the dev settings on its own
  port and SQLite database. It also plays the Register's CA: `manage.py pki init` makes the
  CA, the bank's server certificate and a recipient's client certificate under state/pki;
- a mail relay with mandatory STARTTLS (smtp_sink.py): the one-time codes leave by Django's
  SMTP backend over verified TLS (EMAIL_URL=smtp+tls://) and land as .eml files in
  state/outbox, where bank_client/demo_customer.py reads them.

Set-up (every run; each step skips what is done): PKI, HSM token, secrets into state/env
(0600, never printed), the database, `migrate` (a separate step, before any app process),
signing keys, `collectstatic`, `check --deploy`, `seed_demo --if-empty` (seed_settings.py).

Options (remembered in state/stack.json): --dir (default var/prod-local), --port-base
(default 9440: public 9443, mTLS 9444, Register 9445, SMTP 9446, gunicorns 9450-9453),
--database, --redis-db, --broker-url, --transactions-per-account. Passed through to the
bank's processes when set: BANK_RATE_LIMIT_OVERRIDES, BANK_OTP_MAX_PER_HOUR, BANK_LOG_LEVEL.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PYTHON = sys.executable
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "bank.conf"
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
SOFTHSM_LIBRARY = os.environ.get("BANK_SOFTHSM_LIBRARY", "/usr/lib/softhsm/libsofthsm2.so")
#: The address nginx connects to gunicorn from: the only trusted proxy.
PROXY_SOURCE = "127.0.0.2"
TOKEN_LABEL = "bank-prodlocal"  # noqa: S105 - a token label, not a secret
PASS_THROUGH = ("BANK_RATE_LIMIT_OVERRIDES", "BANK_OTP_MAX_PER_HOUR", "BANK_LOG_LEVEL")
SECRET_NAMES = ("DJANGO_SECRET_KEY", "BANK_RESOURCE_ID_KEY", "BANK_PKCS11_PIN",
                "BANK_DATA_HOLDER_BRAND_ID", "BANK_SIGNING_KEYS_ACTIVE")


class StackError(Exception):
    """A step could not be done; the message says what to do."""


def say(message: str) -> None:
    print(f"[prod-local] {message}", flush=True)


# Configuration ---------------------------------------------------------------------------
@dataclass
class Config:
    dir: str = str(ROOT / "var" / "prod-local")
    port_base: int = 9440
    database: str = "bank_prodlocal"
    redis_db: int = 3
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672//"
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    transactions_per_account: int | None = None

    @property
    def state(self) -> Path:
        return Path(self.dir)

    def port(self, name: str) -> int:
        offsets = {"public": 3, "mtls": 4, "register": 5, "smtp": 6,
                   "public-1": 10, "public-2": 11, "mtls-1": 12, "mtls-2": 13}
        return self.port_base + offsets[name]

    @property
    def public_url(self) -> str:
        return f"https://localhost:{self.port('public')}"

    @property
    def mtls_url(self) -> str:
        return f"https://localhost:{self.port('mtls')}"

    @property
    def register_url(self) -> str:
        return f"https://localhost:{self.port('register')}/mock-register"

    @property
    def database_url(self) -> str:
        """The owner's URL: migrations and set-up only."""
        return f"postgres://{self.pg_user}@{self.pg_host}:{self.pg_port}/{self.database}"

    @property
    def app_role(self) -> str:
        """The role every serving process connects as: it owns nothing, so the audit
        trail's triggers and privileges bind it (manage.py audit grant-app-role)."""
        return f"{self.database}_app"

    @property
    def app_database_url(self) -> str:
        return f"postgres://{self.app_role}@{self.pg_host}:{self.pg_port}/{self.database}"


def config_load(args: argparse.Namespace) -> Config:
    """Defaults, then state/stack.json (what the stack was set up with), then the options."""
    state = Path(args.dir) if args.dir else Path(Config.dir)
    config = Config(dir=str(state.resolve()))
    saved = state / "stack.json"
    if saved.is_file():
        for key, value in json.loads(saved.read_text()).items():
            if key != "dir" and hasattr(config, key):
                setattr(config, key, value)
    for key in ("port_base", "database", "redis_db", "broker_url", "transactions_per_account"):
        value = getattr(args, key, None)
        if value is not None:
            setattr(config, key, value)
    return config


def config_save(config: Config) -> None:
    (config.state / "stack.json").write_text(json.dumps(asdict(config), indent=2) + "\n")


# Paths -----------------------------------------------------------------------------------
def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def pki(config: Config) -> Path:
    return config.state / "pki"


def ca_file(config: Config) -> Path:
    return pki(config) / "ca" / "ca.pem"


def recipient_cert(config: Config) -> tuple[str, str]:
    root = pki(config) / "recipient"
    return str(root / "client.pem"), str(root / "client.key")


# Secrets and environments ------------------------------------------------------------------
def env_file_read(path: Path) -> dict[str, str]:
    values = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key] = value
    return values


def env_file_write(path: Path, values: dict[str, str]) -> None:
    lines = ["# prod-local: the bank's production environment (secrets: keep 0600, never commit).",
             "# Generated by deploy/prod-local/run; BANK_LISTENER is set per process.",
             *(f"{key}={value}" for key, value in values.items())]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def secrets_load(config: Config) -> tuple[dict[str, str], bool]:
    """The stack's secrets (made on first use); True when they were just made."""
    saved = env_file_read(config.state / "env")
    if all(saved.get(name) for name in SECRET_NAMES[:4]):
        return {name: saved.get(name, "") for name in SECRET_NAMES}, False
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "BANK_RESOURCE_ID_KEY": base64.urlsafe_b64encode(secrets.token_bytes(64))
        .decode().rstrip("="),
        "BANK_PKCS11_PIN": secrets.token_hex(12),
        "BANK_DATA_HOLDER_BRAND_ID": str(uuid.uuid4()),
        "BANK_SIGNING_KEYS_ACTIVE": "",
    }, True


def bank_env(config: Config, secret: dict[str, str]) -> dict[str, str]:
    """Everything the bank's production processes read (BANK_LISTENER comes per process)."""
    state, ca = config.state, str(ca_file(config))
    values = {
        "DJANGO_SETTINGS_MODULE": "bank.settings.prod",
        "DJANGO_SECRET_KEY": secret["DJANGO_SECRET_KEY"],
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DATABASE_URL": config.app_database_url,
        "REDIS_URL": f"redis://127.0.0.1:6379/{config.redis_db}",
        "CELERY_BROKER_URL": config.broker_url,
        "BANK_PUBLIC_BASE_URL": config.public_url,
        "BANK_MTLS_BASE_URL": config.mtls_url,
        "BANK_RESOURCE_ID_KEY": secret["BANK_RESOURCE_ID_KEY"],
        "BANK_SIGNING_KEYS_SOURCE": "key-manager",
        # Before the first keys exist prod.py still wants a name per alg (see signing_keys()).
        "BANK_SIGNING_KEYS_ACTIVE": secret["BANK_SIGNING_KEYS_ACTIVE"]
        or "PS256=none-yet,ES256=none-yet",
        "BANK_REGISTER_BASE_URL": config.register_url,
        "BANK_REGISTER_JWKS_URI": f"{config.register_url}/cdr-register/v1/jwks",
        "BANK_DATA_HOLDER_BRAND_ID": secret["BANK_DATA_HOLDER_BRAND_ID"],
        "BANK_OUTBOUND_CA_BUNDLE": ca,
        # Its recipients and mock Register run on this machine: loopback is allowed for
        # outbound calls (security/outbound.py refuses every non-public address otherwise).
        "BANK_OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
        "EMAIL_URL": f"smtp+tls://localhost:{config.port('smtp')}",
        "BANK_OTP_FROM_EMAIL": "no-reply@prod-local.demobank.example",
        # Django's SMTP backend verifies the relay with the default trust store: here, our CA.
        "SSL_CERT_FILE": ca,
        "BANK_PKCS11_LIBRARY": SOFTHSM_LIBRARY,
        "BANK_PKCS11_TOKEN_LABEL": TOKEN_LABEL,
        "BANK_PKCS11_PIN": secret["BANK_PKCS11_PIN"],
        "SOFTHSM2_CONF": str(state / "softhsm" / "softhsm2.conf"),
        # Behind nginx (deploy/nginx/bank.conf, prod.py "BEHIND A TLS-TERMINATING PROXY").
        "BANK_TRUSTED_PROXIES": PROXY_SOURCE,
        "BANK_TRUSTED_PROXY_CERT_HEADER": "HTTP_X_SSL_CLIENT_CERT",
        "BANK_TRUSTED_PROXY_IP_HEADER": "HTTP_X_REAL_IP",
        "BANK_LOG_LEVEL": "INFO",
    }
    values.update({name: os.environ[name] for name in PASS_THROUGH if os.environ.get(name)})
    return values


def register_env(config: Config) -> dict[str, str]:
    """The mock Register: another system, on the dev settings, with nothing of the bank's."""
    state = config.state / "register"
    base = f"https://localhost:{config.port('register')}"
    return {
        "DJANGO_SETTINGS_MODULE": "bank.settings.dev",
        "DATABASE_URL": f"sqlite:///{state / 'register.sqlite3'}",
        "BANK_PUBLIC_BASE_URL": base,
        "BANK_MTLS_BASE_URL": base,
        "BANK_REGISTER_BASE_URL": config.register_url,
        "BANK_MOCK_REGISTER_KEYS_DIR": str(state / "ssa-signing"),
        "BANK_SIGNING_KEYS_DIR": str(state / "signing"),
        "BANK_LOCAL_KEYS_DIR": str(state / "keys"),
        "BANK_OTP_OUTBOX_DIR": str(state / "outbox"),
        "BANK_OUTBOUND_CA_BUNDLE": str(ca_file(config)),
        "BANK_LOG_LEVEL": "WARNING",
    }


def clean_environ() -> dict[str, str]:
    """This process's environment without anything that configures a bank."""
    prefixes = ("DJANGO_", "BANK_", "DATABASE_URL", "REDIS_URL", "CELERY_", "EMAIL_URL",
                "SOFTHSM2_CONF", "SSL_CERT_FILE")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def manage(env: dict[str, str], *args: str, quiet: bool = True,
           extra_path: Path | None = None) -> str:
    # Production wants a listener named even for a command; no request reaches one here.
    full = {**clean_environ(), "BANK_LISTENER": "mtls", **env}
    if extra_path:
        full["PYTHONPATH"] = os.pathsep.join([str(extra_path), str(ROOT)])
    done = subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=full, cwd=ROOT,  # noqa: S603
                          capture_output=quiet, text=True, timeout=900, check=False)
    if done.returncode != 0:
        detail = f"\n{done.stdout}\n{done.stderr}" if quiet else ""
        raise StackError(f"manage.py {' '.join(args[:2])} failed{detail}")
    return done.stdout or ""


# Set-up steps -----------------------------------------------------------------------------
def _tcp(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def preflight(config: Config) -> None:
    missing = []
    if not nginx_binary():
        missing.append("nginx (apt-get install nginx)")
    if not (Path(SOFTHSM_LIBRARY).is_file() and shutil.which("softhsm2-util")):
        missing.append("SoftHSM2 (apt-get install softhsm2)")
    for tool in ("psql", "createdb"):
        if not shutil.which(tool):
            missing.append(f"{tool} (apt-get install postgresql-client)")
    services = {"PostgreSQL": (config.pg_host, config.pg_port), "Redis": ("127.0.0.1", 6379),
                "RabbitMQ": ("127.0.0.1", 5672)}
    missing += [f"{name} on {host}:{port}" for name, (host, port) in services.items()
                if not _tcp(host, port)]
    if missing:
        raise StackError("Missing: " + "; ".join(missing))


def nginx_binary() -> str | None:
    # /usr/sbin is not on every user's PATH.
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def pki_init(config: Config) -> None:
    if not (ca_file(config).is_file() and (pki(config) / "server" / "server.pem").is_file()):
        say("PKI (the mock Register's CA): CA, server and recipient certificates")
    private_dir(config.state / "register")
    manage(register_env(config), "pki", "init", "--dir", str(pki(config)))


def hsm_init(config: Config, secret: dict[str, str]) -> None:
    root = private_dir(config.state / "softhsm")
    tokens = private_dir(root / "tokens")
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    if any(tokens.iterdir()):
        return
    say(f"SoftHSM2 token {TOKEN_LABEL!r} in {tokens}")
    # softhsm2-util takes the PINs as arguments only (visible to `ps` for the instant it runs,
    # on this single-user machine); the SO PIN is not kept: `destroy` re-creates the token.
    subprocess.run(  # noqa: S603
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL,  # noqa: S607
         "--so-pin", secrets.token_hex(12), "--pin", secret["BANK_PKCS11_PIN"]],
        env={**os.environ, "SOFTHSM2_CONF": str(conf)}, check=True, capture_output=True,
        timeout=60)


def _psql(config: Config, sql: str, database: str = "postgres") -> str:
    done = subprocess.run(  # noqa: S603
        ["psql", "-h", config.pg_host, "-p", str(config.pg_port), "-U", config.pg_user,  # noqa: S607
         "-d", database, "-tAc", sql], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise StackError(f"psql as {config.pg_user}@{config.pg_host}: {done.stderr.strip()}")
    return done.stdout.strip()


def _database_exists(config: Config) -> bool:
    name = config.database.replace("'", "''")
    return _psql(config, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"  # noqa: S608


def database_create(config: Config, *, new_secrets: bool) -> None:
    if _database_exists(config):
        if new_secrets:
            # Its rows are encrypted under keys of a token and resource-ID key that are gone.
            raise StackError(
                f"Database {config.database} exists but {config.state} is new: its data was "
                f"encrypted with keys that are gone. `deploy/prod-local/run destroy` (or "
                f"`dropdb -h {config.pg_host} -U {config.pg_user} {config.database}`) first, "
                "or choose --database.")
        return
    say(f"PostgreSQL database {config.database}")
    subprocess.run(["createdb", "-h", config.pg_host, "-p", str(config.pg_port),  # noqa: S603,S607
                    "-U", config.pg_user, config.database], check=True, timeout=60)


def app_role_grant(config: Config, owner_env: dict[str, str]) -> None:
    """The serving processes' role: the app's ordinary rights on every table, then the audit
    trail narrowed to insert, read and seal (`manage.py audit grant-app-role`)."""
    role = config.app_role
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise StackError(f"{role!r} is not a plain role name: choose another --database.")
    say(f"database role {role} (serving processes; the owner {config.pg_user} migrates)")
    if _psql(config, f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'") != "1":  # noqa: S608
        _psql(config, f"CREATE ROLE {role} LOGIN")
    _psql(config, f"GRANT CONNECT ON DATABASE {config.database} TO {role}")
    _psql(config, f"GRANT USAGE ON SCHEMA public TO {role}; "
                  f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}; "
                  f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
          database=config.database)
    manage(owner_env, "audit", "grant-app-role", role)


def signing_keys(config: Config, env: dict[str, str], secret: dict[str, str]) -> bool:
    """The PS256/ES256 keys inside the HSM, named in BANK_SIGNING_KEYS_ACTIVE. True when the
    name changed (the env file is rewritten)."""
    listing = manage(env, "signing_keys", "list")
    kids = [line.split("\t")[0] for line in listing.splitlines() if "\t" in line]
    if not kids:
        say("Signing keys: a PS256 and an ES256 pair generated inside the HSM")
        listing = manage(env, "signing_keys", "rotate")
        kids = [line.split()[1] for line in listing.splitlines() if line.startswith("added ")]
    named = dict(item.split("=", 1) for item in secret["BANK_SIGNING_KEYS_ACTIVE"].split(",")
                 if "=" in item)
    if all(named.get(alg) in kids for alg in ("PS256", "ES256")):
        return False
    # First boot (or the named keys are gone): name the newest pair, as an operator would
    # after `signing_keys list`.
    newest = {alg: max(k for k in kids if k.startswith(alg.lower() + "-"))
              for alg in ("PS256", "ES256")}
    secret["BANK_SIGNING_KEYS_ACTIVE"] = ",".join(f"{a}={k}" for a, k in newest.items())
    say(f"Signing keys named in BANK_SIGNING_KEYS_ACTIVE: {secret['BANK_SIGNING_KEYS_ACTIVE']}")
    return True


def setup(config: Config) -> dict[str, str]:
    """Every step before a process starts; returns the bank's environment."""
    preflight(config)
    private_dir(config.state)
    for sub in ("logs", "run", "outbox"):
        private_dir(config.state / sub)
    config_save(config)
    secret, new_secrets = secrets_load(config)
    env = bank_env(config, secret)
    env_file_write(config.state / "env", env)
    pki_init(config)
    hsm_init(config, secret)
    database_create(config, new_secrets=new_secrets)
    # Set-up runs as the database's owner; the serving processes as config.app_role.
    owner = {**env, "DATABASE_URL": config.database_url}
    say("migrate (the bank, then the mock Register)")
    manage(owner, "migrate", "--no-input", "-v", "0")
    manage(register_env(config), "migrate", "--no-input", "-v", "0")
    app_role_grant(config, owner)
    if signing_keys(config, owner, secret):
        env = bank_env(config, secret)
        env_file_write(config.state / "env", env)
        owner = {**env, "DATABASE_URL": config.database_url}
    manage(owner, "collectstatic", "--no-input", "-v", "0")
    manage(env, "check", "--deploy", "--fail-level", "WARNING")
    seed = ["seed_demo", "--if-empty", "--credentials-file", str(config.state / "credentials.json")]
    if config.transactions_per_account is not None:
        seed += ["--transactions-per-account", str(config.transactions_per_account)]
    say("seed_demo --if-empty (demo customers; logins in credentials.json)")
    manage({**owner, "DJANGO_SETTINGS_MODULE": "seed_settings"}, *seed, extra_path=HERE)
    nginx_render(config)
    return env


def nginx_render(config: Config) -> Path:
    root = private_dir(config.state / "nginx")
    server = pki(config) / "server"
    values = {
        "SERVER_NAME": "localhost 127.0.0.1",
        "PUBLIC_LISTEN": f"127.0.0.1:{config.port('public')}",
        "MTLS_LISTEN": f"127.0.0.1:{config.port('mtls')}",
        "SERVER_CERT": str(server / "server.pem"),
        "SERVER_KEY": str(server / "server.key"),
        "CLIENT_CA": str(ca_file(config)),
        "PUBLIC_UPSTREAM_1": f"127.0.0.1:{config.port('public-1')}",
        "PUBLIC_UPSTREAM_2": f"127.0.0.1:{config.port('public-2')}",
        "MTLS_UPSTREAM_1": f"127.0.0.1:{config.port('mtls-1')}",
        "MTLS_UPSTREAM_2": f"127.0.0.1:{config.port('mtls-2')}",
        "PROXY_SOURCE": PROXY_SOURCE,
        "ACCESS_LOG": str(config.state / "logs" / "nginx-access.log"),
    }
    text = NGINX_TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    if re.search(r"@@[A-Z0-9_]+@@", text):
        raise StackError(f"{NGINX_TEMPLATE} has a placeholder this script does not fill.")
    (root / "bank.conf").write_text(text)
    temp = {name: private_dir(root / name) for name in
            ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    # The main file: this stack's own pid, logs and temp paths (never /etc/nginx or /run).
    (root / "nginx.conf").write_text(
        "# Generated by deploy/prod-local/run; the bank's part is bank.conf.\n"
        "worker_processes 2;\n"
        f"pid {root / 'nginx.pid'};\n"
        f"error_log {config.state / 'logs' / 'nginx-error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "    default_type application/octet-stream;\n"
        + "".join(f"    {name}_temp_path {path};\n" for name, path in temp.items())
        + f"    include {root / 'bank.conf'};\n"
        "}\n")
    return root


# Processes --------------------------------------------------------------------------------
@dataclass
class Program:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] | None = None


def programs(config: Config, env: dict[str, str]) -> list[Program]:
    state, server = config.state, pki(config) / "server"
    gunicorn = [PYTHON, "-m", "gunicorn", "bank.wsgi:application", "--config", str(GUNICORN_CONFIG)]
    listed = [
        Program("smtp", [PYTHON, str(HERE / "smtp_sink.py"), "--port", str(config.port("smtp")),
                         "--cert", str(server / "server.pem"), "--key", str(server / "server.key"),
                         "--outbox", str(state / "outbox")], {}),
        Program("register", [PYTHON, "-m", "bank.serve", "public", "--bind",
                             f"127.0.0.1:{config.port('register')}", "--pki-dir", str(pki(config)),
                             "--workers", "1", "--threads", "4"], register_env(config)),
    ]
    for listener in ("public", "mtls"):
        for n in (1, 2):
            name = f"{listener}-{n}"
            listed.append(Program(f"gunicorn-{name}", [
                *gunicorn, "--bind", f"127.0.0.1:{config.port(name)}"],
                {**env, "BANK_LISTENER": listener}))
    celery = [str(Path(PYTHON).parent / "celery"), "-A", "bank"]
    listed += [
        Program("celery-worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2",
                                  "--hostname", f"prodlocal-{config.port_base}@%h"],
                {**env, "BANK_LISTENER": "mtls"}),
        # The schedule is in the database (CELERY_BEAT_SCHEDULER, bank/beat.py): no file.
        Program("celery-beat", [*celery, "beat", "--loglevel", "INFO"],
                {**env, "BANK_LISTENER": "mtls"}),
        Program("nginx", [str(nginx_binary()), "-p", str(state / "nginx"), "-e",
                          str(state / "logs" / "nginx-error.log"),
                          "-c", str(state / "nginx" / "nginx.conf"), "-g", "daemon off;"], {}),
    ]
    return listed


class Supervisor:
    """Starts every program in its own process group, restarts one that dies (at most 5 times
    a minute, then stops everything), and on SIGTERM/SIGINT stops them in order: nginx first
    (no new requests), then the app processes (graceful), the workers, the helpers."""

    def __init__(self, config: Config, env: dict[str, str]) -> None:
        self.config = config
        self.programs = programs(config, env)
        self.stopping = False

    def spawn(self, program: Program) -> None:
        log = (self.config.state / "logs" / f"{program.name}.log").open("ab")
        env = {**clean_environ(), **program.env} if program.env else clean_environ()
        program.process = subprocess.Popen(  # noqa: S603
            program.argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        (self.config.state / "run" / f"{program.name}.pid").write_text(f"{program.process.pid}\n")

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._stop_signal)
        (self.config.state / "run" / "supervisor.pid").write_text(f"{os.getpid()}\n")
        for program in self.programs:
            self.spawn(program)
        say(f"started {len(self.programs)} processes (logs: {self.config.state / 'logs'})")
        code = 0
        while not self.stopping:
            time.sleep(0.5)
            for program in self.programs:
                process = program.process
                if self.stopping or process is None or process.poll() is None:
                    continue
                now = time.monotonic()
                program.restarts = [t for t in (program.restarts or []) if now - t < 60] + [now]
                if len(program.restarts) > 5:
                    say(f"{program.name} keeps dying (exit {process.returncode}); stopping all")
                    self.stopping, code = True, 1
                    break
                say(f"{program.name} exited ({process.returncode}); restarting it")
                self.spawn(program)
        self.shutdown()
        (self.config.state / "run" / "supervisor.pid").unlink(missing_ok=True)
        return code

    def _stop_signal(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def shutdown(self) -> None:
        order = ["nginx", "gunicorn-", "celery-", "register", "smtp"]
        for prefix in order:
            group = [(p.name, p.process) for p in self.programs
                     if p.name.startswith(prefix) and p.process]
            for name, process in group:
                if process.poll() is None:
                    # nginx: SIGQUIT is its graceful stop; the others take SIGTERM.
                    graceful = signal.SIGQUIT if name == "nginx" else signal.SIGTERM
                    _signal_group(process.pid, graceful)
            deadline = time.monotonic() + 25
            for name, process in group:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    _signal_group(process.pid, signal.SIGKILL)
                    process.wait(timeout=5)
                # Workers a master left behind go with its group.
                _signal_group(process.pid, signal.SIGKILL)
                (self.config.state / "run" / f"{name}.pid").unlink(missing_ok=True)
        say("stopped")


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# Readiness ------------------------------------------------------------------------------
def ready(config: Config) -> list[str]:
    """What does not answer yet (empty: all ready)."""
    context = ssl.create_default_context(cafile=str(ca_file(config)))
    mtls = ssl.create_default_context(cafile=str(ca_file(config)))
    mtls.load_cert_chain(*recipient_cert(config))
    checks = [
        (f"{config.public_url}/health/ready", context),
        (f"{config.mtls_url}/health/ready", mtls),
        (f"{config.register_url}/cdr-register/v1/jwks", context),
    ]
    failing = []
    for url, tls in checks:
        try:
            with urllib.request.urlopen(url, timeout=5, context=tls) as response:  # noqa: S310
                if response.status != 200:
                    failing.append(f"{url}: {response.status}")
        except Exception as exc:  # anything means "not yet"
            failing.append(f"{url}: {exc}")
    if not _tcp("127.0.0.1", config.port("smtp")):
        failing.append("smtp")
    return failing


def wait_ready(config: Config, supervisor_pid: int | None, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        failing = ready(config)
        if not failing:
            return
        if supervisor_pid is not None and not _alive(supervisor_pid):
            raise StackError("the stack stopped while starting; see "
                             f"{config.state / 'logs'} (supervisor.log first)")
        if time.monotonic() > deadline:
            raise StackError("not ready after {:.0f} s: {}".format(timeout, "; ".join(failing)))
        time.sleep(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def supervisor_pid(config: Config) -> int | None:
    path = config.state / "run" / "supervisor.pid"
    if not path.is_file():
        return None
    pid = int(path.read_text().strip() or 0)
    return pid if pid and _alive(pid) else None


def banner(config: Config) -> None:
    cert, key = recipient_cert(config)
    print(f"""
The bank, production settings, behind nginx:
  public  {config.public_url}   (discovery, JWKS, /authorize, consent pages, products)
  mTLS    {config.mtls_url}   (PAR, token, DCR, resources; client certificate required)
  mock CDR Register  {config.register_url}
  CA {ca_file(config)}; a recipient's certificate {cert} (+ .key)
  demo logins: {config.state / 'credentials.json'}; one-time codes: {config.state / 'outbox'}
  environment (secrets, 0600): {config.state / 'env'}; logs: {config.state / 'logs'}

  curl --cacert {ca_file(config)} {config.public_url}/health/ready
  curl --cacert {ca_file(config)} --cert {cert} --key {key} {config.mtls_url}/health/ready
""", flush=True)


# Commands -------------------------------------------------------------------------------
def cmd_run(config: Config) -> int:
    if supervisor_pid(config):
        raise StackError(f"already running (deploy/prod-local/run stop --dir {config.state})")
    env = setup(config)
    supervisor = Supervisor(config, env)
    def report() -> None:
        try:
            wait_ready(config, None)
            banner(config)
            say("ready; Ctrl-C stops everything")
        except StackError as exc:
            say(str(exc))

    threading.Thread(target=report, daemon=True).start()
    return supervisor.run()


def cmd_start(config: Config) -> int:
    if supervisor_pid(config):
        say("already running")
        banner(config)
        return 0
    setup(config)
    log = (config.state / "logs" / "supervisor.log").open("ab")
    process = subprocess.Popen(  # noqa: S603
        [PYTHON, str(Path(__file__)), "supervise", "--dir", str(config.state)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True, env=clean_environ())
    log.close()
    say(f"supervisor {process.pid}; waiting for /health/ready on both fronts")
    try:
        wait_ready(config, process.pid)
    except StackError:
        cmd_stop(config)
        raise
    banner(config)
    return 0


def cmd_supervise(config: Config) -> int:
    # What `start` set up and wrote, pass-through variables included.
    env = env_file_read(config.state / "env")
    if "DJANGO_SECRET_KEY" not in env:
        raise StackError(f"no stack set up in {config.state}")
    return Supervisor(config, env).run()


def cmd_stop(config: Config) -> int:
    pid = supervisor_pid(config)
    if pid is None:
        say("not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.3)
    if _alive(pid):
        raise StackError(f"supervisor {pid} did not stop in 60 s")
    say("stopped")
    return 0


def cmd_status(config: Config) -> int:
    pid = supervisor_pid(config)
    if pid is None:
        say("not running")
        return 1
    failing = ready(config)
    say(f"supervisor {pid}; " + ("ready" if not failing else "not ready: " + "; ".join(failing)))
    banner(config)
    return 0 if not failing else 1


def cmd_destroy(config: Config) -> int:
    cmd_stop(config)
    if _tcp(config.pg_host, config.pg_port):
        subprocess.run(["dropdb", "--if-exists", "-h", config.pg_host,  # noqa: S603,S607
                        "-p", str(config.pg_port), "-U", config.pg_user, config.database],
                       check=True, timeout=60)
        if re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", config.app_role):
            _psql(config, f"DROP ROLE IF EXISTS {config.app_role}")
    if shutil.which("redis-cli") and _tcp("127.0.0.1", 6379):
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-n", str(config.redis_db),  # noqa: S603,S607
                        "FLUSHDB"], check=True, timeout=30, capture_output=True)
    if config.state.is_dir():
        shutil.rmtree(config.state)
    say(f"destroyed: database {config.database}, Redis db {config.redis_db}, {config.state}")
    return 0


def cmd_manage(config: Config, args: list[str], *, register: bool) -> int:
    if register:
        env = register_env(config)
    else:
        env = {**env_file_read(config.state / "env"), "BANK_LISTENER": "mtls"}
        if "DJANGO_SECRET_KEY" not in env:
            raise StackError(f"no stack in {config.state} (run `deploy/prod-local/run` first)")
    done = subprocess.run([PYTHON, str(ROOT / "manage.py"), *args],  # noqa: S603
                          env={**clean_environ(), **env}, cwd=ROOT, check=False)
    return done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="deploy/prod-local/run", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", nargs="?", default="run",
                        choices=["run", "start", "stop", "status", "destroy", "supervise",
                                 "manage", "manage-register"])
    parser.add_argument("--dir", help="state directory (default var/prod-local)")
    parser.add_argument("--port-base", type=int)
    parser.add_argument("--database")
    parser.add_argument("--redis-db", type=int)
    parser.add_argument("--broker-url")
    parser.add_argument("--transactions-per-account", type=int)
    argv = sys.argv[1:] if argv is None else argv
    # Everything after `manage`/`manage-register` is manage.py's (--dir included): this
    # script's options go before the action.
    split = next((i for i, a in enumerate(argv) if a in {"manage", "manage-register"}), None)
    rest = argv[split + 1:] if split is not None else []
    args = parser.parse_args(argv[:split + 1] if split is not None else argv)
    config = config_load(args)
    try:
        if args.action in {"manage", "manage-register"}:
            return cmd_manage(config, rest, register=args.action == "manage-register")
        commands = {"run": cmd_run, "start": cmd_start, "stop": cmd_stop, "status": cmd_status,
                    "destroy": cmd_destroy, "supervise": cmd_supervise}
        return commands[args.action](config)
    except StackError as exc:
        say(f"error: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
