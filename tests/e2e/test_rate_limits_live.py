"""The limit holds across processes: gunicorn workers sharing one Redis, clients in parallel.

Three gunicorn workers serve the public listener with the limiter on Redis; four client
processes send 100 requests at once over TLS to Get Products, whose public total is set to 25. Exactly 25 are served; the 75
others get 429, the CDR error body and a Retry-After that is the real wait (one token per
hour: an hour).
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import time
import uuid

import pytest
import requests

from tests.e2e.conftest import ROOT, LiveBank, _free_port

pytestmark = pytest.mark.redis

PRODUCTS = "/cds-au/v1/banking/products"


@pytest.fixture
def limited_bank(live_bank: LiveBank, settings):
    port = _free_port()
    env = {**live_bank.env, "REDIS_URL": settings.REDIS_URL, "BANK_RATE_LIMIT_MULTIPLIER": "1",
           "BANK_RATE_LIMIT_KEY_PREFIX": f"rl-live-{uuid.uuid4().hex}",
           "BANK_RATE_LIMIT_OVERRIDES": json.dumps({"public_site_wide": ["1/h", 25]})}
    log = (live_bank.workdir / "limited.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "bank.serve", "public", "--bind", f"127.0.0.1:{port}",
         "--pki-dir", str(live_bank.pki.root), "--workers", "3", "--threads", "4"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:  # /health/live spends its source's limit, not the public total
            try:
                requests.get(f"{url}/health/live", verify=str(live_bank.ca), timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError((live_bank.workdir / "limited.log").read_text()) from None
                time.sleep(0.3)
        yield url, str(live_bank.ca)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _client(url: str, ca: str, n: int, start_at: float, queue) -> None:
    session = requests.Session()
    time.sleep(max(0.0, start_at - time.time()))
    results = []
    for _ in range(n):
        response = session.get(url + PRODUCTS, headers={"x-v": "5"}, verify=ca, timeout=30)
        results.append((response.status_code, response.headers.get("Retry-After"),
                        response.json()["errors"][0]["code"] if response.status_code == 429
                        else None))
    queue.put(results)


def test_parallel_clients_over_the_limit_get_exactly_the_limit(limited_bank):
    url, ca = limited_bank
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 2  # every client ready before the first request
    clients = [context.Process(target=_client, args=(url, ca, 25, start_at, queue))
               for _ in range(4)]
    for client in clients:
        client.start()
    results = [row for _ in clients for row in queue.get(timeout=120)]
    for client in clients:
        client.join(timeout=10)
    statuses = [status for status, _, _ in results]
    assert statuses.count(200) == 25, statuses
    assert statuses.count(429) == 75
    refusals = [(int(wait), code) for status, wait, code in results if status == 429]
    assert {code for _, code in refusals} == {"urn:au-cds:error:cds-all:GeneralError/Expected"}
    assert all(3500 <= wait <= 3600 for wait, _ in refusals), refusals
