"""No secret reaches a log line, whichever logger writes it and however it is passed.

Every kind of secret the bank handles goes through every logger of the project (the bank's own,
found by importing every module, and the third-party ones it runs with), as a message
argument, an `extra=` value (flat and nested), an exception's message and traceback, and a
stack; the configured handler's output must contain none of them.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import pkgutil
from pathlib import Path

import pytest
from django.test import RequestFactory

from security.logging import REDACTED, RedactionFilter, redact_text

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bank", "security", "accounts", "transactions")
THIRD_PARTY = ("django", "django.request", "django.server", "django.security.csrf",
               "django.db.backends", "oauthlib", "oauth2_provider", "celery", "celery.worker",
               "kombu", "urllib3", "requests", "jwcrypto", "gunicorn.error", "py.warnings")

TOKEN = "Zx9s-wEB_3kQpL0vY7rTu2mNc4aHfG6dJiK8oS1eR5b"
JWT = ("eyJhbGciOiJQUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJjbGllbnQiLCJzdWIiOiJjbGllbnQifQ."
       "c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU")
# A PEM-shaped fake, its markers built at run time so that secret scanners over the
# repository do not take this test vector for a real key.
_MARKER = "PRIVATE" + " KEY"
PEM = (f"-----BEGIN {_MARKER}-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
       f"-----END {_MARKER}-----")

#: (what it is, the secret, how it appears in text a caller might log)
SECRETS = [
    ("bearer token", TOKEN, f"Authorization: Bearer {TOKEN}"),
    ("basic credentials", "Y2xpZW50OnMzY3JldA==", "Authorization: Basic Y2xpZW50OnMzY3JldA=="),
    ("access token in a body", TOKEN, f'{{"access_token": "{TOKEN}", "token_type": "Bearer"}}'),
    ("refresh token in a form", TOKEN, f"grant_type=refresh_token&refresh_token={TOKEN}"),
    ("client assertion", JWT, f"client_assertion_type=jwt-bearer&client_assertion={JWT}"),
    ("ID token", JWT, f"id_token {JWT}"),
    ("authorization code", "SplxlOBeZQQYbYS6WxSbIA", "code=SplxlOBeZQQYbYS6WxSbIA&state=x"),
    ("password", "correct horse battery", "password='correct horse battery'"),
    ("one-time code", "493817", "otp: 493817"),
    ("session cookie", "k3j4h5g6f7d8s9a0", "Cookie: __Host-sessionid=k3j4h5g6f7d8s9a0; x=y"),
    ("client secret", "s3cr3t-v4lue-123", "client_secret=s3cr3t-v4lue-123"),
    ("private key", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7", PEM),
    ("card number", "4111 1111 1111 1111", "paid with 4111 1111 1111 1111 today"),
    ("account number", "062-000 12345678", "BSB and account 062-000 12345678"),
    ("account number by name", "98765432", "account_number=98765432"),
    ("email address", "jane.citizen@example.com", "sent to jane.citizen@example.com"),
]


def _project_loggers() -> list[str]:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if (".migrations" in info.name or info.name.startswith("bank.settings")
                    or info.name.endswith((".wsgi", ".asgi", ".serve"))):
                continue
            importlib.import_module(info.name)
    names = [name for name in logging.root.manager.loggerDict
             if name.split(".")[0] in PACKAGES]
    assert "bank.audit" in names and "bank.throttling" in names
    return sorted(set(names) | set(THIRD_PARTY))


@pytest.fixture
def log_output():
    """What the configured handlers write (LOGGING in bank/settings/base.py)."""
    handlers = [h for h in logging.getLogger().handlers
                if any(isinstance(f, RedactionFilter) for f in h.filters)]
    assert handlers, "LOGGING must put the redaction filter on the root handler"
    buffer = io.StringIO()
    previous = [(h, h.setStream(buffer)) for h in handlers if isinstance(h, logging.StreamHandler)]
    yield buffer
    for handler, stream in previous:
        handler.setStream(stream)


def _fail_with(text: str) -> None:
    raise ValueError(f"could not parse: {text}")


@pytest.mark.parametrize(("kind", "secret", "text"), SECRETS, ids=[s[0] for s in SECRETS])
def test_no_logger_writes_a_secret(log_output, kind, secret, text):
    loggers = _project_loggers()
    for name in loggers:
        logger = logging.getLogger(name)
        level = max(logger.getEffectiveLevel(), logging.WARNING)
        logger.log(level, "while handling %s", text)
        logger.log(level, "call failed", extra={"body": text, "detail": {"raw": [text]},
                                                "password": secret, "headers": {"Cookie": text}})
        try:
            _fail_with(text)
        except ValueError:
            logger.log(level, "error", exc_info=True, stack_info=True)
    written = log_output.getvalue()
    assert written.count("\n") >= 3 * len(loggers), "every logger must have written its lines"
    assert secret not in written, f"{kind} leaked"
    assert secret.replace(" ", "") not in written.replace(" ", "")
    assert REDACTED in written


def test_every_handler_of_every_logger_redacts():
    for name in [*_project_loggers(), ""]:
        for handler in logging.getLogger(name).handlers:
            if (isinstance(handler, logging.NullHandler)  # writes nothing
                    or type(handler).__name__ in {"LogCaptureHandler", "_LiveLoggingNullHandler",
                                                  "_FileHandler"}):  # pytest's own capture
                continue
            assert any(isinstance(f, RedactionFilter) for f in handler.filters), (name, handler)


def test_a_request_is_logged_as_method_and_path_only(log_output):
    request = RequestFactory().get("/cds-au/v1/banking/accounts?text=secret-search",
                                   HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_COOKIE="a=b")
    logging.getLogger("django.request").error("Internal Server Error", extra={"request": request})
    line = json.loads(log_output.getvalue().splitlines()[-1])
    assert line["request"] == "<WSGIRequest GET /cds-au/v1/banking/accounts>"
    assert TOKEN not in log_output.getvalue() and "secret-search" not in log_output.getvalue()


def test_ordinary_text_is_left_alone():
    text = ("GET /cds-au/v1/banking/accounts 200 in 12 ms for interaction "
            "3f2b0c1e-1111-2222-3333-444455556666, page 2 of 14, 1000 rows")
    assert redact_text(text) == text


def test_lines_carry_the_interaction_id_and_the_principals_pseudonyms(log_output):
    from security.interaction import (
        bind_interaction_id,
        bind_principal_scope,
        customer_pseudonym,
        principal_bind,
        reset_interaction_id,
        reset_principal,
    )

    interaction = bind_interaction_id("3f2b0c1e-1111-2222-3333-444455556666")
    principal = bind_principal_scope()
    try:
        principal_bind(client="sp-123", customer_id=42)
        # An extra of the same name cannot put a raw value there.
        logging.getLogger("bank.api").warning("served", extra={"customer": "Jane Citizen"})
    finally:
        reset_principal(principal)
        reset_interaction_id(interaction)
    line = json.loads(log_output.getvalue().splitlines()[-1])
    assert line["interaction_id"] == "3f2b0c1e-1111-2222-3333-444455556666"
    assert line["client"] == "sp-123"
    assert line["customer"] == customer_pseudonym(42)
    assert line["customer"].startswith("cust-") and len(line["customer"]) == 21
    assert customer_pseudonym(42) != customer_pseudonym(43)
    assert "Jane" not in log_output.getvalue()


@pytest.mark.parametrize("text", [
    "a-" * 50_000, "eyJ" * 30_000, "a" * 100_000, "a@" * 50_000, "1 " * 50_000,
    "a=" * 50_000, "('a', '" * 20_000, "basic " * 20_000, "Key (" * 20_000,
    "-----BEGIN A-----" * 5_000,
])
def test_redaction_stays_fast_on_adversarial_text(text):
    """One log call must never freeze a worker (the regexes are linear; text is cut)."""
    import time

    started = time.perf_counter()
    redact_text(text)
    assert time.perf_counter() - started < 0.25


@pytest.mark.parametrize(("text", "secret"), [
    ("form <QueryDict: {'password': ['hunter2xyz']}>", "hunter2xyz"),
    ("[('password', 'hunter2xyz'), ('user', 'bob')]", "hunter2xyz"),
    ('{"password": "ab\\"hunter2xyz"}', "hunter2xyz"),
    ("Authorization: Token abcdef0123456789", "abcdef0123456789"),
    ("DETAIL:  Key (token_digest)=(9f8e7d6c5b4a) already exists.", "9f8e7d6c5b4a"),
])
def test_more_shapes_of_secrets_are_caught(text, secret):
    assert secret not in redact_text(text)


@pytest.mark.parametrize("text", [
    "Bad Request: /consent/login", "Forbidden (CSRF cookie not set.): /consent/login",
    "status_code=503 error_code=x token_type=Bearer", "basic validation failed",
    "epoch 1764950000000", "source_address=203.0.113.9 authorization_id=42",
])
def test_operational_text_is_not_redacted(text):
    assert redact_text(text) == text


def test_a_request_passed_as_an_argument_is_its_path(log_output):
    request = RequestFactory().get("/authorize?request_uri=x&code=secret-code-123")
    logging.getLogger("bank").warning("bad %s with %s", request, request.GET)
    written = log_output.getvalue()
    assert "/authorize" in written and "secret-code-123" not in written


def test_celery_task_loggers_go_through_the_redaction(log_output):
    from celery.utils.log import get_task_logger

    from bank.celery import app

    app.log.setup()  # what a worker does at start-up
    get_task_logger("security.tasks").warning("Authorization: Bearer %s", TOKEN)
    for name in ("celery.task", "security.tasks", "multiprocessing"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.NullHandler):
                continue
            assert any(isinstance(f, RedactionFilter) for f in handler.filters), (name, handler)
    assert TOKEN not in log_output.getvalue()


@pytest.mark.parametrize("module", ["bank.gunicorn_tls", "deploy.gunicorn_conf"])
def test_gunicorns_own_loggers_redact(module, monkeypatch):
    import importlib.util
    import logging.config

    if module == "deploy.gunicorn_conf":
        spec = importlib.util.spec_from_file_location("gunicorn_conf",
                                                      ROOT / "deploy" / "gunicorn.conf.py")
        config = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(config)
    else:
        config = importlib.import_module(module)
    assert "%(U)s" in config.access_log_format and "%(r)s" not in config.access_log_format
    buffer = io.StringIO()
    dict_config = json.loads(json.dumps(config.logconfig_dict))
    dict_config["handlers"]["console"]["stream"] = "ext://sys.stdout"
    monkeypatch.setattr("sys.stdout", buffer)
    logging.config.dictConfig(dict_config)
    try:
        logging.getLogger("gunicorn.error").error("Error handling request GET /x?code=%s",
                                                  "secret-code-123")
    finally:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
    assert "secret-code-123" not in buffer.getvalue() and "[REDACTED]" in buffer.getvalue()


def test_celery_task_lines_keep_the_task_name_and_nothing_else(caplog):
    import logging

    from security.logging import RedactionFilter

    record = logging.LogRecord(
        "celery.app.trace", logging.INFO, __file__, 1,
        "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s",
        ({"name": "security.oauth.tasks.oauth_records_purge", "id": "abc",
          "runtime": 0.1, "return_value": "{'password': 'hunter2'}"},), None)
    RedactionFilter().filter(record)
    assert record.getMessage().startswith("Task security.oauth.tasks.oauth_records_purge[abc]")
    assert "hunter2" not in record.getMessage()
    for logger_name, name in (("celery.app.trace", "Jane Citizen"), ("bank", "security.tasks.x")):
        record = logging.LogRecord(logger_name, logging.INFO, __file__, 1, "Task %(name)s",
                                   ({"name": name},), None)
        RedactionFilter().filter(record)
        assert name not in record.getMessage()
