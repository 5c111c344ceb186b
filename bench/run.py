"""`make bench`: throughput and latency of the CDR endpoints with the full security stack, and
what each security layer costs, measured in one run.

    .venv/bin/python bench/run.py [--duration 5] [--connections 8] [--workers 2] [--threads 4]
        [--transactions 100000] [--configs full,rate_limits,...] [--cases accounts,...] [--keep]
    BENCH_DURATION=10 make bench      (seconds per measurement; the default 5 keeps it ~8 min)

What runs, all on this machine, all torn down at the end:

- PostgreSQL database `bank_bench` (created, migrated, seeded, dropped; DATABASE_URL's server,
  default postgres://postgres@127.0.0.1:5432), Redis db 8 (flushed before and after): the
  rate-limit counters and the cache, as in production;
- per configuration, two gunicorns (deploy/gunicorn.conf.py: gthread, `--workers` x
  `--threads`) serving bench/wsgi.py under bank.settings.bench (= prod.py, refused outside a
  run): one mTLS listener, one public listener. Configurations: `full` (every layer on),
  one per layer switched off (bench/layers.py: rate_limits, audit, mtls, decryption) and
  `all_off`. All of them are started at once and the measurements interleave (for each
  endpoint, every configuration in turn, the order reversed on every other endpoint), so
  drift on a shared machine spreads over all of them;
- wrk (Debian's `wrk`) with bench/load.lua as the load generator. wrk cannot present a TLS
  client certificate, so it plays the part nginx plays in production (deploy/nginx/
  bank.conf): it connects to gunicorn from 127.0.0.1, the run's BANK_TRUSTED_PROXIES, and sends
  what nginx sends after verifying the certificate: X-SSL-Client-Cert (the URL-encoded PEM),
  X-Real-IP, X-Forwarded-Proto. The app then takes the same path as behind nginx (security/
  mtls.py parses the PEM, hashes it, compares the token's binding); what is left out is
  nginx itself (TLS termination and the handshake's verification), which a deployment
  scales separately.

The endpoints (customer present: x-fapi-customer-ip-address): Get Accounts; Get Transactions
of an account with 100,000 transactions, page 1 and a middle page, and with `text=` (page 1
and a middle page over the newest 30,000 rows: the most one search decrypts); Get
Transaction Detail; Get Products (public listener); the token endpoint (refresh_token grant,
private_key_jwt, a new ES256 client assertion per request: each is single use) and PAR (the
same authentication and a signed request object). Each is checked once per configuration
before it is timed (status and shape), warmed up for 1 s, then timed for --duration s.

What is measured per run: requests/s and latency percentiles (wrk), and the server side's
CPU time per request: the configuration's gunicorn processes, the bench database's
PostgreSQL backends and Redis, read from /proc before and after the run (not wrk's own CPU).
On a shared 2-core VM requests/s swings twofold between identical rounds; CPU per request
moves a few percent, so the capacity (requests/s two cores could answer at that cost) and the
layers' overheads are computed from it.

Results: a table on stdout, var/bench/results-<UTC time>.json and .md. Targets (issue 11):
450 requests/s per two cores, p95 under the endpoint's CDR tier threshold (CDS
nfrs/_performance-requirements.md), total security overhead (1 - CPU per request with every
layer off / with the full stack) under 25%.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_data import es256_sign  # noqa: E402

PYTHON = sys.executable
VAR = ROOT / "var" / "bench"
TOKEN_FILE = VAR / "run.token"
DATABASE = "bank_bench"
REDIS_DB = 8
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LAYERS = ("rate_limits", "audit", "mtls", "decryption")
CONFIGS: dict[str, tuple[str, ...]] = {
    "full": (),
    **{f"no_{layer}": (layer,) for layer in LAYERS},
    "all_off": LAYERS,
}
#: Requests/s the issue asks of each endpoint per two cores (the CDR site-wide peak).
TARGET_TPS_PER_TWO_CORES = 450
TOTAL_OVERHEAD_TARGET = 0.25


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    listener: str  # "mtls" or "public"
    path: str
    threshold_ms: int  # the CDR tier (nfrs/_performance-requirements.md)
    tier: str
    method: str = "GET"
    status: int = 200
    body: str = ""  # "token" or "par": a pool of single-use client assertions
    connections: int | None = None  # None: --connections
    answer_key: str = "data"  # a key the JSON answer must hold (checked before timing)


def cases(data: dict[str, Any]) -> list[Case]:
    account = f"/cds-au/v1/banking/accounts/{data['account_id']}"
    count = data["transactions"]
    middle = -(-count // 25) // 2
    text = {"text": "card purchase", "oldest-time": data["text_oldest_time"]}
    text_rows = data["text_rows"]
    text_middle = max(1, -(-text_rows // 25) // 2)
    return [
        Case("accounts", "Get Accounts", "mtls", "/cds-au/v1/banking/accounts", 1000,
             "high priority"),
        Case("transactions_p1", f"Get Transactions, page 1 of {count:,}", "mtls",
             f"{account}/transactions?page=1&page-size=25", 1500, "low priority"),
        Case("transactions_mid", f"Get Transactions, page {middle:,} (middle)", "mtls",
             f"{account}/transactions?page={middle}&page-size=25", 1500, "low priority"),
        Case("text_p1", f"Get Transactions text=, page 1 ({text_rows:,} rows decrypted)", "mtls",
             f"{account}/transactions?{urlencode({**text, 'page': 1})}", 1500, "low priority",
             connections=2),
        Case("text_mid", f"Get Transactions text=, page {text_middle} (middle)", "mtls",
             f"{account}/transactions?{urlencode({**text, 'page': text_middle})}", 1500,
             "low priority", connections=2),
        Case("transaction_detail", "Get Transaction Detail", "mtls",
             f"{account}/transactions/{data['transaction_id']}", 1500, "low priority"),
        Case("products", "Get Products", "public", "/cds-au/v1/banking/products", 1500,
             "unauthenticated"),
        Case("token", "Token (refresh_token, private_key_jwt)", "mtls", "/token", 1000,
             "high priority (InfoSec)", method="POST", body="token"),
        Case("par", "PAR (private_key_jwt, request object)", "mtls", "/par", 1000,
             "high priority (InfoSec)", method="POST", status=201, body="par"),
        # Not a CDR endpoint: the cost of the stack itself (gunicorn, Django, every
        # middleware), with no token, no database and no serializer. Whatever an endpoint
        # costs above this is its own work.
        Case("floor", "Floor: GET /health/live (middleware only)", "public", "/health/live",
             1000, "none (not a CDR endpoint)", answer_key="status"),
    ]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# Services ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def bench_database(server_url: str) -> Iterator[str]:
    """Database `bank_bench` on the server of `server_url`, new, dropped on the way out."""
    import psycopg

    parts = urlsplit(server_url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{DATABASE}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@contextmanager
def run_token() -> Iterator[str]:
    """The token that lets bank.settings.bench load, in var/bench/run.token for this run."""
    VAR.mkdir(parents=True, exist_ok=True)
    if TOKEN_FILE.exists():
        raise SystemExit(f"{TOKEN_FILE} exists: another bench run is in progress (or one was "
                         "killed: delete the file).")
    token = secrets.token_urlsafe(32)
    fd = os.open(TOKEN_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    try:
        yield token
    finally:
        TOKEN_FILE.unlink(missing_ok=True)


def bench_env(*, token: str, database_url: str, redis_url: str, state: Path,
              broker_url: str) -> dict[str, str]:
    """What the bench's processes read: prod.py's variables (bank.settings.bench checks the
    loopback ones), throwaway secrets, local key files in the run's directory."""
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "BANK_", "DATABASE_URL", "REDIS_URL", "CELERY_",
                                 "EMAIL_URL"))}
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "bank.settings.bench",
        "BANK_BENCH_RUN_TOKEN": token,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": broker_url,
        "BANK_PUBLIC_BASE_URL": "https://localhost:9943",
        "BANK_MTLS_BASE_URL": "https://localhost:9944",
        "BANK_RESOURCE_ID_KEY": base64.urlsafe_b64encode(secrets.token_bytes(64))
        .decode().rstrip("="),
        "BANK_SIGNING_KEYS_SOURCE": "files",
        "BANK_SIGNING_KEYS_DIR": str(state / "signing"),
        # No measured path signs (refresh answers no ID token, PAR signs nothing).
        "BANK_SIGNING_KEYS_ACTIVE": "PS256=none,ES256=none",
        "BANK_REGISTER_BASE_URL": "https://localhost:9945/mock-register",
        "BANK_REGISTER_JWKS_URI": "https://localhost:9945/mock-register/cdr-register/v1/jwks",
        "BANK_DATA_HOLDER_BRAND_ID": str(uuid.uuid4()),
        "EMAIL_URL": "smtp+tls://localhost:9946",
        "BANK_OTP_FROM_EMAIL": "no-reply@bench.demobank.example",
        # prod.py requires them; bank.settings.bench uses local key files instead.
        "BANK_PKCS11_LIBRARY": "unused-in-bench",
        "BANK_PKCS11_TOKEN_LABEL": "unused-in-bench",
        "BANK_PKCS11_PIN": "unused-in-bench",
        "BANK_LOCAL_KEYS_DIR": str(state / "keys"),
        # The load generator stands where nginx stands (module docstring).
        "BANK_TRUSTED_PROXIES": "127.0.0.1",
        "BANK_TRUSTED_PROXY_CERT_HEADER": "HTTP_X_SSL_CLIENT_CERT",
        "BANK_TRUSTED_PROXY_IP_HEADER": "HTTP_X_REAL_IP",
        "BANK_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),
        "BANK_LISTENER": "mtls",
    }


def manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


@dataclass
class Server:
    config: str
    listener: str
    port: int
    process: subprocess.Popen[bytes] | None = None


@dataclass
class Fleet:
    servers: dict[tuple[str, str], Server] = field(default_factory=dict)

    def start(self, env: dict[str, str], configs: list[str], listener: str, *, workers: int,
              threads: int, logs: Path) -> None:
        for config in configs:
            server = Server(config, listener, free_port())
            log_file = (logs / f"{config}-{listener}.log").open("wb")
            server.process = subprocess.Popen(  # noqa: S603
                [PYTHON, "-m", "gunicorn", "bench.wsgi:application", "--config",
                 str(ROOT / "deploy" / "gunicorn.conf.py"),
                 "--bind", f"127.0.0.1:{server.port}"],
                env={**env, "BANK_LISTENER": listener,
                     "BANK_BENCH_OFF": ",".join(CONFIGS[config]),
                     "BANK_GUNICORN_WORKERS": str(workers),
                     "BANK_GUNICORN_THREADS": str(threads)},
                cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
            log_file.close()
            self.servers[(config, listener)] = server

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        pending = {key for key, server in self.servers.items() if server.process
                   and server.process.poll() is None}
        while pending:
            for key in sorted(pending):
                server = self.servers[key]
                assert server.process is not None  # noqa: S101 - started
                if server.process.poll() is not None:
                    raise SystemExit(f"gunicorn {key} exited ({server.process.returncode}); "
                                     f"see var/bench/logs/{key[0]}-{key[1]}.log")
                with suppress(OSError, http.client.HTTPException):
                    status, _, _ = call(server.port, "GET", "/health/live",
                                        {"X-Forwarded-Proto": "https"})
                    if status == 200:
                        pending.discard(key)
            if pending and time.monotonic() > deadline:
                raise SystemExit(f"not ready after {timeout:.0f} s: {sorted(pending)}")
            time.sleep(0.5)

    def stop(self) -> None:
        for server in self.servers.values():
            if server.process and server.process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(server.process.pid, signal.SIGTERM)
        for server in self.servers.values():
            if server.process is None:
                continue
            try:
                server.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait(timeout=5)


def call(port: int, method: str, path: str, headers: dict[str, str],
         body: str | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# Server CPU -------------------------------------------------------------------------------
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name ([] if the process is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


#: A PostgreSQL backend's title: "postgres: [cluster: ]user database client state".
_BACKEND = re.compile(rf"^postgres: (?:\S+: )?\S+ {DATABASE} ")

Snapshot = dict[tuple[int, int], tuple[str, int]]


def server_cpu_ticks(server_pid: int) -> Snapshot:
    """(pid, start time) -> (part, CPU ticks so far) of the server side of one configuration:
    `app`, its gunicorn master and workers (their own process group); `db`, the PostgreSQL
    backends of the bench database (any user, local server); `redis`. Not wrk. Other
    configurations' servers and connections sit idle meanwhile. The start time tells a
    reused pid from the process it replaced."""
    found = {}
    for pid in _pids():
        fields = _stat(pid)
        if len(fields) < 20:
            continue
        # Fields after the name: state is [0], pgrp [2], utime [11], stime [12], start [19].
        key, ticks = (pid, int(fields[19])), int(fields[11]) + int(fields[12])
        if int(fields[2]) == server_pid:
            found[key] = ("app", ticks)
            continue
        command = _cmdline(pid)
        if _BACKEND.match(command):
            found[key] = ("db", ticks)
        elif command.startswith("redis-server"):
            found[key] = ("redis", ticks)
    return found


def server_cpu_used(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds by part between two snapshots, per process: a process started meanwhile
    (a database connection opened again after CONN_MAX_AGE) counts whole, one that ended
    meanwhile counts nothing (its last ticks are lost: a small undercount, never negative).

    Divided by the requests answered, this is what a request costs the server side, which
    stays put when the machine is busy with other things, unlike requests/s: on this shared
    2-core VM one configuration's requests/s moved twofold between identical rounds."""
    used = {"app": 0, "db": 0, "redis": 0}
    for key, (part, ticks) in after.items():
        earlier = before.get(key)
        used[part] += ticks - earlier[1] if earlier and earlier[0] == part else ticks
    return {part: value / CLOCK_TICKS for part, value in used.items()}


# Requests ---------------------------------------------------------------------------------
class Requests:
    """Headers and bodies of each case, per configuration (no certificate header without mTLS)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.cert_header = quote(data["client_cert_pem"], safe="")

    def headers(self, case: Case, config: str) -> dict[str, str]:
        mtls_off = "mtls" in CONFIGS[config]
        proxy = {"X-Forwarded-Proto": "https", "X-Real-IP": "198.51.100.20"}
        if case.listener == "public":
            return {**proxy, "x-v": "10", "x-min-v": "1", "Accept": "application/json"}
        if not mtls_off:
            proxy["X-SSL-Client-Cert"] = self.cert_header
        if case.body:
            return {**proxy, "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json"}
        token = self.data["access_token_unbound" if mtls_off else "access_token"]
        return {**proxy, "Authorization": f"Bearer {token}", "x-v": "10", "x-min-v": "1",
                "Accept": "application/json",
                "x-fapi-auth-date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
                "x-fapi-customer-ip-address": "203.0.113.7",
                "x-cds-client-headers": base64.b64encode(b"User-Agent: bench").decode()}

    def bodies(self, case: Case, count: int) -> list[str]:
        """`count` form bodies, each with a new client assertion (single use, RFC 7523)."""
        data = self.data
        now = int(time.time())
        found = []
        for _ in range(count):
            assertion = es256_sign(data["client_key_pem"], data["client_kid"], {
                "iss": data["client_id"], "sub": data["client_id"], "aud": data["issuer"],
                "iat": now, "exp": now + 540, "jti": str(uuid.uuid4())})
            form = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
            if case.body == "token":
                form = {"grant_type": "refresh_token", "refresh_token": data["refresh_token"],
                        **form}
            else:
                form = {**form, "request": data["request_object"]}
            found.append(urlencode(form))
        return found


def check(case: Case, config: str, port: int, requests: Requests) -> None:
    """One call, before timing: the expected status and a body of the expected shape."""
    body = requests.bodies(case, 1)[0] if case.body else None
    status, _, content = call(port, case.method, case.path, requests.headers(case, config), body)
    try:
        answer = json.loads(content)
    except ValueError:
        answer = {}
    shapes = {"token": "access_token", "par": "request_uri"}
    ok = status == case.status and (
        shapes[case.body] in answer if case.body else case.answer_key in answer)
    if case.key.startswith("text"):
        ok = ok and answer.get("meta", {}).get("totalRecords") == requests.data["text_rows"]
    if not ok:
        raise SystemExit(f"{case.key} on {config}: unexpected answer {status} "
                         f"{content[:400]!r}")


def wrk(case: Case, config: str, server: Server, requests: Requests, *, seconds: float,
        connections: int, work: Path) -> dict[str, Any]:
    port = server.port
    assert server.process is not None  # noqa: S101 - started
    server_pid = server.process.pid
    threads = min(2, connections)
    headers_file = work / "headers.txt"
    headers_file.write_text("".join(f"{k}: {v}\n" for k, v in
                                    requests.headers(case, config).items()))
    env = {**os.environ, "BENCH_METHOD": case.method, "BENCH_HEADERS_FILE": str(headers_file),
           "BENCH_THREADS": str(threads), "BENCH_BODIES_FILE": ""}
    if case.body:
        # Far more than 2 cores can use in `seconds`, so that none is sent twice.
        bodies = requests.bodies(case, int(seconds * 1500) + 200)
        bodies_file = work / "bodies.txt"
        bodies_file.write_text("\n".join(bodies) + "\n")
        env["BENCH_BODIES_FILE"] = str(bodies_file)
    cpu_before = server_cpu_ticks(server_pid)
    done = subprocess.run(  # noqa: S603
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",  # noqa: S607
         "--timeout", "30s", "-s", str(ROOT / "bench" / "load.lua"), f"http://127.0.0.1:{port}{case.path}"],
        env=env, capture_output=True, text=True, timeout=seconds + 120, check=False)
    cpu_after = server_cpu_ticks(server_pid)
    if not any(part == "db" for part, _ in cpu_after.values()):
        log(f"warning: no PostgreSQL backend of {DATABASE} found in /proc (a remote server?): "
            "CPU per request leaves the database out")
    cpu_parts = server_cpu_used(cpu_before, cpu_after)
    cpu = sum(cpu_parts.values())
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed on {case.key}/{config}: {done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    expected = result["statuses"].get(str(case.status), 0)
    result["rps"] = round(expected / result["seconds"], 1) if result["seconds"] else 0.0
    result["unexpected"] = result["requests"] - expected
    result["connections"] = connections
    # Server CPU per answered request, and what two cores could answer at that cost.
    result["cpu_ms"] = round(cpu * 1000 / result["requests"], 2) if result["requests"] else 0.0
    result["capacity"] = round(2000 / result["cpu_ms"], 1) if result["cpu_ms"] else 0.0
    result["cpu_ms_by_part"] = {
        part: round(value * 1000 / result["requests"], 2) if result["requests"] else 0.0
        for part, value in cpu_parts.items()}
    return result


def run_case(case: Case, order: list[str], fleet: Fleet, requests: Requests,
             results: dict[str, dict[str, dict[str, Any]]], options: argparse.Namespace,
             work: Path) -> None:
    """Check, warm up (1 s) and time `case` on every configuration, in `order`; with
    --rounds N, N timed rounds (the order reversed every other round) and each
    configuration's median round by server CPU per request is kept, so one noisy
    measurement on a shared machine does not decide a ratio."""
    connections = case.connections or options.connections
    for config in order:
        server = fleet.servers[(config, case.listener)]
        check(case, config, server.port, requests)
        wrk(case, config, server, requests, seconds=1, connections=connections, work=work)
    rounds: dict[str, list[dict[str, Any]]] = {}
    for round_number in range(options.rounds):
        for config in order if round_number % 2 == 0 else list(reversed(order)):
            server = fleet.servers[(config, case.listener)]
            result = wrk(case, config, server, requests, seconds=options.duration,
                         connections=connections, work=work)
            rounds.setdefault(config, []).append(result)
            log(f"{case.key:<18} {config:<14} {result['rps']:>7.1f} req/s  "
                f"{result['cpu_ms']:>6.2f} CPU ms/req {result['cpu_ms_by_part']}  "
                f"p50 {result['p50_ms']:.1f}  "
                f"p95 {result['p95_ms']:.1f} ms  unexpected {result['unexpected']}")
    for config, runs in rounds.items():
        runs.sort(key=lambda run: float(run["cpu_ms"]))
        median = dict(runs[len(runs) // 2])
        median["rounds_rps"] = [round(float(run["rps"]), 1) for run in runs]
        median["rounds_cpu_ms"] = [run["cpu_ms"] for run in runs]
        results.setdefault(case.key, {})[config] = median


def connections_check(server_url: str, needed: int) -> None:
    """Refuse to start servers that would run PostgreSQL out of connections."""
    import psycopg

    with psycopg.connect(server_url) as connection:
        row = connection.execute(
            "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity"
        ).fetchone()
    free = int(row[0]) if row else 0
    if needed + 10 > free:
        raise SystemExit(f"the servers would hold up to {needed} PostgreSQL connections and "
                         f"{free} are free: fewer --configs, --workers or --threads")


# Report -----------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"host": platform.node(), "cpu": model, "cores": os.cpu_count() or 0,
            "python": platform.python_version(), "kernel": platform.release()}


def summarize(results: dict[str, dict[str, dict[str, Any]]], case_list: list[Case],
              configs: list[str]) -> dict[str, Any]:
    rows = []
    for case in case_list:
        measured = results.get(case.key, {})
        full = measured.get("full")
        if full is None:
            continue
        row: dict[str, Any] = {
            "case": case.key, "title": case.title, "tier": case.tier,
            "threshold_ms": case.threshold_ms, "full": full,
            "meets_tps": full["capacity"] >= TARGET_TPS_PER_TWO_CORES,
            "meets_p95": full["p95_ms"] < case.threshold_ms,
            "overhead": {},
        }
        for config in configs:
            if config == "full" or config not in measured or not full["cpu_ms"]:
                continue
            # The share of the full stack's server CPU per request the layer costs:
            # 1 - without / full (= 1 - full / without in requests/s at that CPU).
            row["overhead"][config] = round(1 - measured[config]["cpu_ms"] / full["cpu_ms"], 3)
        if "all_off" in row["overhead"]:
            row["meets_overhead"] = row["overhead"]["all_off"] < TOTAL_OVERHEAD_TARGET
        rows.append(row)
    return {"target_rps": TARGET_TPS_PER_TWO_CORES, "rows": rows}


def table(summary: dict[str, Any], configs: list[str]) -> str:
    layers = [c for c in configs if c != "full"]
    header = ["endpoint", "req/s", "CPU ms/req", "2-core req/s", "p50 ms", "p95 ms", "p99 ms",
              "p95/tier", "errors", *[f"{c} %" for c in layers]]
    lines = [header]
    for row in summary["rows"]:
        full = row["full"]
        lines.append([
            row["title"], f"{full['rps']:.0f}", f"{full['cpu_ms']:.2f}",
            f"{full['capacity']:.0f}" + ("" if row["meets_tps"] else " *"),
            f"{full['p50_ms']:.1f}", f"{full['p95_ms']:.1f}", f"{full['p99_ms']:.1f}",
            f"{full['p95_ms'] / row['threshold_ms']:.2f}", str(full["unexpected"]),
            *[(f"{row['overhead'][c] * 100:+.0f}" if c in row["overhead"] else "-")
              for c in layers]])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |"
           for line in lines]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def markdown(report: dict[str, Any], text_table: str) -> str:
    m = report["machine"]
    return "\n".join([
        f"# make bench, {report['started']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, kernel {m['kernel']}; "
        f"load average {report['load_before']} before, {report['load_after']} after.",
        f"Servers per configuration: {report['workers']} gunicorn workers x {report['threads']} "
        f"threads per listener; wrk, {report['connections']} connections (2 for text=), "
        f"{report['duration']} s per measurement after 1 s of warm-up, the median of "
        f"{report['rounds']} round(s); PostgreSQL "
        f"{report['postgres']}, Redis db {REDIS_DB}.",
        "",
        "Columns: the full security stack's requests/s as measured (wrk, PostgreSQL, Redis "
        "and the servers sharing the machine); the server side's CPU per request (gunicorn, "
        "the database's backends, Redis; not wrk) and the requests/s two cores would answer "
        "at that cost (`*`: under the target of "
        f"{report['summary']['target_rps']:.0f}/s per two cores); latency percentiles, "
        "p95 as a share of the endpoint's CDR tier threshold, answers other than the expected "
        "status; then each layer's overhead, 1 - (CPU per request with that layer off) / "
        "(CPU per request, full stack) (`all_off`: every layer off, the total; target under "
        "25%).",
        "",
        text_table,
        "",
        f"Whole run: {report['seconds']:.0f} s (set-up {report['setup_seconds']:.0f} s).",
        "",
    ])


# Main -------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float,
                        default=float(os.environ.get("BENCH_DURATION") or 5))
    parser.add_argument("--connections", type=int,
                        default=int(os.environ.get("BENCH_CONNECTIONS") or 8))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS") or 1),
                        help="timed rounds per measurement; the median is kept (default 1)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS") or 2))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS") or 4))
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--cases", default="", help="case keys (default: all)")
    parser.add_argument("--keep", action="store_true",
                        help="leave the servers up and the database in place until Enter")
    options = parser.parse_args()
    configs = [c for c in options.configs.split(",") if c]
    if "full" not in configs or set(configs) - set(CONFIGS):
        raise SystemExit(f"--configs: a list from {', '.join(CONFIGS)}, with full in it")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    server_url = os.environ.get("BENCH_DATABASE_SERVER",
                                "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", f"redis://127.0.0.1:6379/{REDIS_DB}")
    broker = os.environ.get("BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    load_before = os.getloadavg()
    logs = VAR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    fleet = Fleet()
    with (run_token() as token, bench_database(server_url) as database_url,
          tempfile.TemporaryDirectory(prefix="bank-bench-") as tmp):
        state = Path(tmp)
        redis_flush(redis_url)
        env = bench_env(token=token, database_url=database_url, redis_url=redis_url,
                        state=state, broker_url=broker)
        try:
            log(f"migrate {DATABASE}")
            manage(env, "migrate", "--no-input", "-v", "0")
            log(f"seed: the demo cast, {options.transactions:,} transactions, a recipient")
            data_file = state / "data.json"
            done = subprocess.run(  # noqa: S603
                [PYTHON, str(ROOT / "bench" / "bench_data.py"), str(data_file),
                 "--transactions", str(options.transactions)],
                env=env, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
            if done.returncode != 0:
                raise SystemExit(f"seeding failed:\n{done.stdout}\n{done.stderr}")
            data = json.loads(data_file.read_text())
            log(f"seeded in {data['seed_seconds']} s")
            setup_seconds = time.perf_counter() - started
            case_list = cases(data)
            if options.cases:
                keys = set(options.cases.split(","))
                case_list = [c for c in case_list if c.key in keys]
            requests = Requests(data)
            results: dict[str, dict[str, dict[str, Any]]] = {}
            # One listener's servers at a time: every gunicorn thread keeps a PostgreSQL
            # connection (CONN_MAX_AGE), and all configurations of both listeners at once
            # would need configs x 2 x workers x threads of them.
            by_listener = [(listener, [c for c in case_list if c.listener == listener])
                           for listener in ("mtls", "public")]
            n = 0
            for listener, listener_cases in by_listener:
                if not listener_cases:
                    continue
                connections_check(server_url, len(configs) * options.workers * options.threads)
                log(f"starting {len(configs)} gunicorns ({listener} listener)")
                fleet.start(env, configs, listener, workers=options.workers,
                            threads=options.threads, logs=logs)
                fleet.wait_ready()
                for case in listener_cases:
                    order = configs if n % 2 == 0 else list(reversed(configs))
                    n += 1
                    run_case(case, order, fleet, requests, results, options, state)
                fleet.stop()
            if options.keep:
                input("Enter to tear down: ")
        finally:
            fleet.stop()
            with suppress(Exception):
                redis_flush(redis_url)

    import psycopg

    with psycopg.connect(server_url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    summary = summarize(results, case_list, configs)
    report = {
        "started": stamp, "machine": machine(), "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()], "duration": options.duration,
        "rounds": options.rounds, "connections": options.connections, "workers": options.workers,
        "threads": options.threads, "postgres": row[0] if row else "?", "configs": configs,
        "results": results, "summary": summary, "setup_seconds": round(setup_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    text_table = table(summary, configs)
    (VAR / f"results-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    (VAR / f"results-{stamp}.md").write_text(markdown(report, text_table))
    print(text_table)
    print(f"\nresults: var/bench/results-{stamp}.json and .md; whole run "
          f"{report['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
