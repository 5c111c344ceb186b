"""The production stack, for real: `deploy/prod-local/run` with bank.settings.prod behind nginx.

nginx (deploy/nginx/bank.conf) in front, two gunicorns per listener (deploy/gunicorn.conf.py),
Celery on RabbitMQ, PostgreSQL, Redis, SoftHSM2 signing keys, the mock Register as a separate
system, one-time codes by SMTP over STARTTLS. The stack gets its own state directory, ports,
database (bank_prodlocal_e2e) and Redis db (14), and is destroyed afterwards.

- a data recipient nobody here wrote (bank_client/recipient.py: Authlib, jwcrypto, requests)
  goes through SSA, DCR, PAR, consent (bank_client/demo_customer.py, the code from the email),
  token and resource calls, over nginx with its client certificate; the bodies are CDS-valid;
- one gunicorn of the mTLS listener is killed (SIGKILL, master and workers) during 200 resource
  calls: nginx retries on the other, no call is lost (no connection error, no 502/504);
- a forged X-SSL-Client-Cert is not believed: nginx's mTLS door overwrites it with the real
  certificate, the public door erases it and serves nothing that reads one, and a gunicorn
  reached directly from an address that is not nginx's (127.0.0.1; nginx connects from
  127.0.0.2, the only BANK_TRUSTED_PROXIES entry) ignores it; the same request from 127.0.0.2
  is believed, which shows the address is what decides;
- every answer through nginx, the app's and nginx's own errors alike, has exactly one HSTS
  header and a Server header without a version.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest
import requests

from bank_client.demo_customer import DemoCustomer
from bank_client.recipient import Recipient
from tests.cdr_schema import validate_body
from tests.conftest import AMQP_URL

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.rabbitmq, pytest.mark.nginx,
              pytest.mark.hsm]

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "deploy" / "prod-local" / "run"
DATABASE = "bank_prodlocal_e2e"
REDIS_DB = "14"
SCOPE = "openid profile bank:accounts.basic:read bank:transactions:read common:customer.basic:read"
HSTS = "max-age=63072000; includeSubDomains"
PROXY_SOURCE = "127.0.0.2"
LOAD_CALLS = 200
KILL_AFTER = 40


@dataclass
class Stack:
    dir: Path
    port_base: int

    def port(self, name: str) -> int:
        offsets = {"public": 3, "mtls": 4, "register": 5, "public-1": 10, "public-2": 11,
                   "mtls-1": 12, "mtls-2": 13}
        return self.port_base + offsets[name]

    @property
    def public_url(self) -> str:
        return f"https://localhost:{self.port('public')}"

    @property
    def mtls_url(self) -> str:
        return f"https://localhost:{self.port('mtls')}"

    @property
    def ca(self) -> str:
        return str(self.dir / "pki" / "ca" / "ca.pem")

    @property
    def cert(self) -> tuple[str, str]:
        return (str(self.dir / "pki" / "recipient" / "client.pem"),
                str(self.dir / "pki" / "recipient" / "client.key"))

    def run(self, *args: str, timeout: float = 60) -> str:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DJANGO_", "BANK_", "DATABASE_URL", "REDIS_URL"))}
        # The load test makes 200 calls on one arrangement within seconds; the rate limits
        # being added would answer 429 (counted apart, never a failure) far sooner.
        env["BANK_RATE_LIMIT_OVERRIDES"] = json.dumps({
            "unattended_calls_per_session": "100000/session", "unattended_per_session": "1000/s"})
        env["BANK_OTP_MAX_PER_HOUR"] = "1000"
        done = subprocess.run([str(RUN), "--dir", str(self.dir), *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise AssertionError(f"run {args[0]} failed:\n{done.stdout}\n{done.stderr}\n"
                                 f"{self.logs()}")
        return done.stdout

    def logs(self, lines: int = 15) -> str:
        out = []
        for path in sorted((self.dir / "logs").glob("*.log")) if (self.dir / "logs").is_dir() else []:
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"== {path.name}\n" + "\n".join(tail))
        return "\n".join(out)

    def pid(self, program: str) -> int:
        return int((self.dir / "run" / f"{program}.pid").read_text())

    def password(self, username: str) -> str:
        logins = json.loads((self.dir / "credentials.json").read_text())["logins"]
        return next(login["password"] for login in logins if login["username"] == username)

    def client_cert(self, name: str) -> tuple[str, str]:
        out = self.dir / "clients" / name
        self.run("manage-register", "pki", "issue-client", "--cn", name, "--out", str(out),
                 "--dir", str(self.dir / "pki"))
        return str(out / "client.pem"), str(out / "client.key")


def _port_base() -> int:
    """A base whose ports (base+3..6, base+10..13) are all free."""
    for _ in range(100):
        base = random.randrange(20_000, 50_000, 20)
        ports = [base + n for n in (3, 4, 5, 6, 10, 11, 12, 13)]
        if all(_free(port) for port in ports):
            return base
    raise AssertionError("no free port range")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    stack = Stack(dir=tmp_path_factory.mktemp("prod-local") / "state", port_base=_port_base())
    options = ("--database", DATABASE, "--redis-db", REDIS_DB, "--broker-url", AMQP_URL)
    stack.run(*options, "destroy")  # what a killed earlier run may have left
    try:
        stack.run(*options, "--port-base", str(stack.port_base),
                  "--transactions-per-account", "5", "start", timeout=300)
        yield stack
    finally:
        stack.run("destroy", timeout=120)


@pytest.fixture(scope="module")
def journey(stack):
    """A recipient registered through nginx, with an access token from Jane's consent."""
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(str(stack.dir / "pki" / "server" / "server.pem"),
                               str(stack.dir / "pki" / "server" / "server.key"))
    # Production accepts https:// client URIs only: the recipient's JWKS is served over TLS.
    recipient = Recipient(stack.public_url, ca_bundle=stack.ca, cert=stack.cert,
                          resource_url=stack.mtls_url, jwks_tls=server_tls)
    base = recipient.start()
    ids = json.loads(stack.run(
        "manage-register", "mock_register_product", "--client-name", "Prod Stack Budget",
        "--recipient-base-uri", base, "--jwks-uri", f"{base}/jwks",
        "--redirect-uri", recipient.redirect_uri, "--scope", SCOPE + " cdr:registration"))
    register_url = f"https://localhost:{stack.port('register')}/mock-register"
    ssa = recipient.ssa(register_url=register_url, brand_id=ids["brand_id"],
                        software_product_id=ids["software_product_id"])
    registration = recipient.register(ssa, software_product_id=ids["software_product_id"])

    request_uri, verifier, state = recipient.par(scope=SCOPE, sharing_duration=86_400)
    to_consent = requests.get(recipient.authorize_url(request_uri), verify=stack.ca,
                              allow_redirects=False, timeout=15)
    assert to_consent.status_code == 303, to_consent.text
    consent_url = urljoin(recipient.authorize_url(request_uri), to_consent.headers["Location"])
    customer = DemoCustomer(stack.public_url, ca_bundle=stack.ca, outbox=stack.dir / "outbox",
                            username="jane.citizen", password=stack.password("jane.citizen"))
    redirect = customer.consent(consent_url, redirect_uri=recipient.redirect_uri)
    claims = recipient.jarm(redirect, state=state)
    token = recipient.token(code=claims["code"], code_verifier=verifier)
    yield recipient, registration, token
    recipient.jwks_server.stop()


