"""After the token endpoint: introspection (RFC 7662), revocation (RFC 7009), CDR arrangement
revocation by the recipient and by the bank (with the notice to the recipient), and UserInfo.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import requests
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from security import audit, outbound
from security.consent.models import Arrangement, ArrangementStatus
from security.consent.services import arrangement_revoke
from security.models import AuditEvent
from security.oauth import notifications, tasks
from security.oauth.endpoints import issuer
from security.oauth.jose import unverified_header_and_claims, verify
from security.oauth.models import RefreshTokenContext
from security.oauth.tokens import arrangement_revoke_by_holder
from tests.conftest import assert_cdr_error
from tests.oauth import test_token
from tests.oauth.test_token import (
    CERT,
    OTHER_CERT,
    accounts_call,
    assert_oauth_error,
    bank_keys,
    post_form,
    refresh,
    tls,
    tokens_for,
    verified_id_token,
)

# The seeded demo customers, set up once for this module too.
seeded_bank = test_token.seeded_bank
bank = test_token.bank

INTROSPECT = "/introspect"
REVOKE = "/revoke"
ARRANGEMENT_REVOKE = "/arrangements/revoke"
USERINFO = "/userinfo"
RECIPIENT_REVOKE_URL = "https://recipient.example/arrangements/revoke"


def introspect(client: Any, token: str | None, **extra: Any) -> Any:
    return post_form(INTROSPECT, client, {"token": token, **extra})


def revoke(client: Any, token: str | None, **extra: Any) -> Any:
    return post_form(REVOKE, client, {"token": token, **extra})


def revoke_arrangement(client: Any, cdr_arrangement_id: str | None) -> Any:
    return post_form(ARRANGEMENT_REVOKE, client, {"cdr_arrangement_id": cdr_arrangement_id})


def arrangement_of(body: dict[str, Any]) -> Arrangement:
    return Arrangement.objects.get(cdr_arrangement_id=body["cdr_arrangement_id"])


# Introspection ----------------------------------------------------------------------------
def test_introspection_describes_the_callers_live_refresh_token(bank, client_app):
    body = tokens_for(client_app)
    response = introspect(client_app, body["refresh_token"], token_type_hint="refresh_token")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    arrangement = arrangement_of(body)
    assert response.json() == {
        "active": True,
        "exp": int(arrangement.sharing_expires_at.timestamp()),
        "scope": arrangement.scope,
        "cdr_arrangement_id": arrangement.cdr_arrangement_id,
    }


@pytest.mark.parametrize("case", ["access_token", "id_token", "unknown", "other_client",
                                  "expired", "arrangement_revoked", "arrangement_expired",
                                  "revoked_token", "product_suspended_locally"])
def test_introspection_says_inactive_for_anything_else(bank, make_client, case):
    owner, other = make_client(), make_client(name="Other App")
    body = tokens_for(owner)
    token, caller = body["refresh_token"], owner
    if case in ("access_token", "id_token"):
        token = body[case]
    elif case == "unknown":
        token = "no-such-token"
    elif case == "other_client":
        caller = other
    elif case == "expired":
        RefreshTokenContext.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif case == "arrangement_revoked":
        arrangement_revoke(arrangement=arrangement_of(body), actor=audit.Actor.system("test"))
    elif case == "arrangement_expired":
        Arrangement.objects.filter(pk=arrangement_of(body).pk).update(
            sharing_expires_at=timezone.now() - timedelta(seconds=1))
    elif case == "revoked_token":
        RefreshToken.objects.update(revoked=timezone.now())
    elif case == "product_suspended_locally":
        from security.recipients.models import SoftwareProduct

        SoftwareProduct.objects.update(suspended_locally=True)
    response = introspect(caller, token)
    assert response.status_code == 200
    assert response.json() == {"active": False}


def test_introspection_needs_a_token_and_client_authentication(bank, client_app):
    body = tokens_for(client_app)
    assert_oauth_error(introspect(client_app, None), 400, "invalid_request")
    unauthenticated = post_form(INTROSPECT, client_app, {"token": body["refresh_token"]},
                                authenticate=False)
    assert_oauth_error(unauthenticated, 401, "invalid_client")
    assert Client().get(INTROSPECT).status_code == 405


# Revocation -------------------------------------------------------------------------------
@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token", "something_else"])
def test_revoking_an_access_token_ends_it_but_keeps_the_refresh_token(bank, client_app, hint):
    body = tokens_for(client_app)
    response = revoke(client_app, body["access_token"], token_type_hint=hint)
    assert response.status_code == 200 and response.content == b""
    assert_cdr_error(accounts_call(body["access_token"]), 401, "GeneralError/Expected")
    assert introspect(client_app, body["refresh_token"]).json()["active"] is True
    assert refresh(client_app, body["refresh_token"]).status_code == 200


@pytest.mark.parametrize("hint", [None, "refresh_token", "access_token"])
def test_revoking_a_refresh_token_ends_it_and_its_access_tokens(bank, client_app, hint):
    body = tokens_for(client_app)
    refreshed = refresh(client_app, body["refresh_token"]).json()
    response = revoke(client_app, body["refresh_token"], token_type_hint=hint)
    assert response.status_code == 200
    assert_oauth_error(refresh(client_app, body["refresh_token"]), 400, "invalid_grant")
    assert introspect(client_app, body["refresh_token"]).json() == {"active": False}
    for access_token in (body["access_token"], refreshed["access_token"]):
        assert_cdr_error(accounts_call(access_token), 401, "GeneralError/Expected")
    # The arrangement itself is not withdrawn by a token clean-up.
    assert arrangement_of(body).status == ArrangementStatus.ACTIVE


def test_revoking_another_clients_or_an_unknown_token_does_nothing_and_says_200(
        bank, make_client):
    owner, other = make_client(), make_client(name="Other App")
    body = tokens_for(owner)
    for token in (body["access_token"], body["refresh_token"], "no-such-token"):
        assert revoke(other, token).status_code == 200
    assert accounts_call(body["access_token"]).status_code == 200
    assert refresh(owner, body["refresh_token"]).status_code == 200


def test_revocation_needs_a_token_and_client_authentication(bank, client_app):
    body = tokens_for(client_app)
    assert_oauth_error(revoke(client_app, None), 400, "invalid_request")
    response = post_form(REVOKE, client_app, {"token": body["access_token"]}, authenticate=False)
    assert_oauth_error(response, 401, "invalid_client")
    assert accounts_call(body["access_token"]).status_code == 200


# CDR arrangement revocation by the recipient ----------------------------------------------
def test_recipient_revokes_its_arrangement_and_every_token(bank, client_app):
    body = tokens_for(client_app)
    with mock.patch("security.outbound.call") as post:
        response = revoke_arrangement(client_app, body["cdr_arrangement_id"])
    assert response.status_code == 204 and response.content == b""
    post.assert_not_called()  # CDS: no notice back for a withdrawal the recipient made

    arrangement = arrangement_of(body)
    assert arrangement.status == ArrangementStatus.REVOKED and arrangement.revoked_at
    assert_cdr_error(accounts_call(body["access_token"]), 401, "GeneralError/Expected")
    assert_oauth_error(refresh(client_app, body["refresh_token"]), 400, "invalid_grant")
    assert introspect(client_app, body["refresh_token"]).json() == {"active": False}
    assert not RefreshToken.objects.filter(context__arrangement=arrangement).exists()
    assert not AccessToken.objects.filter(binding__arrangement=arrangement).exists()


@pytest.mark.parametrize("case", ["another_clients", "unknown", "already_revoked", "missing"])
def test_arrangement_revocation_refuses_what_is_not_the_callers_live_arrangement(
        bank, make_client, case):
    owner, other = make_client(), make_client(name="Other App")
    body = tokens_for(owner)
    caller, arrangement_id = owner, body["cdr_arrangement_id"]
    if case == "another_clients":
        caller = other
    elif case == "unknown":
        arrangement_id = "5a1bf696-ee03-408b-b315-97955415d1f0"
    elif case == "already_revoked":
        assert revoke_arrangement(owner, arrangement_id).status_code == 204
    elif case == "missing":
        arrangement_id = None
    response = revoke_arrangement(caller, arrangement_id)
    assert_cdr_error(response, 422, "Authorisation/InvalidArrangement")
    assert response["Cache-Control"] == "no-store"
    if case == "another_clients":
        assert arrangement_of(body).status == ArrangementStatus.ACTIVE
        assert accounts_call(body["access_token"]).status_code == 200


def test_arrangement_revocation_needs_client_authentication(bank, client_app):
    body = tokens_for(client_app)
    response = post_form(ARRANGEMENT_REVOKE, client_app,
                         {"cdr_arrangement_id": body["cdr_arrangement_id"]}, authenticate=False)
    assert_oauth_error(response, 401, "invalid_client")
    assert arrangement_of(body).status == ArrangementStatus.ACTIVE


# Revocation at the bank and the notice to the recipient -----------------------------------
def _posted(mocked: Any, index: int = 0) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """URL, JWT claims of the form's cdr_arrangement_jwt, claims of the bearer JWT."""
    call = mocked.call_args_list[index]
    assert call.args[0] == "POST"
    url = call.args[1]
    keys = bank_keys()
    arrangement_jwt = verify(call.kwargs["data"]["cdr_arrangement_jwt"], keys=keys,
                             audience=[url], required=("iss", "sub", "aud", "exp", "jti"))
    scheme, _, bearer = call.kwargs["headers"]["Authorization"].partition(" ")
    assert scheme == "Bearer"
    bearer_claims = verify(bearer, keys=keys, audience=[url],
                           required=("iss", "sub", "aud", "exp", "jti"))
    return url, arrangement_jwt, bearer_claims


