"""What `make demo` prints (demo_banner), `make demo-codes`, and the demo's readable log lines."""

from __future__ import annotations

import io
import logging
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from security.logging import RedactionFilter, TextFormatter


def test_guide_names_the_urls_the_client_commands_and_where_codes_go(settings):
    settings.BANK_ENVIRONMENT = "dev"
    out = io.StringIO()
    call_command("demo_banner", "--public-port", "9443", "--mtls-port", "9444", stdout=out)
    guide = out.getvalue()
    for expected in ("https://localhost:9443", "https://localhost:9444",
                     "https://localhost:9443/api/docs/", "https://localhost:9443/dashboard/",
                     ".venv/bin/bank-client enrol", ".venv/bin/bank-client login",
                     ".venv/bin/bank-client accounts", "--since 30d",
                     "make demo-codes", "var/demo-credentials.json", "Ctrl-C"):
        assert expected in guide, expected
    # Every make target it names exists.
    import re
    from pathlib import Path
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    for target in set(re.findall(r"make ([a-z-]+)", guide)):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_guide_and_codes_are_demo_only(settings):
    settings.BANK_ENVIRONMENT = "test"
    for command in ("demo_banner", "demo_codes"):
        with pytest.raises(CommandError, match="dev"):
            call_command(command, stdout=io.StringIO())


def _email(outbox, name, to, code):
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = "Your code"
    message.set_content(f"Your one-time code is {code}. It expires in 5 minutes.")
    (outbox / name).write_bytes(message.as_bytes())


def test_demo_codes_prints_the_newest_codes_first(settings, tmp_path):
    settings.BANK_ENVIRONMENT = "dev"
    settings.BANK_OTP_OUTBOX_DIR = str(tmp_path)
    out = io.StringIO()
    call_command("demo_codes", stdout=out)
    assert "No codes yet" in out.getvalue()
    _email(tmp_path, "20261205T010000000000-aa.eml", "jane@example.com", "111111")
    _email(tmp_path, "20261205T020000000000-bb.eml", "john@example.com", "222222")
    (tmp_path / "20261205T030000000000-cc.eml").write_bytes(b"Subject: not a code\n\nhello")
    out = io.StringIO()
    call_command("demo_codes", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[1:] for line in lines] == [["john@example.com", "222222"],
                                                    ["jane@example.com", "111111"]]
    out = io.StringIO()
    call_command("demo_codes", "--count", "1", stdout=out)
    assert len(out.getvalue().splitlines()) == 1


def test_text_log_lines_are_readable_and_still_redacted(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactionFilter())
    handler.setFormatter(TextFormatter())
    logger = logging.getLogger("tests.demo_guide")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token call with Authorization: Bearer eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
                       extra={"event_type": "ACCESS_TOKEN_ISSUED", "password": "hunter2",
                              "seq": 7})
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue().strip()
    assert line.startswith("WARNING tests.demo_guide: token call with")
    assert "event_type=ACCESS_TOKEN_ISSUED" in line and "seq=7" in line
    assert "eyJ" not in line and "hunter2" not in line and "\x1b[" not in line
    # A value cannot forge a second line or drive the terminal: control characters are escaped.
    forged = TextFormatter().format(logging.LogRecord(
        "x", logging.INFO, "", 0, "ok\r\nERROR bank.audit: forged \x1b]0;title\x07", None, None))
    assert "\n" not in forged and "\r" not in forged and "\x1b" not in forged
    assert "\\x0d\\x0aERROR bank.audit: forged \\x1b]0;title\\x07" in forged
    monkeypatch.delenv("NO_COLOR")
    coloured = TextFormatter().format(logging.LogRecord("x", logging.ERROR, "", 0, "m", None, None))
    assert coloured.startswith("\x1b[31mERROR")
