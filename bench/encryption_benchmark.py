"""Time what encryption at rest costs: Get Transactions with and without decryption, the
`text` filter, and DEK rotation over 1,000,000 transactions.

    .venv/bin/python bench/encryption_benchmark.py [--rows 1000000] [--account-rows 100000]
        [--runs 30] [--text-runs 7] [--batches 1000,5000] [--fresh] [--drop]

When DATABASE_URL names a PostgreSQL server (`make bench-encryption` passes $(PG_URL)), the
data lives in a scratch database `bench_encryption_<rows>` on that server, kept for the next
run (seeding 1,000,000 encrypted rows takes minutes) unless --drop; --fresh uses a throwaway
database instead. Its key-encryption keys sit in a directory of their own under the temporary
directory. The database in DATABASE_URL itself is never touched. Without DATABASE_URL, a
SQLite file in a temporary directory.

The data: the demo cast, then `--rows` transactions in all (card purchases with merchant and
receipt number, one in five a BPAY payment with biller name and CRN), `--account-rows` of them
(100,000 at most) on Jane Citizen's everyday account over the last 89 days, the rest spread
over the other accounts. Measured, in one process:

1. GET /banking/accounts/{id}/transactions, page 1 at page-size 100 and 1000, decrypting as
   it does in production, and with decryption short-circuited (see `Decryption`), alternating
   the two so that drift in the machine favours neither;
2. the same GET with `text=`, which decrypts the description (and, where that does not
   match, the reference) of every candidate row in Python (transactions/selectors.py), over
   the newest TEXT_SEARCH_MAX_ROWS rows (the most one search decrypts); and the refusal of
   the default 90-day window when it holds more;
3. a DEK rotation (`dek_rotate` + `rotation_step` until done) of every row, per batch size.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# bench/ is on sys.path when this file runs as a script: the Get Transactions benchmark lends
# its helpers (and puts the project root on sys.path). Imported by name at run time so that
# mypy checks this file, not that one (bench/ is outside `make lint`).
_transactions_benchmark = importlib.import_module("transactions_benchmark")
ROOT: Path = _transactions_benchmark.ROOT
THRESHOLD_MS: int = _transactions_benchmark.THRESHOLD_MS
scratch_postgres_database = _transactions_benchmark.scratch_postgres_database

NEEDLE = "messina"  # in the description of one transaction in 997 (`text` filter)
RARE_MERCHANT = "GELATO MESSINA"
MERCHANTS = [
    ("WOOLWORTHS METRO", "5411"), ("COLES EXPRESS", "5541"), ("ALDI STORES", "5411"),
    ("BUNNINGS WAREHOUSE", "5200"), ("JB HI-FI", "5732"), ("CHEMIST WAREHOUSE", "5912"),
    ("OPAL TRANSPORT", "4111"), ("UBER *TRIP", "4121"), ("THE GROUNDS CAFE", "5814"),
    ("KMART", "5311"), ("OFFICEWORKS", "5943"), ("DAN MURPHYS", "5921"),
]
SUBURBS = ["SYDNEY", "PARRAMATTA", "NEWTOWN", "CHATSWOOD", "BONDI JUNCTION", "MANLY"]
BILLERS = [("23796", "AGL ENERGY"), ("75556", "TELSTRA"), ("8789", "SYDNEY WATER"),
           ("1313", "ORIGIN ENERGY")]
SEED_BATCH = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="transactions in the database, all re-encrypted by the rotation")
    parser.add_argument("--account-rows", type=int, default=100_000,
                        help="transactions on the account under test (at most --rows)")
    parser.add_argument("--runs", type=int, default=30, help="repetitions per page case")
    parser.add_argument("--text-runs", type=int, default=7, help="repetitions of text=")
    parser.add_argument("--batches", default="1000,5000", help="rotation batch sizes")
    parser.add_argument("--fresh", action="store_true",
                        help="a throwaway PostgreSQL database instead of the kept one")
    parser.add_argument("--drop", action="store_true", help="drop the kept database at the end")
    options = parser.parse_args()
    options.started = time.perf_counter()
    options.account_rows = min(options.account_rows, options.rows)
    options.batches = [int(b) for b in options.batches.split(",") if b.strip()]

    server = os.environ.get("DATABASE_URL", "")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bank.settings.test"
    os.environ.setdefault("BANK_LOG_LEVEL", "WARNING")
    if server.startswith(("postgres://", "postgresql://")):
        if options.fresh:
            with (scratch_postgres_database(server) as url,
                  tempfile.TemporaryDirectory(prefix="enc-bench-keys-") as keys):
                run(options, url=url, keys_dir=Path(keys))
            return
        name = f"bench_encryption_{options.rows}"
        keys_dir = Path(tempfile.gettempdir()) / f"bank-bench-keys-{os.getuid()}" / name
        url = kept_postgres_database(server, name)
        try:
            run(options, url=url, keys_dir=keys_dir)
        finally:
            if options.drop:
                drop_postgres_database(server, name)
                shutil.rmtree(keys_dir, ignore_errors=True)
        return
    with tempfile.TemporaryDirectory(prefix="enc-bench-") as tmp:
        run(options, url=f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", keys_dir=Path(tmp) / "keys")


def kept_postgres_database(server_url: str, name: str) -> str:
    """The URL of database `name` on the server of `server_url`, created if missing."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def drop_postgres_database(server_url: str, name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    print(f"dropped database {name}")