def _headers_of(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "x-v": "3",
            "x-fapi-auth-date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())}


def _assert_front_headers(response: requests.Response) -> None:
    # requests joins repeated headers with ", ": equality means exactly one.
    assert response.headers.get("Strict-Transport-Security") == HSTS, response.headers
    assert response.headers.get("Server") == "nginx", response.headers


# (a) The recipient's whole flow through nginx --------------------------------------------
def test_recipient_flow_through_nginx_with_mtls(stack, journey):
    recipient, registration, token = journey
    assert registration["token_endpoint_auth_method"] == "private_key_jwt"
    assert recipient.discovery()["issuer"] == stack.public_url
    assert recipient.discovery()["token_endpoint"].startswith(stack.mtls_url)
    assert token["token_type"].lower() == "bearer" and token["refresh_token"]

    accounts = recipient.api("banking/accounts", token["access_token"], x_v="3")
    assert accounts.status_code == 200, accounts.text
    _assert_front_headers(accounts)
    body = accounts.json()
    assert validate_body(body, "listBankingAccounts", 200, 3) == []
    assert body["links"]["self"].startswith(stack.mtls_url)
    account_id = body["data"]["accounts"][0]["accountId"]
    transactions = recipient.api(f"banking/accounts/{account_id}/transactions",
                                 token["access_token"], x_v="2")
    assert transactions.status_code == 200, transactions.text
    assert validate_body(transactions.json(), "listBankingTransactions", 200, 2) == []
    customer = recipient.api("common/customer", token["access_token"], x_v="1")
    assert customer.status_code == 200, customer.text
    assert validate_body(customer.json(), "getCustomer", 200, 1) == []

    refreshed = recipient.refresh(token["refresh_token"])
    assert recipient.api("banking/accounts", refreshed["access_token"],
                         x_v="3").status_code == 200
    # The code went by SMTP over STARTTLS: one .eml in the relay's outbox.
    assert list((stack.dir / "outbox").glob("*.eml"))


# (b) An app process dies under load ------------------------------------------------------
def test_killing_one_mtls_app_process_under_load_loses_no_request(stack, journey):
    recipient, _, token = journey
    token = recipient.refresh(token["refresh_token"])  # a fresh 5-minute access token
    url = f"{stack.mtls_url}/cds-au/v1/banking/accounts"
    victim = stack.pid("gunicorn-mtls-1")
    victim_port = stack.port("mtls-1")
    error_log = stack.dir / "logs" / "nginx-error.log"
    errors_before = error_log.read_text() if error_log.exists() else ""

    def call(_: int) -> tuple[int | str, dict[str, str]]:
        try:
            response = requests.get(url, verify=stack.ca, cert=stack.cert, timeout=30,
                                    headers=_headers_of(token["access_token"]))
        except requests.RequestException as exc:
            return f"{type(exc).__name__}: {exc}", {}
        return response.status_code, dict(response.headers)

    outcomes: list[tuple[int | str, dict[str, str]]] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(call, n) for n in range(LOAD_CALLS)]
        for done in as_completed(futures):
            outcomes.append(done.result())
            if len(outcomes) == KILL_AFTER:
                # The whole gunicorn (its session: master and workers), mid-load, no warning.
                os.killpg(victim, signal.SIGKILL)

    statuses = Counter(status for status, _ in outcomes)
    lost = {s: n for s, n in statuses.items() if isinstance(s, str) or s in {502, 503, 504}}
    assert not lost, f"lost requests: {lost} (all: {statuses})"
    # 429 is a rate limiter's legitimate answer, not a lost request.
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[200] > 0, statuses
    for _, headers in outcomes:
        assert headers.get("Strict-Transport-Security") == HSTS and headers.get("Server") == "nginx"

    # The kill really hit: nginx logged failing to reach the dead gunicorn (and went on to the
    # other), and the supervisor started a new one.
    deadline = time.monotonic() + 20
    while f"127.0.0.1:{victim_port}" not in error_log.read_text()[len(errors_before):]:
        assert time.monotonic() < deadline, error_log.read_text()[len(errors_before):]
        time.sleep(0.5)
    while stack.pid("gunicorn-mtls-1") == victim:
        assert time.monotonic() < deadline, "the supervisor did not restart the gunicorn"
        time.sleep(0.5)
    print(f"\n200-call load with a gunicorn killed after {KILL_AFTER}: {dict(statuses)}")


