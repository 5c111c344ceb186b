"""FAPI-CHECKLIST row 25: codes, tokens, handles and request URIs carry >= 128 bits of entropy.

Every one of them comes from `secrets.token_urlsafe(n)`; this test reads each call site of
the authorization server and fails if one asks for fewer than 16 bytes (or a computed size).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

OAUTH = Path(__file__).resolve().parents[2] / "security" / "oauth"
CALL = re.compile(r"token_urlsafe\(([^)]*)\)")


@pytest.mark.parametrize("path", sorted(OAUTH.rglob("*.py")), ids=lambda p: p.name)
def test_every_generated_secret_has_at_least_128_bits(path):
    for size in CALL.findall(path.read_text()):
        assert size.strip().isdigit() and int(size) >= 16, f"{path.name}: token_urlsafe({size})"


def test_the_server_does_generate_its_secrets_this_way():
    sites = sum(len(CALL.findall(p.read_text())) for p in OAUTH.rglob("*.py"))
    assert sites >= 3  # codes, tokens, request URIs / handles