def log(message: str) -> None:
    """Progress, on stderr (the figures go to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(options: argparse.Namespace, *, url: str, keys_dir: Path) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["BANK_LOCAL_KEYS_DIR"] = str(keys_dir)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    assert not settings.DEBUG  # noqa: S101 - DEBUG would keep every query in memory
    call_command("migrate", verbosity=0)
    parts = urlsplit(url)
    where = (f"{connection.vendor} database {parts.path.lstrip('/')} on {parts.hostname}:"
             f"{parts.port or 5432}" if connection.vendor == "postgresql"
             else f"{connection.vendor} {parts.path}")
    print(f"database: {where} (KEKs in {keys_dir})")

    account, seeded = dataset(options.rows, options.account_rows)
    print(f"data: {options.rows:,} transactions, {options.account_rows:,} of them on the "
          f"account under test; " + (f"seeded in {seeded:.0f} s" if seeded is not None
                                     else "reused from an earlier run"))
    client, url_path, headers = granted_client(account)
    decryption = Decryption()

    pages = page_costs(options, client, url_path, headers, decryption)
    text, refused = text_filter_cost(options, client, url_path, headers, decryption, account)
    per_value = decryption.microseconds_per_value()
    sizes = stored_sizes(decryption)
    decryption.memo.clear()
    rotations = [rotation_cost(batch, vendor=connection.vendor) for batch in options.batches]

    print(f"\nresults on {where}, {options.rows:,} transactions")
    print(f"1. Get Transactions, page 1 of {options.account_rows:,} rows, {options.runs} runs "
          "each (ms)")
    print(table(["page-size", "values decrypted", "encrypted p50 / p95",
                 "plaintext p50 / p95", RATIO, "p95 / 1500 ms"], pages))
    for row in pages:
        print(f"   page-size {row[0]}: encrypted / plaintext = {row[4].split(' / ')[0]} (p50)")
    print(f"   one AES-GCM open: {per_value[0]:.1f} us per value (open_sealed, key cached), "
          f"{per_value[1]:.1f} us in a scan (sealed_opener, the text filter's); stored value "
          f"{sizes[0]:.0f} chars as ciphertext vs {sizes[1]:.0f} as plaintext")
    print()
    print(f"2. text={NEEDLE!r} ({options.text_runs} runs, page-size 25, the newest "
          f"{text[0]} rows: " + ("the most one search decrypts)" if refused
                                 else "all of the account's)"))
    print(table(["rows scanned", "matches", "values decrypted", "encrypted p50 / p95",
                 "plaintext p50 / p95", RATIO, "p95 / 1500 ms"], [text]))
    print(f"   text filter: encrypted / plaintext = {text[5].split(' / ')[0]} (p50)")
    if refused:
        print(refused)
    print()
    print("3. DEK rotation (dek_rotate, then rotation_step until done)")
    print(table(["batch", "rows re-encrypted", "passes", "seconds", "rows/second"], rotations))
    print(f"\nwhole run: {time.perf_counter() - options.started:.0f} s")


# --- data --------------------------------------------------------------------------------


def dataset(rows: int, account_rows: int) -> tuple[Any, float | None]:
    """The account under test and the seconds seeding took (None when the database already
    held this data set and it still decrypts)."""
    from django.core.management import call_command
    from django.db.models import F
    from django.utils import timezone

    from accounts.models import Account
    from security.encryption import keyring
    from transactions.models import Transaction

    account = _account_under_test()
    if account is not None:
        total = Transaction.objects.count()
        on_account = Transaction.objects.filter(account=account).count()
        if total == rows and on_account == account_rows:
            try:
                latest = Transaction.objects.filter(account=account).order_by(
                    "-effective_date_time").first()
                assert latest is not None  # noqa: S101 - counted above
                _ = latest.description  # the keys are still there
                # Move the history up to now, so that it is all in the default 90-day window
                # again (plain columns; effective_date_time follows).
                shift = timezone.now() - latest.execution_date_time
                if shift > timedelta(hours=1):
                    log(f"moving the kept history forward by {shift}")
                    Transaction.objects.update(
                        execution_date_time=F("execution_date_time") + shift,
                        posting_date_time=F("posting_date_time") + shift)
                    _vacuum()
                return account, None
            except keyring.DecryptionFailed:
                log("the kept database no longer decrypts (its KEKs are gone): seeding again")
        else:
            log(f"the kept database holds {total:,} transactions: seeding again")
        call_command("flush", interactive=False, verbosity=0)
        keyring.keyring_forget()

    from accounts.demo.seeder import seed_run

    started = time.perf_counter()
    log("seeding the demo cast")
    seed_run(seed=1, as_of=timezone.now().date(), customers=0, transactions_per_account=1,
             brand="demo", brand_name="Demo Bank")
    Transaction.objects.all().delete()  # exactly `rows` transactions, all of them ours
    account = _account_under_test()
    assert account is not None  # noqa: S101 - the cast has it
    others = list(Account.objects.exclude(pk=account.pk).values_list("pk", flat=True))
    now = timezone.now()
    spread = timedelta(days=89)
    batch: list[Transaction] = []
    for i in range(rows):
        if i < account_rows:
            account_id, when = account.pk, now - spread / account_rows * (i + 1)
        else:
            j = i - account_rows
            account_id = others[j % len(others)]
            when = now - spread / max(1, rows - account_rows) * (j + 1)
        batch.append(_transaction(i, account_id, when))
        if len(batch) == SEED_BATCH:
            Transaction.objects.bulk_create(batch)
            batch = []
            if (i + 1) % 100_000 == 0:
                log(f"seeded {i + 1:,} transactions")
    Transaction.objects.bulk_create(batch)
    _vacuum()
    return account, time.perf_counter() - started


def _account_under_test() -> Any:
    from accounts.models import Account, User

    user = User.objects.filter(username="jane.citizen").first()
    if user is None:
        return None
    # display_name is encrypted: it cannot be filtered on, so the few accounts are decrypted.
    return next((a for a in Account.objects.filter(account_holders__customer=user.customer)
                 if a.display_name == "Everyday Account"), None)


def _transaction(i: int, account_id: int, when: datetime) -> Any:
    from transactions.models import Transaction

    common = {"account_id": account_id, "status": "POSTED", "type": "PAYMENT",
              "amount": -(Decimal(125 + i * 37 % 20000) / 100), "execution_date_time": when,
              "posting_date_time": when}
    if i % 5 == 4:
        code, biller = BILLERS[i % len(BILLERS)]
        crn = f"{4_000_000_000 + i * 7919 % 999_999_999:010d}"
        return Transaction(**common, description=f"BPAY {biller} {crn}", biller_code=code,
                           biller_name=biller, crn=crn, reference=f"BPAY{i:08d}")
    merchant, mcc = MERCHANTS[i % len(MERCHANTS)]
    if i % 997 == 0:
        merchant, mcc = RARE_MERCHANT, "5814"
    return Transaction(**common,
                       description=f"VISA PURCHASE {merchant} {SUBURBS[i % len(SUBURBS)]} AU",
                       merchant_name=merchant, merchant_category_code=mcc,
                       reference=f"RRN{i * 104_729 % 10**9:09d}")


def _vacuum() -> None:
    """Fresh statistics and no dead rows (a rotation rewrites every row), so that a kept
    database times like a new one."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def granted_client(account: Any) -> tuple[Any, str, dict[str, str]]:
    """A test client, the account's transactions URL and the headers of a call with a
    token bound to an arrangement for that account (as bench/transactions_benchmark.py)."""
    from django.test import Client
    from django.utils import timezone
    from django.utils.http import http_date
    from oauth2_provider.models import AccessToken, Application

    from accounts.models import User
    from security.consent.models import AccessTokenBinding, Arrangement
    from security.recipients.models import DataRecipient, SoftwareProduct
    from security.resource_ids import ResourceIds, ResourceKind

    user = User.objects.get(username="jane.citizen")
    assert user.customer is not None  # noqa: S101 - Jane is a customer
    tag = secrets.token_hex(4)  # a kept database gets a new recipient on every run
    now = timezone.now()
    recipient = DataRecipient.objects.create(legal_entity_id=f"bench-{tag}",
                                             legal_entity_name="Bench")
    client_app = Application.objects.create(
        name=f"bench-{tag}", client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://bench.example/cb", algorithm="RS256")
    product = SoftwareProduct.objects.create(recipient=recipient, software_product_id=f"sp-{tag}",
                                             name="Bench", client=client_app)
    arrangement = Arrangement.objects.create(
        customer=user.customer, user=user, software_product=product,
        scope="bank:transactions:read", sharing_expires_at=now + timedelta(days=1))
    arrangement.accounts.set([account])
    raw = secrets.token_urlsafe(32)
    token = AccessToken(user=user, application=client_app, token="",
                        scope="bank:transactions:read", expires=now + timedelta(hours=3))
    token._raw_token = raw
    token.save()
    AccessTokenBinding.objects.create(access_token=token, arrangement=arrangement)
    ids = ResourceIds(customer_key=str(user.customer_id), software_product_id=f"sp-{tag}")
    path = (f"/cds-au/v1/banking/accounts/{ids.encode(ResourceKind.ACCOUNT, account.pk)}"
            "/transactions")
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {raw}",
        "HTTP_X_V": "2",
        "HTTP_ACCEPT": "application/json",
        "HTTP_X_FAPI_AUTH_DATE": http_date(),
        "HTTP_X_FAPI_CUSTOMER_IP_ADDRESS": "203.0.113.7",
        "HTTP_X_CDS_CLIENT_HEADERS": "VXNlci1BZ2VudDogYmVuY2g=",
    }
    return Client(), path, headers