@pytest.fixture
def worker_retries(monkeypatch: Any) -> None:
    """Let eager tasks retry as a worker would.

    With task_eager_propagates (test settings) an eager task's first Retry escapes to the
    caller instead of re-running it; turned off, Celery's `apply` re-runs the task until it
    succeeds or max_retries is spent, which is the retry policy under test.
    """
    monkeypatch.setitem(tasks.app.conf, "task_eager_propagates", False)


def _revoke_at_bank(arrangement: Arrangement, capture: Any) -> None:
    with capture(execute=True):
        arrangement_revoke_by_holder(arrangement=arrangement,
                                     actor=audit.Actor(audit.ActorType.CUSTOMER, "1"))


def test_revocation_at_the_bank_revokes_tokens_and_notifies_the_recipient(
        bank, client_app, django_capture_on_commit_callbacks):
    body = tokens_for(client_app)
    arrangement = arrangement_of(body)
    answer = outbound.Answer(204, {}, b"")
    with mock.patch("security.outbound.call", return_value=answer) as post:
        _revoke_at_bank(arrangement, django_capture_on_commit_callbacks)

    assert post.call_count == 1
    url, claims, bearer = _posted(post)
    assert url == RECIPIENT_REVOKE_URL
    # Through the guarded door (security/outbound.py: public address, no redirects, bounded),
    # reading the status only.
    assert post.call_args.kwargs["read_body"] is False
    assert set(post.call_args.kwargs["data"]) == {"cdr_arrangement_jwt"}
    assert claims["cdr_arrangement_id"] == arrangement.cdr_arrangement_id
    for jwt_claims in (claims, bearer):
        assert jwt_claims["iss"] == jwt_claims["sub"] == issuer()
        assert jwt_claims["aud"] == RECIPIENT_REVOKE_URL
        assert jwt_claims["exp"] - jwt_claims["iat"] == 300
    assert "cdr_arrangement_id" not in bearer
    assert claims["jti"] != bearer["jti"]
    assert unverified_header_and_claims(post.call_args.kwargs["data"]["cdr_arrangement_jwt"]
                                        )[0]["alg"] == "PS256"

    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.REVOKED
    assert_cdr_error(accounts_call(body["access_token"]), 401, "GeneralError/Expected")
    assert_oauth_error(refresh(client_app, body["refresh_token"]), 400, "invalid_grant")
    assert AuditEvent.objects.filter(event_type=notifications.ARRANGEMENT_REVOCATION_NOTIFIED,
                                     subject_id=str(arrangement.pk)).exists()


