"""The authorization endpoint after PAR (RFC 9126 §4), the consent hand-over
(security.oauth.authorization) and the JARM response (FAPI 1.0 Advanced §5.2.2.2)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from accounts.models import Account, User
from security import audit
from security.consent import services as consent_services
from security.consent.models import Arrangement, ArrangementStatus
from security.crypto import token_digest as code_digest
from security.models import AuditEvent
from security.oauth import jarm
from security.oauth.authorization import (
    ARRANGEMENT_AMENDED,
    AUTHORIZATION_APPROVED,
    AUTHORIZATION_DECLINED,
    AuthorizationAlreadyDecided,
    AuthorizationDecisionInvalid,
    AuthorizationExpired,
    AuthorizationNotFound,
    authorization_amendment_complete,
    authorization_decide,
    authorization_pending_get,
)
from security.oauth.endpoints import issuer
from security.oauth.errors import InvalidGrant
from security.oauth.models import (
    AuthorizationRequest,
    GrantContext,
    PushedAuthorizationRequest,
    RefreshTokenContext,
)
from security.oauth.signing_keys import public_jwks
from tests.oauth.conftest import REDIRECT_URI
from tests.oauth.flow_helpers import (
    AUTHORIZE_URL,
    authorize,
    decode_segment,
    expire_at_once,
    handle_of,
    jarm_claims,
    pkce_pair,
    pushed_request_uri,
    query_of,
    request_claims,
    seeded_bank,  # noqa: F401 - the module fixture named in pytestmark
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_bank")]

ACR2, ACR3 = "urn:cds.au:cdr:2", "urn:cds.au:cdr:3"
ONE_YEAR = 31_536_000


def _user(username="jane.citizen"):
    return User.objects.get(username=username)


def _accounts(username="jane.citizen"):
    return list(Account.objects.filter(account_holders__customer=_user(username).customer)
                .order_by("pk"))


def _start(client, **overrides):
    """PAR, then the browser at /authorize: (handle, the request object's claims)."""
    claims = request_claims(client, **overrides)
    response = authorize(client.client_id, pushed_request_uri(client, claims))
    return handle_of(response), claims


def _approve(handle, username="jane.citizen", *, accounts=None, acr=ACR2):
    chosen = _accounts(username)[:2] if accounts is None else accounts
    return authorization_decide(
        handle=handle, user=_user(username), approved=True,
        account_ids=[a.pk for a in chosen], acr=acr, auth_time=timezone.now(),
    )


def _error_page(response):
    assert response.status_code == 400, response.status_code
    assert not response.has_header("Location")
    assert response["Content-Type"].startswith("text/html")
    assert response["Cache-Control"] == "no-store"
    assert not AuthorizationRequest.objects.exists()
    return response.content.decode()


# --- the positive path -----------------------------------------------------------------------


def test_par_authorize_and_approval_end_in_a_verifiable_jarm_code_response(client_app):
    verifier, challenge = pkce_pair()
    state, nonce = "st-" + secrets.token_urlsafe(60), "nc-" + secrets.token_urlsafe(60)
    claims = request_claims(client_app, state=state, nonce=nonce, code_challenge=challenge)
    request_uri = pushed_request_uri(client_app, claims)

    response = authorize(client_app.client_id, request_uri)
    assert response.status_code == 303
    assert response["Cache-Control"] == "no-store"
    handle = handle_of(response)
    assert len(handle) >= 43 and request_uri not in response["Location"]
    assert PushedAuthorizationRequest.objects.get(request_uri=request_uri).used_at is not None

    pending = authorization_pending_get(handle=handle)
    assert pending.client_id == client_app.client_id
    assert pending.client_name == "Budget Buddy"
    assert pending.software_product_id == client_app.registration.software_product.software_product_id
    assert pending.recipient_name == "Budget Buddy Pty Ltd"
    assert pending.scopes == tuple(sorted(claims["scope"].split()))
    assert pending.sharing_duration == 7_776_000 and not pending.once_off
    assert pending.amends_arrangement is False
    assert pending.requested_acr == (ACR2,) and pending.acr_essential is True
    assert timedelta(minutes=9) < pending.expires_at - timezone.now() <= timedelta(minutes=10)

    chosen = _accounts()[:2]
    auth_time = timezone.now() - timedelta(seconds=30)
    url = authorization_decide(handle=handle, user=_user(), approved=True,
                               account_ids=[a.pk for a in chosen], acr=ACR2, auth_time=auth_time)

    response_jwt = jarm_claims(url, client_app)
    assert set(response_jwt) == {"iss", "aud", "exp", "code", "state"}
    assert response_jwt["iss"] == issuer() and response_jwt["aud"] == client_app.client_id
    assert response_jwt["state"] == state
    header = decode_segment(query_of(url)["response"][0], 0)
    assert header["alg"] == "PS256"
    assert header["kid"] in {k["kid"] for k in public_jwks()["keys"]}

    code = response_jwt["code"]
    assert len(code) >= 43  # 256 bits
    grant = Grant.objects.get(code=code_digest(code))
    assert grant.user == _user() and grant.application == client_app.registration.application
    assert grant.redirect_uri == REDIRECT_URI
    assert grant.scope == " ".join(sorted(claims["scope"].split()))
    assert grant.code_challenge == challenge and grant.code_challenge_method == "S256"
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert grant.code_challenge == expected.decode()
    assert grant.nonce == nonce
    assert json.loads(grant.claims) == claims["claims"]
    assert timedelta(seconds=55) < grant.expires - timezone.now() <= timedelta(seconds=60)

    context = GrantContext.objects.get(grant=grant)
    arrangement = context.arrangement
    assert set(arrangement.accounts.all()) == set(chosen)
    assert arrangement.customer == _user().customer and arrangement.user == _user()
    assert arrangement.software_product == client_app.registration.software_product
    assert arrangement.status == ArrangementStatus.ACTIVE
    assert arrangement.scopes == set(claims["scope"].split())
    assert abs((arrangement.sharing_expires_at - timezone.now()) - timedelta(days=90)) < timedelta(minutes=1)
    assert context.acr == ACR2 and context.auth_time == auth_time
    assert context.sharing_duration == 7_776_000 and context.replaces is None

    authorization = AuthorizationRequest.objects.get(handle=handle)
    assert authorization.status == AuthorizationRequest.Status.APPROVED
    assert authorization.decided_at is not None

    event = AuditEvent.objects.get(event_type=AUTHORIZATION_APPROVED)
    assert (event.actor_type, event.actor_id) == ("customer", str(_user().customer_id))
    assert (event.subject_type, event.subject_id) == ("arrangement", str(arrangement.pk))
    trail = json.dumps(list(AuditEvent.objects.values("detail", "subject_id", "actor_id")))
    for secret in (code, state, nonce, request_uri, handle, arrangement.cdr_arrangement_id):
        assert secret not in trail


def test_jarm_is_signed_with_the_registered_algorithm(client_app):
    client_app.registration.authorization_signed_response_alg = "ES256"
    client_app.registration.save()
    handle, _ = _start(client_app)
    url = _approve(handle)
    jarm_claims(url, client_app)
    assert decode_segment(query_of(url)["response"][0], 0)["alg"] == "ES256"


def test_a_joint_account_can_be_shared_by_either_holder(client_app):
    joint = set(_accounts("jane.citizen")) & set(_accounts("john.citizen"))
    assert joint
    handle, _ = _start(client_app)
    code = jarm_claims(_approve(handle, "john.citizen", accounts=sorted(joint, key=lambda a: a.pk)),
                       client_app)["code"]
    assert set(Grant.objects.get(code=code_digest(code)).context.arrangement.accounts.all()) == joint


def test_a_request_without_state_answers_without_state(client_app):
    handle, _ = _start(client_app, state=None)
    assert "state" not in jarm_claims(_approve(handle), client_app)


def test_once_off_consent_ends_with_the_first_token(client_app):
    handle, _ = _start(client_app, claims=None)
    code = jarm_claims(_approve(handle), client_app)["code"]
    context = Grant.objects.get(code=code_digest(code)).context
    assert context.sharing_duration == 0
    assert context.arrangement.sharing_expires_at - timezone.now() <= timedelta(minutes=10)


def test_sharing_duration_over_a_year_is_a_year(client_app):
    handle, _ = _start(client_app, claims={"sharing_duration": 5 * ONE_YEAR})
    context = Grant.objects.get(code=code_digest(jarm_claims(_approve(handle), client_app)["code"])).context
    assert context.sharing_duration == ONE_YEAR
    remaining = context.arrangement.sharing_expires_at - timezone.now()
    assert abs(remaining - timedelta(seconds=ONE_YEAR)) < timedelta(minutes=1)


def test_a_higher_level_satisfies_an_essential_lower_acr(client_app):
    handle, _ = _start(client_app)  # essential urn:cds.au:cdr:2
    code = jarm_claims(_approve(handle, acr=ACR3), client_app)["code"]
    assert Grant.objects.get(code=code_digest(code)).context.acr == ACR3


# --- declining -------------------------------------------------------------------------------


@pytest.mark.parametrize("logged_in", [True, False])
def test_decline_answers_access_denied_and_creates_nothing(client_app, logged_in):
    handle, claims = _start(client_app)
    url = authorization_decide(handle=handle, user=_user() if logged_in else None,
                               approved=False, account_ids=[], acr="", auth_time=timezone.now())
    response_jwt = jarm_claims(url, client_app)
    assert response_jwt["error"] == "access_denied"
    assert response_jwt["state"] == claims["state"]
    assert "code" not in response_jwt
    assert not Arrangement.objects.exists() and not Grant.objects.exists()
    assert AuthorizationRequest.objects.get(handle=handle).status == "DECLINED"
    event = AuditEvent.objects.get(event_type=AUTHORIZATION_DECLINED)
    assert event.actor_type == ("customer" if logged_in else "anonymous")
    with pytest.raises(AuthorizationAlreadyDecided):
        _approve(handle)


# --- /authorize refusals: an error page, never a redirect --------------------------------------

MARKER = "<script>marker-4f1c</script>"


@pytest.mark.parametrize(("name", "value"), [
    ("request", "eyJhbGciOiJub25lIn0.e30."), ("state", MARKER), ("nonce", MARKER),
    ("code_challenge", "A" * 43), ("claims", "{}"), ("response_mode", "query"),
    ("prompt", "none"), (MARKER, "x"),
    ("redirect_uri", "https://evil.example/" + MARKER),
    ("redirect_uri", REDIRECT_URI + "/"),
    ("scope", "openid bank:payees:read"), ("scope", "profile"), ("scope", MARKER),
    ("response_type", "token"), ("response_type", "code id_token"),
])
def test_authorize_with_other_or_disagreeing_parameters_shows_an_error_page(client_app, name,
                                                                             value):
    request_uri = pushed_request_uri(client_app)
    page = _error_page(authorize(client_app.client_id, request_uri, **{name: value}))
    assert "marker-4f1c" not in page and "evil.example" not in page
    assert client_app.client_id not in page and request_uri not in page


@pytest.mark.parametrize("extra", [
    {"scope": "openid"},  # the CDS authorisation example
    {"response_type": "code", "scope": "openid profile bank:accounts.basic:read "
                                       "bank:transactions:read", "redirect_uri": REDIRECT_URI},
])
def test_authorize_tolerates_oidc_duplicates_that_agree(client_app, extra):
    response = authorize(client_app.client_id, pushed_request_uri(client_app), **extra)
    assert response.status_code == 303


@pytest.mark.parametrize("query", [{}, {"client_id": "x"}, {"request_uri": "urn:x"},
                                   {"client_id": "", "request_uri": ""}])
def test_authorize_without_client_id_and_request_uri_shows_an_error_page(query):
    _error_page(Client().get(AUTHORIZE_URL, query))


def test_authorize_with_a_repeated_parameter_shows_an_error_page(client_app):
    request_uri = pushed_request_uri(client_app)
    response = Client().get(AUTHORIZE_URL + f"?client_id={client_app.client_id}"
                            f"&request_uri={request_uri}&request_uri={request_uri}")
    _error_page(response)


def test_authorize_accepts_get_only(client_app):
    request_uri = pushed_request_uri(client_app)
    response = Client().post(AUTHORIZE_URL, {"client_id": client_app.client_id,
                                             "request_uri": request_uri})
    assert response.status_code == 405


def test_unknown_request_uri_shows_an_error_page(client_app):
    _error_page(authorize(client_app.client_id, "urn:ietf:params:oauth:request_uri:nope"))


def test_expired_request_uri_shows_an_error_page(client_app):
    request_uri = pushed_request_uri(client_app)
    expire_at_once(PushedAuthorizationRequest.objects.get(request_uri=request_uri))
    _error_page(authorize(client_app.client_id, request_uri))


def test_a_request_uri_works_once(client_app):
    request_uri = pushed_request_uri(client_app)
    assert authorize(client_app.client_id, request_uri).status_code == 303
    response = authorize(client_app.client_id, request_uri)
    assert response.status_code == 400 and not response.has_header("Location")
    assert AuthorizationRequest.objects.count() == 1


def test_a_failed_visit_spends_the_request_uri(client_app):
    request_uri = pushed_request_uri(client_app)
    _error_page(authorize(client_app.client_id, request_uri, state="x"))
    _error_page(authorize(client_app.client_id, request_uri))


def test_another_clients_request_uri_is_refused_and_not_spent(make_client):
    owner, intruder = make_client(name="Owner"), make_client(name="Intruder")
    request_uri = pushed_request_uri(owner)
    _error_page(authorize(intruder.client_id, request_uri))
    assert authorize(owner.client_id, request_uri).status_code == 303


def test_authorize_refuses_a_product_that_became_inactive_after_par(client_app):
    request_uri = pushed_request_uri(client_app)
    product = client_app.registration.software_product
    product.status = "INACTIVE"
    product.save()
    _error_page(authorize(client_app.client_id, request_uri))


# --- the hand-over: pending and decided --------------------------------------------------------


def test_pending_get_of_an_unknown_handle_raises():
    with pytest.raises(AuthorizationNotFound):
        authorization_pending_get(handle="nope")


def test_pending_get_and_decide_after_expiry_raise(client_app):
    handle, _ = _start(client_app)
    expire_at_once(AuthorizationRequest.objects.get(handle=handle))
    with pytest.raises(AuthorizationExpired):
        authorization_pending_get(handle=handle)
    with pytest.raises(AuthorizationExpired):
        _approve(handle)
    assert not Grant.objects.exists()


def test_deciding_twice_fails_and_issues_one_code(client_app):
    handle, _ = _start(client_app)
    _approve(handle)
    with pytest.raises(AuthorizationAlreadyDecided):
        _approve(handle)
    with pytest.raises(AuthorizationAlreadyDecided):
        authorization_pending_get(handle=handle)
    assert Grant.objects.count() == 1 and Arrangement.objects.count() == 1


@pytest.mark.parametrize("case", ["another_customers_account", "unknown_account",
                                  "no_account_for_bank_data"])
def test_accounts_must_be_the_customers_own(client_app, case):
    handle, _ = _start(client_app)
    accounts = {
        "another_customers_account": [*_accounts()[:1], _accounts("priya.sharma")[0]],
        "unknown_account": [Account(pk=10**9)],
        "no_account_for_bank_data": [],
    }[case]
    with pytest.raises(AuthorizationDecisionInvalid):
        _approve(handle, accounts=accounts)
    assert not Arrangement.objects.exists() and not Grant.objects.exists()
    # Nothing was decided: the customer can choose again.
    assert authorization_pending_get(handle=handle).handle == handle
    jarm_claims(_approve(handle), client_app)


@pytest.mark.parametrize(("essential", "acr"), [
    ([ACR3], ACR2), ([ACR2], "urn:cds.au:cdr:1"), ([ACR2], ""), ([ACR2], "urn:cds.au:cdr:4"),
])
def test_an_insufficient_authentication_level_cannot_approve(client_app, essential, acr):
    handle, _ = _start(client_app, claims={"sharing_duration": 3600, "id_token": {
        "acr": {"essential": True, "values": essential}}})
    with pytest.raises(AuthorizationDecisionInvalid):
        _approve(handle, acr=acr)
    assert AuthorizationRequest.objects.get(handle=handle).status == "PENDING"


@pytest.mark.parametrize("case", ["staff", "inactive", "naive_auth_time", "future_auth_time"])
def test_only_an_active_customer_login_with_a_real_auth_time_can_approve(client_app, case):
    handle, _ = _start(client_app)
    user, auth_time = _user(), timezone.now()
    if case == "staff":
        user = User.objects.create(username="staff-member", is_staff=True)
    elif case == "inactive":
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.refresh_from_db()
    elif case == "naive_auth_time":
        auth_time = timezone.now().replace(tzinfo=None)
    else:
        auth_time = timezone.now() + timedelta(minutes=5)
    with pytest.raises(AuthorizationDecisionInvalid):
        authorization_decide(handle=handle, user=user, approved=True,
                             account_ids=[a.pk for a in _accounts()[:1]], acr=ACR2,
                             auth_time=auth_time)
    assert not Arrangement.objects.exists()


def test_a_product_made_inactive_before_the_decision_gets_an_error_response(client_app):
    handle, _ = _start(client_app)
    product = client_app.registration.software_product
    product.recipient.status = "SUSPENDED"
    product.recipient.save()
    assert jarm_claims(_approve(handle), client_app)["error"] == "unauthorized_client"
    assert not Arrangement.objects.exists()
    assert AuthorizationRequest.objects.get(handle=handle).status == "DECLINED"


# --- amending an arrangement (cdr_arrangement_id) ---------------------------------------------


def _existing(client, username="jane.citizen"):
    """An active arrangement with a refresh token and two access tokens: one the refresh
    token was issued with, one not linked to it (as after a refresh)."""
    user = _user(username)
    arrangement = consent_services.arrangement_create(
        customer=user.customer, user=user,
        software_product=client.registration.software_product,
        scopes=["openid", "bank:accounts.basic:read"], accounts=_accounts(username)[:1],
        sharing_expires_at=timezone.now() + timedelta(days=30),
        actor=audit.Actor(audit.ActorType.CUSTOMER, str(user.customer_id)),
    )
    _, access = consent_services.access_token_issue(
        arrangement=arrangement, certificate_thumbprint="", actor=audit.Actor.system("test"))
    refresh = RefreshToken(user=user, token="", application=client.registration.application,
                           access_token=access)
    refresh._raw_token = secrets.token_urlsafe(32)
    refresh.save()
    RefreshTokenContext.objects.create(refresh_token=refresh, arrangement=arrangement,
                                       expires_at=arrangement.sharing_expires_at)
    _, unlinked = consent_services.access_token_issue(
        arrangement=arrangement, certificate_thumbprint="", actor=audit.Actor.system("test"))
    return arrangement, [access, unlinked], refresh


def _amend(client, arrangement):
    return _start(client, claims={"sharing_duration": ONE_YEAR,
                                  "cdr_arrangement_id": arrangement.cdr_arrangement_id})


def test_amending_keeps_the_id_and_revokes_old_tokens_only_at_completion(client_app):
    old, tokens, refresh = _existing(client_app)
    token_pks = [t.pk for t in tokens]
    original_id = old.cdr_arrangement_id
    handle, _ = _amend(client_app, old)
    assert authorization_pending_get(handle=handle).amends_arrangement is True

    code = jarm_claims(_approve(handle, accounts=_accounts()[:2]), client_app)["code"]
    context = Grant.objects.get(code=code_digest(code)).context
    new = context.arrangement
    assert context.replaces == old and new.pk != old.pk
    assert new.cdr_arrangement_id != original_id  # not disclosed, not yet the arrangement's
    # The code is not redeemed yet: the old consent and its tokens still work.
    old.refresh_from_db()
    assert old.status == ArrangementStatus.ACTIVE and old.cdr_arrangement_id == original_id
    assert AccessToken.objects.filter(pk__in=token_pks).count() == 2
    refresh.refresh_from_db()
    assert refresh.revoked is None

    actor = audit.Actor(audit.ActorType.CLIENT, client_app.client_id)
    result = authorization_amendment_complete(grant_context=context, actor=actor)
    assert result.pk == new.pk and result.cdr_arrangement_id == original_id
    assert set(result.accounts.all()) == set(_accounts()[:2])
    old.refresh_from_db()
    assert old.status == ArrangementStatus.REVOKED and old.revoked_at is not None
    assert old.cdr_arrangement_id.startswith("superseded:")
    assert not AccessToken.objects.filter(pk__in=token_pks).exists()
    refresh.refresh_from_db()
    assert refresh.revoked is not None
    assert Arrangement.objects.get(cdr_arrangement_id=original_id).pk == new.pk
    assert AuditEvent.objects.filter(event_type=ARRANGEMENT_AMENDED, subject_id=str(new.pk)).exists()
    # Single use: the same completion cannot run again.
    with pytest.raises(InvalidGrant):
        authorization_amendment_complete(grant_context=context, actor=actor)


def test_completion_without_amendment_returns_the_codes_arrangement(client_app):
    handle, _ = _start(client_app)
    context = Grant.objects.get(code=code_digest(jarm_claims(_approve(handle), client_app)["code"])).context
    arrangement = authorization_amendment_complete(grant_context=context,
                                                   actor=audit.Actor.system("test"))
    assert arrangement.pk == context.arrangement_id


def test_amending_another_customers_arrangement_is_access_denied(client_app):
    janes, tokens, _ = _existing(client_app, "jane.citizen")
    handle, claims = _amend(client_app, janes)
    response_jwt = jarm_claims(_approve(handle, "priya.sharma"), client_app)
    assert response_jwt["error"] == "access_denied" and response_jwt["state"] == claims["state"]
    assert list(Arrangement.objects.all()) == [janes]
    janes.refresh_from_db()
    assert janes.status == ArrangementStatus.ACTIVE
    assert AccessToken.objects.filter(pk__in=[t.pk for t in tokens]).count() == 2
    assert AuthorizationRequest.objects.get(handle=handle).status == "DECLINED"


def test_amending_an_arrangement_revoked_after_par_is_access_denied(client_app):
    old, _, _ = _existing(client_app)
    handle, _ = _amend(client_app, old)
    consent_services.arrangement_revoke(arrangement=old, actor=audit.Actor.system("test"))
    assert jarm_claims(_approve(handle), client_app)["error"] == "access_denied"
    assert Arrangement.objects.count() == 1


def test_completion_refuses_when_the_old_arrangement_was_withdrawn_meanwhile(client_app):
    old, _, _ = _existing(client_app)
    handle, _ = _amend(client_app, old)
    context = Grant.objects.get(code=code_digest(jarm_claims(_approve(handle), client_app)["code"])).context
    consent_services.arrangement_revoke(arrangement=old, actor=audit.Actor.system("test"))
    with pytest.raises(InvalidGrant):
        authorization_amendment_complete(grant_context=context, actor=audit.Actor.system("t"))
    old.refresh_from_db()
    assert not old.cdr_arrangement_id.startswith("superseded:")


# --- the JARM response itself ------------------------------------------------------------------


def test_jarm_appends_to_a_registered_query_and_redirects_with_303(make_client):
    uri = "https://recipient.example/cb?tenant=7"
    client = make_client(redirect_uris=[uri])
    url = jarm.jarm_redirect_url(registration=client.registration, redirect_uri=uri, state="s",
                                 code="c" * 43)
    assert url.startswith(uri + "&response=")
    assert query_of(url)["tenant"] == ["7"] and query_of(url)["iss"] == [issuer()]
    response = jarm.see_other(url)
    assert response.status_code == 303 and response["Location"] == url


def test_jarm_carries_either_a_code_or_an_error(client_app):
    with pytest.raises(ValueError, match="either"):
        jarm.jarm_redirect_url(registration=client_app.registration, redirect_uri=REDIRECT_URI,
                               state=None, code="c", error="access_denied")
    with pytest.raises(ValueError, match="either"):
        jarm.jarm_redirect_url(registration=client_app.registration, redirect_uri=REDIRECT_URI,
                               state=None)


def test_codes_are_stored_as_digests_only(client_app):
    import hashlib

    from oauth2_provider.models import Grant

    handle, _ = _start(client_app)
    code = jarm_claims(_approve(handle), client_app)["code"]
    stored = Grant.objects.get().code
    assert stored == hashlib.sha256(code.encode()).hexdigest() and code not in stored