# --- 1 and 2: requests with and without decryption -----------------------------------------


class Decryption:
    """Switches `keyring.open_sealed` and `keyring.sealed_opener` (the two ways a stored value
    is decrypted: the field descriptor calls the first, the `text` filter's scan the second,
    both through the module) between the real AES-GCM and a short-circuit.

    The short-circuit is a dictionary lookup of the very plaintext the real function returned
    for that ciphertext in the warm-up request (ciphertexts are unique: random nonce), so both
    modes read the same rows and columns from the database, build the same model instances
    and serialize byte-identical responses (checked). What the comparison removes is exactly
    the decryption: key-id parsing, base64, AES-GCM open with its tag check, UTF-8 decoding.
    What it leaves in both modes, so the ratio does not count it: the ciphertext being
    several times longer than the plaintext from the database (sizes printed), the associated
    data built per value (`EncryptedMixin.context`), and the data descriptor that intercepts
    every read of an encrypted attribute. The ratio is thus the cost of decrypting, a lower
    bound for "encrypted columns vs plain columns".
    """

    def __init__(self) -> None:
        from security.encryption import keyring

        self.keyring = keyring
        self.real: Callable[..., str] = keyring.open_sealed
        self.real_opener: Callable[[], Callable[[str, bytes], str]] = keyring.sealed_opener
        self.memo: dict[str, str] = {}
        self.contexts: list[tuple[str, bytes]] = []
        self.misses = 0
        self.calls = 0

    def _lookup(self, ciphertext: str, *, context: bytes) -> str:
        self.calls += 1
        text = self.memo.get(ciphertext)
        if text is None:  # not seen yet: the warm-up request fills the memo
            self.misses += 1
            text = self.memo[ciphertext] = self.real(ciphertext, context=context)
            if len(self.contexts) < 20_000:
                self.contexts.append((ciphertext, context))
        return text

    def _lookup_opener(self) -> Callable[[str, bytes], str]:
        def open_one(ciphertext: str, context: bytes) -> str:
            return self._lookup(ciphertext, context=context)

        return open_one

    def use(self, mode: str) -> None:
        encrypted = mode == "encrypted"
        self.keyring.open_sealed = self.real if encrypted else self._lookup
        self.keyring.sealed_opener = self.real_opener if encrypted else self._lookup_opener

    def microseconds_per_value(self) -> tuple[float, float]:
        """The real open_sealed, then one real sealed_opener, over the values collected, per
        value (the best of three passes each)."""
        self.use("encrypted")
        count = max(1, len(self.contexts))
        best = [math.inf, math.inf]
        for _ in range(3):
            started = time.perf_counter()
            for ciphertext, context in self.contexts:
                self.real(ciphertext, context=context)
            best[0] = min(best[0], (time.perf_counter() - started) / count * 1e6)
            open_one = self.real_opener()
            started = time.perf_counter()
            for ciphertext, context in self.contexts:
                open_one(ciphertext, context)
            best[1] = min(best[1], (time.perf_counter() - started) / count * 1e6)
        return best[0], best[1]


