"""The CDR Register at the token endpoint: client credentials for the admin scopes only."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlencode

import pytest
from django.test import Client

from bank.register_mock.keys import register_sign
from security.oauth.client_auth import ASSERTION_TYPE
from security.oauth.models import ClientTokenBinding
from tests.register import harness

register_keys_dir = harness.register_keys_dir
register_env = harness.register_env


def _token(scope, *, signer=register_sign, iss="cdr-register", grant="client_credentials"):
    now = int(time.time())
    assertion = signer({"iss": iss, "sub": iss, "aud": "https://bank.example.test/token",
                        "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())})
    return _post({"grant_type": grant, "scope": scope, "client_assertion_type": ASSERTION_TYPE,
                  "client_assertion": assertion})


def _post(form):
    return Client().post("/token", urlencode(form), content_type="application/x-www-form-urlencoded")


def test_the_register_gets_an_admin_token(register_env):
    response = _token("admin:metrics.basic:read admin:metadata:update")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == "admin:metadata:update admin:metrics.basic:read"
    assert "refresh_token" not in body
    assert ClientTokenBinding.objects.count() == 1


@pytest.mark.parametrize("scope", ["bank:accounts.basic:read", "admin:metrics.basic:read openid",
                                   "cdr:registration", ""])
def test_the_register_never_gets_data_or_mixed_scopes(register_env, scope):
    response = _token(scope)
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_only_the_register_key_speaks_for_the_register(register_env, client_app):
    forged = _token("admin:metrics.basic:read",
                    signer=lambda claims: client_app.sign(claims))
    assert forged.status_code == 401 and forged.json()["error"] == "invalid_client"
    assert _token("admin:metrics.basic:read", grant="authorization_code").status_code == 401


def test_a_recipient_cannot_ask_for_admin_scopes(client_app):
    response = _post({"grant_type": "client_credentials", "scope": "admin:metrics.basic:read",
                      **client_app.auth_form()})
    assert response.status_code in {400, 401}
    assert response.json()["error"] in {"invalid_scope", "unauthorized_client"}