def test_the_notice_task_gets_the_arrangement_pk_only(
        bank, client_app, django_capture_on_commit_callbacks):
    arrangement = arrangement_of(tokens_for(client_app))
    with mock.patch.object(tasks.arrangement_revocation_notify, "delay") as delay:
        _revoke_at_bank(arrangement, django_capture_on_commit_callbacks)
        # Revoking again announces nothing new.
        _revoke_at_bank(arrangement, django_capture_on_commit_callbacks)
    delay.assert_called_once_with(arrangement.pk)


def test_the_notice_is_retried_with_fresh_jwts_until_the_recipient_answers(
        bank, client_app, django_capture_on_commit_callbacks, worker_retries):
    arrangement = arrangement_of(tokens_for(client_app))
    answers = [requests.ConnectionError("down"), outbound.Answer(503, {}, b""),
               requests.Timeout("slow"), outbound.Answer(204, {}, b"")]
    with mock.patch("security.outbound.call", side_effect=answers) as post:
        _revoke_at_bank(arrangement, django_capture_on_commit_callbacks)
    assert post.call_count == 4
    jtis = {_posted(post, i)[2]["jti"] for i in range(4)}
    assert len(jtis) == 4  # the recipient refuses a replayed jti, so each try signs anew
    assert AuditEvent.objects.filter(event_type=notifications.ARRANGEMENT_REVOCATION_NOTIFIED,
                                     subject_id=str(arrangement.pk)).exists()