MODES = ("encrypted", "plaintext")


def timed_modes(decryption: Decryption, runs: int, call: Callable[[], Any]) -> dict[str, list]:
    """`runs` timings (ms) of `call` per mode, the modes alternating (and their order swapped
    every other round)."""
    timings: dict[str, list[float]] = {mode: [] for mode in MODES}
    for round_ in range(runs):
        for mode in MODES if round_ % 2 == 0 else reversed(MODES):
            decryption.use(mode)
            misses = decryption.misses
            started = time.perf_counter()
            call()
            timings[mode].append((time.perf_counter() - started) * 1000)
            if decryption.misses != misses:
                raise SystemExit("the plaintext mode decrypted a value it had not seen: the "
                                 "comparison would not be like for like")
    decryption.use("encrypted")
    return timings


def warmed_up(decryption: Decryption, call: Callable[[], Any]) -> tuple[Any, int]:
    """The response in both modes (checked identical) and the values one request decrypts."""
    decryption.use("encrypted")
    encrypted = call()
    decryption.use("plaintext")
    calls = decryption.calls
    plain = call()
    decrypted = decryption.calls - calls
    decryption.use("encrypted")
    if encrypted.status_code != 200 or plain.content != encrypted.content:
        raise SystemExit(f"unexpected answer: {encrypted.status_code} {encrypted.content[:300]!r}")
    return encrypted.json(), decrypted


