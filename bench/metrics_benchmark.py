"""What counting a call for the CDR metrics costs a request (bank/metrics).

    .venv/bin/python bench/metrics_benchmark.py [--requests 250] [--rounds 21]

Builds a fresh SQLite database in a temporary directory, then, in one process:

1. the whole stack: GET /cds-au/v1/discovery/status (Get Status: public, two small queries,
   the cheapest real CDR call, so the one where recording weighs most) through Django's test
   client, once with the settings' MIDDLEWARE and once without MetricsMiddleware, in
   alternating rounds so that drift in the machine favours neither; the background flusher
   runs every second meanwhile, as it does in production (every few seconds);
2. the recording alone: MetricsMiddleware's per-call work (endpoint lookup, tier, counters)
   on a resolved request, and the recorder's counter update by itself.

Prints the median per-request time of each variant and their ratio (with / without).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

METRICS_MIDDLEWARE = "bank.metrics.middleware.MetricsMiddleware"
URL = "/cds-au/v1/discovery/status"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=250, help="requests per round")
    parser.add_argument("--rounds", type=int, default=21)
    options = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bank.settings.test"
    os.environ.setdefault("BANK_LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory(prefix="metrics-bench-") as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        run(options.requests, options.rounds)


def _clients() -> tuple[object, object]:
    """(with recording, without): each test client builds its middleware chain from the
    settings in force at its first request."""
    from django.conf import settings
    from django.test import Client, override_settings

    recording = Client()
    first = recording.get(URL, HTTP_X_V="1").status_code
    without = [name for name in settings.MIDDLEWARE if name != METRICS_MIDDLEWARE]
    plain = Client()
    with override_settings(MIDDLEWARE=without):
        first_plain = plain.get(URL, HTTP_X_V="1").status_code
    if (first, first_plain) != (200, 200):
        raise SystemExit(f"{URL} answered {first} / {first_plain}, not 200")
    return recording, plain


def _per_request(client: object, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        client.get(URL, HTTP_X_V="1")  # type: ignore[attr-defined]
    return (time.perf_counter() - started) / requests


def _recording_alone(calls: int) -> tuple[float, float]:
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from bank.metrics.middleware import _call_record
    from bank.metrics.recorder import Recorder

    request = RequestFactory().get(URL, HTTP_X_V="1")
    request.resolver_match = resolve(URL)
    response = HttpResponse(status=200)
    started = time.perf_counter()
    for _ in range(calls):
        _call_record(request, response, 0.012)
    middleware_work = (time.perf_counter() - started) / calls

    recorder = Recorder()
    now = time.time()
    started = time.perf_counter()
    for i in range(calls):
        recorder.record(at=now + i / 1000, tier="highPriority", software_product_id="sp",
                        status_code=200, authenticated=False, customer_present=False,
                        latency_us=12_000, within_threshold=True)
    counter_update = (time.perf_counter() - started) / calls
    return middleware_work, counter_update


def run(requests: int, rounds: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from bank.metrics.models import RequestBucket
    from bank.metrics.recorder import recorder

    call_command("migrate", verbosity=0)
    settings.BANK_METRICS_FLUSH_SECONDS = 1.0  # the background flush, as in production
    recording, plain = _clients()
    for client in (recording, plain):  # warm-up
        _per_request(client, min(requests, 200))

    with_times: list[float] = []
    without_times: list[float] = []
    for round_number in range(rounds):
        order = [(recording, with_times), (plain, without_times)]
        if round_number % 2:
            order.reverse()
        for client, times in order:
            times.append(_per_request(client, requests))

    with_recording = statistics.median(with_times)
    without_recording = statistics.median(without_times)
    # Every call of the recording client, as the background flusher wrote them (no explicit
    # flush): the first call, the warm-up and the timed rounds.
    time.sleep(3 * settings.BANK_METRICS_FLUSH_SECONDS)
    expected = 1 + min(requests, 200) + rounds * requests
    counted = sum(RequestBucket.objects.values_list("count", flat=True))
    middleware_work, counter_update = _recording_alone(100_000)
    # The micro-benchmark's synthetic calls are not to be written (at exit, the database is
    # already gone with the temporary directory).
    recorder.drain()

    print(f"GET {URL}, {rounds} rounds of {requests} requests, median per request:")
    print(f"  without recording: {without_recording * 1e6:8.1f} us")
    print(f"  with recording:    {with_recording * 1e6:8.1f} us")
    print(f"  ratio (with / without): {with_recording / without_recording:.3f}")
    print("  per round (us), with / without: " + ", ".join(
        f"{a * 1e6:.0f}/{b * 1e6:.0f}" for a, b in zip(with_times, without_times, strict=True)))
    print(f"recording alone, per call: middleware work {middleware_work * 1e6:.2f} us, "
          f"counter update {counter_update * 1e6:.2f} us "
          f"({middleware_work / without_recording:.2%} of a request)")
    print(f"calls the background flusher wrote to the minute buckets: {counted} of {expected}")


if __name__ == "__main__":
    main()
