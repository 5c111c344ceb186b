"""Tasks through a real worker (and beat) on a real broker, not eagerly.

`celery -A bank worker` / `beat` run as subprocesses with tests/tasks/worker_settings.py
against this test run's database (committed data: transactional_db), on a queue of their own;
the test sends tasks by name with ids, as the bank does, and checks their effect in the
database. RabbitMQ with PostgreSQL (`make test-services`), and the embedded demo's set-up: one
`worker --beat` on kombu's filesystem transport with a SQLite file.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts.demo.seeder import demo_data_delete, seed_run
from security import audit
from security.encryption import rotation
from security.encryption.models import KeyRotation
from security.oauth.models import UsedClientAssertion
from tests.conftest import AMQP_URL

ROOT = Path(__file__).resolve().parents[2]
PURGE = "security.oauth.tasks.oauth_records_purge"
ROTATE = "security.encryption.tasks.key_rotation_continue"
#: How long a task may take to show its effect (a worker starts in 2 to 5 seconds).
PATIENCE = 60.0


class CeleryRun:
    """Worker and beat subprocesses of one test, on a queue no other run consumes."""

    def __init__(self, workdir: Path, *, broker_url: str, database_url: str,
                 broker_dir: Path | None = None) -> None:
        self.workdir = workdir
        self.queue = f"bank-test-{uuid.uuid4().hex[:12]}"
        self.log = workdir / "celery.log"
        self.heartbeat = workdir / "beat-alive"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.env = {
            **{k: v for k, v in os.environ.items()
               if not k.startswith(("DJANGO_", "BANK_", "CELERY_"))
               and k not in {"DATABASE_URL", "REDIS_URL"}},
            "DJANGO_SETTINGS_MODULE": "tests.tasks.worker_settings",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "BANK_TEST_CELERY_QUEUE": self.queue,
            "BANK_BEAT_HEARTBEAT_PATH": str(self.heartbeat),
            # The keys this test process made (conftest.py), so the worker reads its rows.
            "BANK_LOCAL_KEYS_DIR": settings.BANK_LOCAL_KEYS_DIR,
            "BANK_SIGNING_KEYS_DIR": settings.BANK_SIGNING_KEYS_DIR,
            "BANK_MOCK_REGISTER_KEYS_DIR": settings.BANK_MOCK_REGISTER_KEYS_DIR,
            "BANK_LOG_LEVEL": "INFO",
        }
        self.transport_options: dict[str, str] = {}
        if broker_dir is not None:
            for folder in ("processed", "control"):
                (broker_dir / folder).mkdir(parents=True, exist_ok=True)
            self.env["BANK_TEST_BROKER_DIR"] = str(broker_dir)
            self.transport_options = {
                "data_folder_in": str(broker_dir), "data_folder_out": str(broker_dir),
                "processed_folder": str(broker_dir / "processed"),
                "control_folder": str(broker_dir / "control")}
        self.sender = Celery("bank-test-sender", broker=broker_url, set_as_current=False)
        self.sender.conf.broker_transport_options = self.transport_options

    def start(self, *args: str) -> None:
        """`celery -A bank ARGS`, in its own process group (so its pool goes with it), in
        the temporary directory (nothing lands in the checkout)."""
        with self.log.open("ab") as log:
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "bank", *args], cwd=self.workdir,
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))

    def worker(self, *extra: str) -> None:
        self.start("worker", "-Q", self.queue, "--hostname", f"{self.queue}@%h",
                   "--concurrency", "1", "--without-gossip", "--without-mingle",
                   "--without-heartbeat", "--loglevel", "INFO", *extra)

    def send(self, name: str, *args: Any) -> str:
        """Send task `name` with positional ids, as the bank's callers do; its task id."""
        return str(self.sender.send_task(name, args=list(args), queue=self.queue).id)

    def succeeded(self, task_id: str) -> bool:
        return f"[{task_id}] succeeded" in self.log.read_text(errors="replace")

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + PATIENCE
        while not condition():
            dead = [p.args for p in self.processes if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise AssertionError(f"{what}: not seen ({'exited: ' if dead else 'timed out'}"
                                     f"{dead or ''})\n{self.log.read_text(errors='replace')}")
            time.sleep(0.25)

    def stop(self) -> None:
        for process in self.processes:
            _signal_group(process, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=5)
        # The pool's children too, had the parent died first.
        for process in self.processes:
            _signal_group(process, signal.SIGKILL)
        if not self.transport_options:  # RabbitMQ keeps a durable queue: leave none behind
            with self.sender.connection_for_write() as broker:
                broker.default_channel.queue_delete(self.queue)
        self.sender.close()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def _postgres_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{quote(db['NAME'])}"


@pytest.fixture
def celery_run(tmp_path: Path) -> Iterator[Callable[..., CeleryRun]]:
    runs: list[CeleryRun] = []

    def make(**kwargs: Any) -> CeleryRun:
        runs.append(CeleryRun(tmp_path, **kwargs))
        return runs[-1]

    yield make
    for run in runs:  # before transactional_db empties the tables the workers hold
        run.stop()


@pytest.fixture
def rotation_running(transactional_db: None) -> KeyRotation:
    """A small demo bank and a data-key rotation waiting for a worker."""
    demo_data_delete()
    seed_run(seed=7, as_of=timezone.now().date(), customers=0, transactions_per_account=2,
             brand="demo", brand_name="Demo Bank")
    return rotation.dek_rotate(actor=audit.Actor.system("worker-test"))


def _expired_assertion() -> UsedClientAssertion:
    return UsedClientAssertion.objects.create(
        client_id="c", jti=f"old-{uuid.uuid4().hex}",
        expires_at=timezone.now() - timedelta(minutes=1))


def _every_second(name: str, task: str, queue: str) -> PeriodicTask:
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1,
                                                             period=IntervalSchedule.SECONDS)
    return PeriodicTask.objects.create(name=name, task=task, interval=every_second,
                                       queue=queue, expire_seconds=5)


