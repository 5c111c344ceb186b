"""Signing-key rotation: the new pair signs, the old one stays published until retired."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import CommandError, call_command

from security.oauth import signing_keys
from security.oauth.jose import keyset, sign, verify


def _run(*args):
    out = io.StringIO()
    call_command("signing_keys", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_rotate_then_retire(settings, tmp_path):
    settings.BANK_SIGNING_KEYS_DIR = str(tmp_path)
    signing_keys.generate_signing_keys(tmp_path, kid_suffix="2026-01-01-000000")
    try:
        old_token = sign({"iss": "bank", "exp": int(time.time()) + 60})
        old_kid = signing_keys.active_key("PS256").kid
        time.sleep(1.1)
        _run("rotate")
        new_kid = signing_keys.active_key("PS256").kid
        assert new_kid != old_kid
        jwks = signing_keys.public_jwks()
        assert {old_kid, new_kid} <= {k["kid"] for k in jwks["keys"]}
        assert verify(old_token, keys=keyset(jwks))["iss"] == "bank", "old tokens keep verifying"
        with pytest.raises(CommandError, match="active"):
            _run("retire", new_kid)
        assert "retired" in _run("retire", old_kid)
        assert old_kid not in {k["kid"] for k in signing_keys.public_jwks()["keys"]}
        from security.models import AuditEvent

        assert sorted(AuditEvent.objects.filter(subject_type="signing_key").values_list(
            "event_type", "subject_id")) == sorted(
            [("SIGNING_KEY_CREATED", new_kid), ("SIGNING_KEY_CREATED", "es" + new_kid[2:]),
             ("SIGNING_KEY_RETIRED", old_kid)])
    finally:
        signing_keys.clear_cache()
