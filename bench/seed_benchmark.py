"""Time `seed_demo` at about 1,000,000 transactions.

    .venv/bin/python bench/seed_benchmark.py [--target 1000000] [--per-account 100]

Runs against a fresh SQLite file in a temporary directory (never var/bank.sqlite3), and,
when DATABASE_URL is set, against that database too (with --reset: it wipes demo data
there). Prints total seconds and transactions per second for each run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]
# A generated customer has everyday + saver + card accounts; own-account transfers add
# incoming legs, so each customer ends up with about 3.54 x per-account transactions.
TRANSACTIONS_PER_CUSTOMER_FACTOR = 3.54


def _run(args: list[str], env: dict[str, str]) -> str:
    completed = subprocess.run(  # noqa: S603 - fixed argv, our own manage.py
        MANAGE + args, env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"manage.py {args[0]} failed")
    return completed.stdout


def bench(label: str, database_url: str, *, customers: int, per_account: int,
          workdir: Path) -> None:
    env = {**os.environ, "DATABASE_URL": database_url,
           "DJANGO_SETTINGS_MODULE": "bank.settings.test", "BANK_LOG_LEVEL": "WARNING"}
    _run(["migrate", "--noinput", "-v", "0"], env)
    started = time.perf_counter()
    output = _run([
        "seed_demo", "--reset", "--customers", str(customers),
        "--transactions-per-account", str(per_account),
        "--credentials-file", str(workdir / f"credentials-{label}.json"),
    ], env)
    seconds = time.perf_counter() - started
    count = next(int(line.split()[-1].replace(",", "")) for line in output.splitlines()
                 if line.strip().startswith("transactions"))
    print(json.dumps({
        "database": label, "customers": customers, "transactions_per_account": per_account,
        "transactions": count, "seconds": round(seconds, 1),
        "transactions_per_second": round(count / seconds),
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=int, default=1_000_000)
    parser.add_argument("--per-account", type=int, default=100)
    options = parser.parse_args()
    customers = round(options.target / (TRANSACTIONS_PER_CUSTOMER_FACTOR * options.per_account))
    with tempfile.TemporaryDirectory(prefix="seed-bench-") as tmp:
        workdir = Path(tmp)
        bench("sqlite", f"sqlite:///{workdir / 'bench.sqlite3'}", customers=customers,
              per_account=options.per_account, workdir=workdir)
        external = os.environ.get("DATABASE_URL", "")
        if external:
            bench("DATABASE_URL", external, customers=customers,
                  per_account=options.per_account, workdir=workdir)


if __name__ == "__main__":
    main()
