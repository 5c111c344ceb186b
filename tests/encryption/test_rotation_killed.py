"""A DEK rotation whose process is killed (SIGKILL, no clean-up of any kind) half-way through
resumes with `manage.py keys resume` and finishes: every row readable, none lost, and the old
key retirable. Real processes on a real database file, like a worker dying in production."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bank_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "BANK_", "DATABASE_URL", "REDIS_URL"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "bank.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bank.sqlite3'}",
        "BANK_LOCAL_KEYS_DIR": str(tmp_path / "keys"),
        "BANK_LOG_LEVEL": "WARNING",
    })
    return env


def manage(env: dict[str, str], *args: str, timeout: int = 300) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"manage.py {args[0]}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_a_killed_rotation_resumes_and_finishes(bank_env, tmp_path):
    manage(bank_env, "migrate", "--noinput", "-v", "0")
    manage(bank_env, "seed_demo", "--transactions-per-account", "600",
           "--credentials-file", str(tmp_path / "creds.json"))
    database = tmp_path / "bank.sqlite3"

    def rotation_row() -> tuple[str, int, str] | None:
        with sqlite3.connect(database) as db:
            return db.execute("SELECT state, rows_reencrypted, old_key_id FROM "
                              "encryption_keyrotation ORDER BY id DESC LIMIT 1").fetchone()

    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "keys", "rotate-dek", "--batch", "50"],
        env=bank_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:
        row = rotation_row()
        if row and row[1] >= 200:
            break
        assert worker.poll() is None, "the rotation finished before it could be killed"
        assert time.monotonic() < deadline, "the rotation made no progress"
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    state, done_before, old_key = rotation_row()  # type: ignore[misc]
    assert state == "RUNNING" and done_before >= 200

    out = manage(bank_env, "keys", "resume", "--batch", "500")
    assert "Rotation done" in out
    state, done_after, _ = rotation_row()  # type: ignore[misc]
    assert state == "DONE" and done_after > done_before
    # No row is left on the old key, and every encrypted value still reads.
    assert f"{old_key}" in manage(bank_env, "keys", "status")
    manage(bank_env, "keys", "retire", old_key, "--grace-seconds", "0")
    check = (
        "from transactions.models import Transaction; from accounts.models import Account;"
        "n = sum(1 for t in Transaction.objects.all() if t.description);"
        "a = sum(1 for x in Account.objects.all() if x.account_number);"
        "print(n, Transaction.objects.count(), a, Account.objects.count())"
    )
    counts = manage(bank_env, "shell", "--no-imports", "-c", check).split()
    assert counts[0] == counts[1] and counts[2] == counts[3], counts
    assert int(counts[1]) > 5000