# (c) A forged client certificate header ----------------------------------------------------
def _escaped_pem(path: str) -> str:
    return quote(Path(path).read_text(), safe="")


def _direct(port: int, path: str, headers: dict[str, str], *,
            source: str | None = None) -> http.client.HTTPResponse:
    """Plain HTTP straight to a gunicorn, from `source` (default: the kernel's, 127.0.0.1)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=15, source_address=(source, 0) if source else None)
    connection.request("GET", path, headers={"Host": "localhost", **headers})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_forged_certificate_header_is_not_believed(stack, journey):
    recipient, _, token = journey
    token = recipient.refresh(token["refresh_token"])
    headers = _headers_of(token["access_token"])
    path = "/cds-au/v1/banking/accounts"
    forged = {**headers, "X-SSL-Client-Cert": _escaped_pem(stack.cert[0])}
    thief = stack.client_cert("thief")

    # The mTLS door: the header is the certificate of the connection, whatever was sent.
    own = requests.get(stack.mtls_url + path, verify=stack.ca, cert=stack.cert, headers=headers,
                       timeout=15)
    assert own.status_code == 200
    stolen = requests.get(stack.mtls_url + path, verify=stack.ca, cert=thief, headers=forged,
                          timeout=15)
    assert stolen.status_code == 401, stolen.text
    _assert_front_headers(stolen)

    # The public door erases the header, and nothing that reads a certificate is served there
    # (resources, token, registration: 404 on this listener, security/listeners.py).
    for method, public_path in (("GET", path), ("POST", "/token"), ("POST", "/register")):
        on_public = requests.request(method, stack.public_url + public_path, verify=stack.ca,
                                     headers=forged, timeout=15)
        assert on_public.status_code == 404, (public_path, on_public.status_code)
        _assert_front_headers(on_public)

    # Straight to each mTLS gunicorn, from 127.0.0.1 (not nginx's address), claiming to be
    # HTTPS and to hold the recipient's certificate: not served. gunicorn drops X-Forwarded-Proto
    # from anyone but nginx (deploy/gunicorn.conf.py), so Django sees plain HTTP and redirects
    # before any view; and security/mtls.py would not believe the certificate from this
    # address either (REMOTE_ADDR not in BANK_TRUSTED_PROXIES; tests/security/test_mtls.py).
    https = {"X-Forwarded-Proto": "https"}
    for name in ("mtls-1", "mtls-2"):
        direct = _direct(stack.port(name), path, {**forged, **https})
        assert direct.status == 301, direct.status
        assert direct.getheader("Location", "").startswith("https://")
    # The control: the same request from nginx's address (127.0.0.2) is believed. Only the
    # peer address differs, so it is what decides; hence gunicorn listens on loopback only
    # and nginx alone connects from the trusted address.
    for name in ("mtls-1", "mtls-2"):
        trusted = _direct(stack.port(name), path, {**forged, **https}, source=PROXY_SOURCE)
        assert trusted.status == 200, trusted.status
    # And from nginx's address without the certificate header: 401, the token is bound.
    unbound = {k: v for k, v in forged.items() if k != "X-SSL-Client-Cert"}
    assert _direct(stack.port("mtls-2"), path, {**unbound, **https},
                   source=PROXY_SOURCE).status == 401




# (d) What every answer through nginx says ---------------------------------------------------
def test_every_answer_through_nginx_has_hsts_and_no_server_version(stack):
    no_cert = requests.get(stack.mtls_url + "/health/ready", verify=stack.ca, timeout=15)
    assert no_cert.status_code == 400  # nginx: no required SSL certificate
    answers = [
        requests.get(stack.public_url + "/health/ready", verify=stack.ca, timeout=15),
        requests.get(stack.public_url + "/.well-known/openid-configuration", verify=stack.ca,
                     timeout=15),
        requests.get(stack.public_url + "/jwks", verify=stack.ca, timeout=15),
        requests.get(stack.public_url + "/cds-au/v1/banking/products", verify=stack.ca,
                     headers={"x-v": "5"}, timeout=15),
        requests.get(stack.public_url + "/no-such-page", verify=stack.ca, timeout=15),
        requests.post(stack.public_url + "/no-such-page", data=b"x" * 200_000,  # 413 by nginx
                      verify=stack.ca, timeout=15),
        no_cert,
        requests.get(stack.mtls_url + "/cds-au/v1/banking/accounts", verify=stack.ca,
                     cert=stack.cert, headers={"x-v": "3"}, timeout=15),  # 401, no token
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 404, 413, 400, 401]
    for answer in answers:
        _assert_front_headers(answer)
        assert "gunicorn" not in str(answer.headers).lower()
    assert urlsplit(answers[1].json()["issuer"]).netloc == f"localhost:{stack.port('public')}"


# (e) The nginx fronts pass the same TLS scan as the listeners -----------------------------
def test_both_nginx_fronts_pass_mozilla_intermediate_and_the_bank_policy(stack):
    from tests.e2e.test_sslyze import _run, _setup_failure

    reason = _setup_failure()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    fronts = [f"localhost:{stack.port('public')}", f"localhost:{stack.port('mtls')}"]
    cert, key = stack.cert
    done = _run("--ca-file", stack.ca, "--cert", cert, "--key", key, "--bank-policy", *fronts)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for front in fronts:
        assert f"== {front}: COMPLIANT (Mozilla intermediate, bank policy)" in output, output
    assert "2 of 2 target(s) compliant" in output
    assert "CHACHA20" not in output


# (f) The audit trail of everything above: chained, and beyond the serving role's reach ------
def _psql_as(role: str, sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["psql", "-h", "127.0.0.1", "-U", role, "-d", DATABASE, "-tAc", sql],  # noqa: S607
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_stacks_audit_trail_verifies_and_its_serving_role_cannot_alter_it(stack, journey):
    out = stack.run("manage", "audit", "verify")
    assert out.startswith("audit chain OK: "), out
    verified = int(out.split("OK: ")[1].split(" ")[0])
    assert verified > 10  # the flow above: DCR, PAR, login, code, consent, tokens...
    role = f"{DATABASE}_app"
    assert _psql_as(role, "SELECT count(*) FROM security_auditevent").returncode == 0
    for sql in ("UPDATE security_auditevent SET outcome = 'denied'",
                "DELETE FROM security_auditevent",
                "TRUNCATE security_auditevent",
                "UPDATE security_auditchainkey SET active = false",
                "ALTER TABLE security_auditevent DISABLE TRIGGER ALL"):
        done = _psql_as(role, sql)
        assert done.returncode != 0, sql
        assert "permission denied" in done.stderr or "must be owner" in done.stderr, done.stderr
    # What the serving processes do write (every other table) they can.
    assert _psql_as(role, "SELECT count(*) FROM oauth2_provider_accesstoken").returncode == 0