def test_the_notice_gives_up_after_five_retries_and_leaves_a_trace(
        bank, client_app, django_capture_on_commit_callbacks, worker_retries):
    arrangement = arrangement_of(tokens_for(client_app))
    with mock.patch("security.outbound.call", side_effect=requests.ConnectionError("down")) as post:
        _revoke_at_bank(arrangement, django_capture_on_commit_callbacks)
    assert post.call_count == 6  # the first try and five retries
    failed = AuditEvent.objects.get(event_type=notifications.ARRANGEMENT_REVOCATION_NOTICE_FAILED,
                                    subject_id=str(arrangement.pk))
    assert failed.detail["retries_exhausted"] is True
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.REVOKED  # the revocation itself stands


def test_a_notice_the_recipient_refuses_is_not_retried(
        bank, client_app, django_capture_on_commit_callbacks):
    arrangement = arrangement_of(tokens_for(client_app))
    answer = outbound.Answer(422, {}, b"")
    with mock.patch("security.outbound.call", return_value=answer) as post:
        _revoke_at_bank(arrangement, django_capture_on_commit_callbacks)
    assert post.call_count == 1
    failed = AuditEvent.objects.get(event_type=notifications.ARRANGEMENT_REVOCATION_NOTICE_FAILED,
                                    subject_id=str(arrangement.pk))
    assert failed.detail == {"status": 422}


def test_a_notice_to_a_refused_destination_is_not_retried_and_leaves_a_trace(
        bank, client_app, django_capture_on_commit_callbacks):
    arrangement = arrangement_of(tokens_for(client_app))
    refused = outbound.OutboundRefused("recipient.example is not a public address")
    with mock.patch("security.outbound.call", side_effect=refused) as post:
        _revoke_at_bank(arrangement, django_capture_on_commit_callbacks)
    assert post.call_count == 1
    failed = AuditEvent.objects.get(event_type=notifications.ARRANGEMENT_REVOCATION_NOTICE_FAILED,
                                    subject_id=str(arrangement.pk))
    assert failed.detail == {"reason": "destination refused: recipient.example is not a public "
                                       "address"}