# ---- RabbitMQ and PostgreSQL (make test-services) ---------------------------------------------


@pytest.mark.postgres
@pytest.mark.rabbitmq
def test_a_worker_on_rabbitmq_runs_tasks_sent_by_name_with_ids(celery_run, rotation_running):
    run = celery_run(broker_url=AMQP_URL, database_url=_postgres_url())
    expired = _expired_assertion()
    run.worker()

    run.send(ROTATE, rotation_running.pk, 5)  # slices of 5 rows, each queueing the next
    run.wait_for(lambda: KeyRotation.objects.get(pk=rotation_running.pk).state == "DONE",
                 "the rotation finished by the worker")
    done = KeyRotation.objects.get(pk=rotation_running.pk)
    assert done.rows_reencrypted > 0
    assert rotation.rows_using(rotation_running.old_key_id, purpose="FIELD") == 0

    again = run.send(ROTATE, rotation_running.pk, 5)  # a redelivery: nothing more to do
    purge = run.send(PURGE)
    run.wait_for(lambda: run.succeeded(again) and run.succeeded(purge), "both tasks")

    after = KeyRotation.objects.get(pk=rotation_running.pk)
    assert (after.rows_reencrypted, after.passes, after.finished_at) == (
        done.rows_reencrypted, done.passes, done.finished_at)
    assert not UsedClientAssertion.objects.filter(pk=expired.pk).exists()


@pytest.mark.postgres
@pytest.mark.rabbitmq
def test_beat_sends_a_due_entry_to_the_worker_and_keeps_the_admins_edits(
        celery_run, transactional_db):
    run = celery_run(broker_url=AMQP_URL, database_url=_postgres_url())
    # Staff already slowed down and disabled the audit seal in the admin.
    two_hours = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.create(name="audit-seal", task="security.tasks.audit_seal_task",
                                interval=two_hours, enabled=False)
    _every_second("purge-now", PURGE, run.queue)
    expired = _expired_assertion()

    run.worker()
    run.start("beat", "--loglevel", "INFO")

    run.wait_for(lambda: not UsedClientAssertion.objects.filter(pk=expired.pk).exists(),
                 "the purge sent by beat and run by the worker")
    run.wait_for(run.heartbeat.exists, "beat's heartbeat file")
    assert set(settings.CELERY_BEAT_SCHEDULE) <= set(
        PeriodicTask.objects.values_list("name", flat=True))
    seal = PeriodicTask.objects.get(name="audit-seal")
    assert (seal.interval_id, seal.enabled) == (two_hours.pk, False)


# ---- the embedded demo's set-up: filesystem transport, SQLite -------------------------------


@pytest.mark.skipif("sqlite" not in settings.DATABASES["default"]["ENGINE"],
                    reason="the services run has this on RabbitMQ and PostgreSQL (above)")
def test_the_demos_worker_with_beat_on_the_filesystem_transport(
        celery_run, rotation_running, tmp_path):
    """`make demo`'s `celery worker --beat` on kombu's filesystem:// transport and a SQLite
    file: a task sent by name with an id, and a due entry of the database schedule."""
    database = tmp_path / "bank.sqlite3"
    run = celery_run(broker_url="filesystem://", database_url=f"sqlite:///{database}",
                     broker_dir=tmp_path / "broker")
    expired = _expired_assertion()
    _every_second("purge-now", PURGE, run.queue)
    connection.ensure_connection()
    with sqlite3.connect(database) as copy:  # the in-memory test database, committed rows
        connection.connection.backup(copy)

    run.worker("--beat")
    run.send(ROTATE, rotation_running.pk)

    def query(sql: str, *params: Any) -> Any:
        with sqlite3.connect(database, timeout=5) as db:
            return db.execute(sql, params).fetchone()[0]

    rotations, assertions = KeyRotation._meta.db_table, UsedClientAssertion._meta.db_table
    run.wait_for(lambda: query(f"SELECT state FROM {rotations} WHERE id = ?",  # noqa: S608
                               rotation_running.pk) == "DONE", "the rotation by the worker")
    run.wait_for(lambda: query(f"SELECT count(*) FROM {assertions} WHERE id = ?",  # noqa: S608
                               expired.pk) == 0, "the purge sent by beat")
    run.wait_for(run.heartbeat.exists, "beat's heartbeat file")
    assert query("SELECT count(*) FROM django_celery_beat_periodictask WHERE name = ?",
                 "audit-seal") == 1  # beat seeded the settings' schedule