def p50_p95(timings: list[float]) -> tuple[float, float]:
    """Median and nearest-rank 95th percentile (with 7 runs, p95 is the slowest)."""
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[math.ceil(len(ordered) * 0.95) - 1]


def compared(timings: dict[str, list[float]]) -> list[str]:
    enc50, enc95 = p50_p95(timings["encrypted"])
    plain50, plain95 = p50_p95(timings["plaintext"])
    return [f"{enc50:.1f} / {enc95:.1f}", f"{plain50:.1f} / {plain95:.1f}",
            f"{enc50 / plain50:.2f}x / {enc95 / plain95:.2f}x", f"{enc95 / THRESHOLD_MS:.3f}"]


RATIO = "encrypted/plaintext p50 / p95"


def page_costs(options: argparse.Namespace, client: Any, path: str, headers: dict[str, str],
               decryption: Decryption) -> list[list[str]]:
    rows = []
    for page_size in (100, 1000):
        query = {"page": 1, "page-size": page_size}

        def call(query: dict[str, int] = query) -> Any:
            return client.get(path, query, **headers)

        body, decrypted = warmed_up(decryption, call)
        if (body["meta"]["totalRecords"] != options.account_rows
                or len(body["data"]["transactions"]) != min(page_size, options.account_rows)):
            raise SystemExit(f"unexpected answer: {body.get('meta')}")
        log(f"timing page-size {page_size}")
        timings = timed_modes(decryption, options.runs, call)
        rows.append([str(page_size), f"{decrypted:,}", *compared(timings)])
    return rows