def test_no_notice_is_sent_without_a_recipient_base_uri(
        bank, client_app, django_capture_on_commit_callbacks):
    client_app.registration.recipient_base_uri = ""
    client_app.registration.save()
    arrangement = arrangement_of(tokens_for(client_app))
    with mock.patch("security.outbound.call") as post:
        _revoke_at_bank(arrangement, django_capture_on_commit_callbacks)
    post.assert_not_called()


# UserInfo ---------------------------------------------------------------------------------
def userinfo(access_token: str | None, *, der: bytes | None = CERT, method: str = "get") -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {access_token}"} if access_token else {}
    return getattr(Client(), method)(USERINFO, **headers, **tls(der))


@pytest.mark.parametrize("method", ["get", "post"])
def test_userinfo_with_profile_returns_sub_and_names(bank, client_app, method):
    body = tokens_for(client_app)
    response = userinfo(body["access_token"], method=method)
    assert response.status_code == 200, response.content
    customer = arrangement_of(body).customer
    sub = verified_id_token(client_app, body["id_token"])["sub"]
    assert response.json() == {
        "sub": sub,
        "name": f"{customer.first_name} {customer.last_name}",
        "given_name": customer.first_name,
        "family_name": customer.last_name,
        "updated_at": int(customer.last_update_time.timestamp()),
    }


def test_userinfo_without_profile_returns_sub_only(bank, client_app):
    body = tokens_for(client_app, scopes=("openid", "bank:accounts.basic:read"))
    response = userinfo(body["access_token"])
    assert response.json() == {"sub": verified_id_token(client_app, body["id_token"])["sub"]}


def test_userinfo_without_openid_is_insufficient_scope(bank, client_app):
    body = tokens_for(client_app, scopes=("bank:accounts.basic:read",))
    response = userinfo(body["access_token"])
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("case", ["no_token", "unknown", "other_cert", "no_cert", "revoked",
                                  "expired", "client_credentials"])
def test_userinfo_refuses_tokens_it_cannot_use(bank, make_client, case):
    client = make_client(scope="openid profile bank:accounts.basic:read cdr:registration")
    body = tokens_for(client)
    token, der = body["access_token"], CERT
    if case == "no_token":
        token = None
    elif case == "unknown":
        token = "no-such-token"
    elif case == "other_cert":
        der = OTHER_CERT
    elif case == "no_cert":
        der = None
    elif case == "revoked":
        arrangement_revoke(arrangement=arrangement_of(body), actor=audit.Actor.system("test"))
    elif case == "expired":
        AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    elif case == "client_credentials":
        token = post_form("/token", client, {"grant_type": "client_credentials",
                                             "scope": "cdr:registration"}).json()["access_token"]
    response = userinfo(token, der=der)
    assert response.status_code == 401
    if case == "no_token":
        assert response["WWW-Authenticate"] == 'Bearer realm="cdr"'
    else:
        assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_userinfo_reads_the_token_from_the_header_only(bank, client_app):
    body = tokens_for(client_app)
    response = Client().post(USERINFO, {"access_token": body["access_token"]}, **tls(CERT))
    assert response.status_code == 401
    response = Client().get(USERINFO, {"access_token": body["access_token"]}, **tls(CERT))
    assert response.status_code == 401


def test_token_digests_never_reach_the_audit_trail(bank, client_app):
    body = tokens_for(client_app)
    refresh(client_app, body["refresh_token"])
    revoke(client_app, body["refresh_token"])
    trail = str(list(AuditEvent.objects.values_list("detail", flat=True)))
    for raw in (body["access_token"], body["refresh_token"]):
        assert raw not in trail
        assert hashlib.sha256(raw.encode()).hexdigest() not in trail
