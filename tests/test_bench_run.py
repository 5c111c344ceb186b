"""bench/run.py's arithmetic: server CPU between two /proc snapshots, and the overheads
computed from CPU per request (`make bench` itself is not part of the test run)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run_module():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_run", module)
    spec.loader.exec_module(module)
    return module


run = _run_module()
TICKS = run.CLOCK_TICKS


def test_cpu_between_snapshots_counts_new_processes_whole_and_never_goes_negative():
    before = {(10, 1): ("app", 5 * TICKS), (11, 1): ("db", 2 * TICKS),
              (12, 1): ("db", 9 * TICKS), (13, 1): ("redis", 1 * TICKS)}
    after = {(10, 1): ("app", 8 * TICKS),      # +3 s
             (11, 1): ("db", 3 * TICKS),       # +1 s
             # 12 ended (a connection closed after CONN_MAX_AGE): nothing, not -9 s
             (14, 7): ("db", 2 * TICKS),       # opened meanwhile: all of its 2 s
             (13, 1): ("redis", 1 * TICKS)}
    assert run.server_cpu_used(before, after) == {"app": 3.0, "db": 3.0, "redis": 0.0}
    # A pid reused (another start time), even by the same kind of process, counts as new.
    assert run.server_cpu_used({(20, 1): ("db", 50 * TICKS)}, {(20, 9): ("db", 4 * TICKS)}) == {
        "app": 0.0, "db": 4.0, "redis": 0.0}


def test_this_process_is_found_in_its_own_process_group():
    snapshot = run.server_cpu_ticks(os.getpgid(0))
    mine = [value for (pid, _), value in snapshot.items() if pid == os.getpid()]
    assert mine and mine[0][0] == "app" and mine[0][1] >= 0


def test_backends_of_the_bench_database_are_recognised_whatever_the_user():
    assert run._BACKEND.match("postgres: 15/main: postgres bank_bench 127.0.0.1(5) idle")
    assert run._BACKEND.match("postgres: bank bank_bench [local] SELECT")
    assert not run._BACKEND.match("postgres: 15/main: postgres test 127.0.0.1(5) idle")
    assert not run._BACKEND.match("postgres: 15/main: walwriter")


def test_overheads_come_from_cpu_per_request():
    case = run.Case("accounts", "Get Accounts", "mtls", "/x", 1000, "high priority")
    results = {"accounts": {
        "full": {"rps": 90.0, "cpu_ms": 20.0, "capacity": 100.0, "p95_ms": 50.0},
        "no_audit": {"rps": 300.0, "cpu_ms": 16.0, "capacity": 125.0, "p95_ms": 40.0},
        "all_off": {"rps": 40.0, "cpu_ms": 14.0, "capacity": 142.9, "p95_ms": 40.0},
    }}
    row, = run.summarize(results, [case], ["full", "no_audit", "all_off"])["rows"]
    # Requests/s (noisy: the layer-free server looks slower here) decide nothing.
    assert row["overhead"] == {"no_audit": 0.2, "all_off": 0.3}
    assert row["meets_overhead"] is False
    assert row["meets_tps"] is False  # 100 < 450 per two cores
    assert row["meets_p95"] is True