def text_filter_cost(options: argparse.Namespace, client: Any, path: str,
                     headers: dict[str, str], decryption: Decryption,
                     account: Any) -> tuple[list[str], str]:
    """The `text` search over the widest window a search may decrypt (the account's newest
    TEXT_SEARCH_MAX_ROWS transactions, or all of them), in both modes; and, when the default
    90-day window holds more, the time of its refusal (400 Field/Invalid)."""
    from transactions import selectors
    from transactions.models import Transaction

    limit = selectors.TEXT_SEARCH_MAX_ROWS
    window = min(options.account_rows, limit)
    # Row i of the account is its i-th newest (dataset()): the window is rows 0 .. window-1.
    oldest = (Transaction.objects.filter(account=account)
              .order_by("-effective_date_time", "-id")
              .values_list("effective_date_time", flat=True)[window - 1])
    query = {"text": NEEDLE, "oldest-time": oldest.isoformat()}

    def call() -> Any:
        return client.get(path, query, **headers)

    body, decrypted = warmed_up(decryption, call)
    expected = sum(1 for i in range(window) if i % 997 == 0 and i % 5 != 4)
    if body["meta"]["totalRecords"] != expected:
        raise SystemExit(f"text={NEEDLE}: {body['meta']} (expected {expected} matches)")
    log(f"timing text={NEEDLE}")
    timings = timed_modes(decryption, options.text_runs, call)
    refused = ""
    if options.account_rows > limit:
        started = time.perf_counter()
        response = client.get(path, {"text": NEEDLE}, **headers)
        took = (time.perf_counter() - started) * 1000
        if response.status_code != 400:
            raise SystemExit(f"text={NEEDLE} over {options.account_rows:,} rows: "
                             f"{response.status_code} (expected 400)")
        refused = (f"   the default 90-day window ({options.account_rows:,} rows, over the "
                   f"limit of {limit:,}): {response.status_code} "
                   f"{response.json()['errors'][0]['code'].rsplit(':', 1)[1]} in {took:.0f} ms")
    return [f"{window:,}", f"{expected:,}", f"{decrypted:,}", *compared(timings)], refused


def stored_sizes(decryption: Decryption) -> tuple[float, float]:
    """Average length of a stored ciphertext and of its plaintext, over the values seen."""
    if not decryption.memo:
        return 0.0, 0.0
    sealed = statistics.fmean(len(c) for c in decryption.memo)
    plain = statistics.fmean(len(p.encode()) for p in decryption.memo.values())
    return sealed, plain


# --- 3: rotation -------------------------------------------------------------------------


def rotation_cost(batch: int, *, vendor: str) -> list[str]:
    """A full DEK rotation of the field key at `batch` rows per step (each step one
    transaction, as the rotation job runs it), then a vacuum (untimed) of the rewritten rows."""
    from security import audit
    from security.encryption.models import KeyRotation
    from security.encryption.rotation import dek_rotate, rotation_step

    actor = audit.Actor.system("encryption_benchmark")
    rotation = dek_rotate(actor=actor)
    log(f"rotating (batch {batch}) from {rotation.old_key_id} to {rotation.new_key_id}")
    started = time.perf_counter()
    steps = 0
    while not rotation_step(rotation.pk, batch=batch):
        steps += 1
        if steps % max(1, 100_000 // batch) == 0:
            log(f"  {steps * batch:,} rows visited, {time.perf_counter() - started:.0f} s")
    seconds = time.perf_counter() - started
    done = KeyRotation.objects.get(pk=rotation.pk)
    log(f"rotation done: {done.rows_reencrypted:,} rows in {seconds:.1f} s")
    # The old key stays DECRYPT_ONLY (retiring it waits out a grace period): no row uses it.
    if vendor == "postgresql":
        _vacuum()
    return [f"{batch:,}", f"{done.rows_reencrypted:,}", str(done.passes), f"{seconds:.1f}",
            f"{done.rows_reencrypted / seconds:,.0f}"]


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = ["   " + "  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True))
             for line in [header, *rows]]
    lines.insert(1, "   " + "  ".join("-" * width for width in widths))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
