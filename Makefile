# The bank's commands. Two matter on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO_HOST ?= 127.0.0.1
DEMO_PUBLIC_PORT ?= 8443
DEMO_MTLS_PORT ?= 8444
PG_URL    ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
DEMO_ENV  = DJANGO_SETTINGS_MODULE=bank.settings.dev \
            BANK_PUBLIC_BASE_URL=https://localhost:$(DEMO_PUBLIC_PORT) \
            BANK_MTLS_BASE_URL=https://localhost:$(DEMO_MTLS_PORT)
# One process per listener (threads inside): the rate limits' in-memory counters are then
# exact without Redis (security/throttling/store.py).
DEMO_SERVE = --workers 1 --threads 8

.PHONY: bench fuzz static demo demo-codes demo-token demo-staff-code demo-walk prod-local test test-services lint bench-seed bench-transactions bench-encryption clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## The bank on embedded defaults: SQLite in var/, demo data, HTTPS on localhost:8443 (public)
## and localhost:8444 (mTLS), both with the demo PKI in var/pki/; the two listeners, the
## Celery worker and beat run together (Procfile, honcho) until Ctrl-C.
demo: $(STAMP)
	@mkdir -p var var/broker/processed var/broker/control
	$(DEMO_ENV) $(PY) manage.py pki init
	$(DEMO_ENV) $(PY) manage.py migrate --no-input -v 0
	$(DEMO_ENV) $(PY) manage.py collectstatic --no-input -v 0
	$(DEMO_ENV) $(PY) manage.py seed_demo --if-empty
	@$(DEMO_ENV) $(PY) manage.py demo_banner --public-port $(DEMO_PUBLIC_PORT) \
	    --mtls-port $(DEMO_MTLS_PORT)
	@$(DEMO_ENV) BANK_LOG_FORMAT=text DEMO_HOST=$(DEMO_HOST) DEMO_PUBLIC_PORT=$(DEMO_PUBLIC_PORT) \
	    DEMO_MTLS_PORT=$(DEMO_MTLS_PORT) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
	    PYTHONUNBUFFERED=1 exec $(VENV)/bin/honcho --env /dev/null -f Procfile start

## The newest one-time login codes the demo "emailed" (to its outbox, var/outbox/).
demo-codes: $(STAMP)
	@$(DEMO_ENV) $(PY) manage.py demo_codes

## A bearer token for the running demo (CUSTOMER=jane.citizen by default), with curl lines.
demo-token: $(STAMP)
	@$(DEMO_ENV) $(PY) manage.py demo_token --customer $(or $(CUSTOMER),jane.citizen)

## The demo staff login's current one-time code (its second factor for the admin console).
demo-staff-code: $(STAMP)
	@$(DEMO_ENV) $(PY) manage.py staff_totp code bank-admin

## A data recipient's whole journey against the running demo (SSA, DCR, PAR, tokens, calls).
demo-walk: $(STAMP)
	@$(DEMO_ENV) $(PY) -m examples.recipient_walk --bank https://localhost:$(DEMO_PUBLIC_PORT) \
	    --mtls https://localhost:$(DEMO_MTLS_PORT)

## The production settings for real on this machine: nginx in front (TLS and mTLS), two
## gunicorns per listener, Celery worker and beat, on the local PostgreSQL, Redis, RabbitMQ and
## a SoftHSM2 token (deploy/prod-local/run; PROD_LOCAL_ARGS=start|stop|status|destroy).
prod-local: $(STAMP)
	deploy/prod-local/run $(PROD_LOCAL_ARGS)

## Throughput and latency of the CDR endpoints with the full security stack, and each security
## layer's cost (bench/run.py: database bank_bench and Redis db 8, created and dropped; wrk
## as the trusted proxy). BENCH_DURATION=seconds per measurement (default 5: about 8 minutes).
bench: $(STAMP)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install -y wrk"; exit 1; }
	$(PY) bench/run.py $(BENCH_ARGS)

## The whole suite on the embedded defaults (no services needed).
test: $(STAMP)
	BANK_TEST_PROFILE=embedded $(PY) -m pytest $(PYTEST_ARGS)

## The same suite against the real PostgreSQL and Redis (DATABASE_URL / REDIS_URL).
test-services: $(STAMP)
	BANK_TEST_PROFILE=services DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} \
	    REDIS_URL=$${REDIS_URL:-$(REDIS_TEST_URL)} $(PY) -m pytest $(PYTEST_ARGS)

## Schemathesis against a live bank: the bank's OpenAPI document and the official CDS files
## (tests/fuzz; BANK_FUZZ_EXAMPLES=200 to go deeper than CI's 8 per operation and mode).
fuzz: $(STAMP)
	BANK_TEST_PROFILE=embedded $(PY) -m pytest -m fuzz tests/fuzz $(PYTEST_ARGS)

## Static security checks: ruff (S rules), mypy, bandit, pip-audit, detect-secrets, check --deploy.
static: $(STAMP)
	.ci/static-checks

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

## Time seeding 1,000,000 transactions (a benchmark, not a test).
bench-seed: $(STAMP)
	$(PY) bench/seed_benchmark.py

## Time Get Transactions (page 1 and a middle page) on an account with 100,000 transactions.
bench-transactions: $(STAMP)
	$(PY) bench/transactions_benchmark.py

## What encryption at rest costs: Get Transactions decrypting vs not, the text filter, and a
## DEK rotation of 1,000,000 transactions, on PostgreSQL (BENCH_ARGS="--rows 20000": quick).
bench-encryption: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(PY) bench/encryption_benchmark.py $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
