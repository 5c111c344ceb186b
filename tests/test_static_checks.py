"""The static checks' configuration (.ci/static-checks): ruff's security rules are on, bandit
skips only what ruff enforces, the secrets baseline is valid and audited, and the production
settings pass `check --deploy` with zero warnings (the same function the script calls)."""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Bandit checks and the ruff rule that enforces the same thing (flake8-bandit numbering;
#: B404, "subprocess imported", has only a preview rule: its calls are S603's).
RUFF_FOR_BANDIT = {"B101": "S101", "B105": "S105", "B106": "S106", "B107": "S107",
                   "B311": "S311", "B310": "S310", "B404": "S603", "B603": "S603",
                   "B606": "S606", "B607": "S607", "B608": "S608"}


def _static_checks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("static_checks", ROOT / ".ci" / "static_checks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_ruff_selects_the_security_rules(pyproject):
    lint = pyproject["tool"]["ruff"]["lint"]
    assert "S" in lint["select"]
    assert not [rule for rule in lint.get("ignore", []) if rule.startswith("S")]
    # Tests may assert and hold fake credentials; production code may not.
    production_ignores = {pattern: rules for pattern, rules in lint["per-file-ignores"].items()
                          if not pattern.startswith(("tests/", "bench/"))}
    assert all(rule == "S311" for rules in production_ignores.values() for rule in rules
               if rule.startswith("S")), production_ignores


def test_bandit_skips_only_what_ruff_enforces(pyproject):
    bandit = pyproject["tool"]["bandit"]
    assert set(bandit["skips"]) <= set(RUFF_FOR_BANDIT), "a skip without its ruff rule"
    assert "S" in pyproject["tool"]["ruff"]["lint"]["select"]
    assert "tests" in bandit["exclude_dirs"] and not {"bank", "security"} & set(bandit["exclude_dirs"])


def test_the_script_runs_every_check():
    script = (ROOT / ".ci" / "static-checks").read_text()
    assert script.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in script
    for tool in ("ruff\" check", "mypy\" .", "bandit\" -q -c pyproject.toml", "pip-audit\"",
                 "static_checks.py secrets", "static_checks.py deploy"):
        assert tool in script, tool
    assert (ROOT / ".ci" / "static-checks").stat().st_mode & 0o111, "not executable"


def test_the_secrets_baseline_is_valid_and_every_entry_audited():
    checks = _static_checks()
    baseline = json.loads((ROOT / ".secrets.baseline").read_text())
    assert re.fullmatch(r"\d+\.\d+\.\d+", baseline["version"])
    assert baseline["plugins_used"] and isinstance(baseline["results"], dict)
    assert checks.baseline_problems(baseline) == []
    for filename, findings in baseline["results"].items():
        assert not filename.startswith((".venv/", "var/")), filename
        for finding in findings:
            assert set(finding) >= {"type", "hashed_secret", "line_number", "is_secret"}
            assert re.fullmatch(r"[0-9a-f]{40}", finding["hashed_secret"])


def test_an_unaudited_or_real_secret_in_the_baseline_is_a_problem():
    checks = _static_checks()
    entry = {"type": "Secret Keyword", "hashed_secret": "0" * 40, "line_number": 3}
    assert checks.baseline_problems({"results": {"a.py": [entry]}})
    assert checks.baseline_problems({"results": {"a.py": [{**entry, "is_secret": True}]}})
    assert not checks.baseline_problems({"results": {"a.py": [{**entry, "is_secret": False}]}})


@pytest.mark.hsm
def test_production_settings_pass_check_deploy_with_zero_warnings():
    done = _static_checks().deploy_check()
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS" not in output and "ERRORS" not in output
    # Only the HSTS preload warning is silenced, by prod.py, with its reason there.
    assert "(1 silenced)" in output
