"""API1:2023 Broken Object Level Authorization, against the live bank over mTLS.

Every endpoint that takes a resource ID (in the path or in a POST accountIds body) is called
with IDs the caller must not reach: another customer's (through another recipient and through
the same recipient), the same customer's as seen by another software product (IDs are per
customer and per software product), accounts another arrangement of the same recipient shared
but this one did not, and guessed, mutated, truncated, overlong, unicode and path-traversal
IDs. The standard's answers (standards/_errors.md): 404 cds-banking
Authorisation/InvalidBankingAccount for an account in the path, 422 with the same code in a
body, 404 Resource/Invalid for a transaction or payee; never the data, never a different
answer for "exists but not yours" and "never existed". Also the OAuth side: revoking,
introspecting, revoking tokens of and amending another recipient's arrangement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LiveBank
from tests.security.attacks.conftest import (
    Party,
    authorize,
    call,
    cdr_error,
)

BANKING = "urn:au-cds:error:cds-banking:Authorisation/InvalidBankingAccount"
RESOURCE_INVALID = "Resource/Invalid"


@dataclass(frozen=True)
class PathEndpoint:
    """A GET endpoint with an ID in its path; `url(account, other)` builds the path."""

    name: str
    x_v: str
    url: Callable[[str, str], str]
    #: Which ID the attack replaces: "account" (-> 404 InvalidBankingAccount) or the second
    #: one (-> 404 Resource/Invalid).
    target: str = "account"


ACCOUNT_PATHS = [
    PathEndpoint("account-detail", "5", lambda a, _: f"banking/accounts/{a}"),
    PathEndpoint("balance", "1", lambda a, _: f"banking/accounts/{a}/balance"),
    PathEndpoint("transactions", "2", lambda a, _: f"banking/accounts/{a}/transactions"),
    PathEndpoint("transaction-detail", "3", lambda a, t: f"banking/accounts/{a}/transactions/{t}"),
    PathEndpoint("direct-debits", "1", lambda a, _: f"banking/accounts/{a}/direct-debits"),
    PathEndpoint("scheduled-payments", "2", lambda a, _: f"banking/accounts/{a}/payments/scheduled"),
    PathEndpoint("instalment-plans", "1", lambda a, _: f"banking/accounts/{a}/payments/plans"),
]
#: The POST endpoints whose body is RequestAccountIdListV1.
BODY_ENDPOINTS = [
    ("balances", "banking/accounts/balances", "1", "balances"),
    ("direct-debits", "banking/accounts/direct-debits", "1", "directDebitAuthorisations"),
    ("scheduled-payments", "banking/payments/scheduled", "2", "scheduledPayments"),
]


def _ids_body(*account_ids: str) -> dict[str, Any]:
    return {"data": {"accountIds": list(account_ids)}, "meta": {}}


@pytest.fixture(scope="module")
def victim_on_john(live_bank: LiveBank, victim: Party) -> Party:
    """The victim's own software product, with another customer (john.citizen)."""
    return authorize(live_bank, victim.recipient, username="john.citizen", name="victim-john")


@pytest.fixture(scope="module")
def attacker_on_jane(live_bank: LiveBank, attacker: Party) -> Party:
    """The attacker's software product with the victim's customer (jane.citizen): the same
    accounts as the victim sees, under the attacker's own IDs."""
    return authorize(live_bank, attacker.recipient, username="jane.citizen", name="attacker-jane")


@pytest.fixture(scope="module")
def narrow(live_bank: LiveBank, victim: Party) -> Party:
    """A second arrangement of the victim's product and customer sharing one account only."""
    party = authorize(live_bank, victim.recipient, username="jane.citizen",
                      accounts=["Everyday Account"], name="victim-narrow")
    assert len(party.account_ids) == 1
    return party


def _foreign(kind: str, victim: Party, victim_on_john: Party, attacker: Party,
             attacker_on_jane: Party, narrow: Party) -> tuple[Party, Party]:
    """(caller, owner): the caller attacks with the owner's IDs."""
    return {
        # Another customer, through another recipient.
        "other-customer-other-recipient": (attacker, victim),
        # Another customer, through the same recipient (its own ID key, the wrong customer).
        "other-customer-same-recipient": (victim_on_john, victim),
        # The same customer and accounts, as another software product numbers them.
        "same-customer-other-recipient": (attacker_on_jane, victim),
        # The same recipient and customer: accounts another arrangement shared, this one not.
        "other-arrangement": (narrow, victim),
    }[kind]


FOREIGN = ["other-customer-other-recipient", "other-customer-same-recipient",
           "same-customer-other-recipient", "other-arrangement"]


@pytest.fixture(params=FOREIGN)
def foreign(request: pytest.FixtureRequest, victim: Party, victim_on_john: Party,
            attacker: Party, attacker_on_jane: Party, narrow: Party) -> tuple[Party, Party]:
    return _foreign(request.param, victim, victim_on_john, attacker, attacker_on_jane, narrow)


def _unshared(caller: Party, owner: Party) -> list[str]:
    """The owner's account IDs the caller's arrangement does not list."""
    ids = [a for a in owner.account_ids if a not in caller.account_ids]
    assert ids
    return ids


def test_each_party_reads_its_own_resources(victim: Party, victim_on_john: Party,
                                             attacker: Party, attacker_on_jane: Party,
                                             narrow: Party) -> None:
    """The control: every path and body endpoint answers 200 with the caller's own IDs, so
    the 404s below are refusals, not a broken endpoint."""
    for party in (victim, victim_on_john, attacker, attacker_on_jane, narrow):
        account, transaction = (party.some_transaction if party.transaction_ids
                                else (party.account_ids[0], ""))
        for endpoint in ACCOUNT_PATHS:
            if endpoint.name == "transaction-detail" and not transaction:
                continue
            response = call(party.recipient, endpoint.url(account, transaction),
                            party.access_token, endpoint.x_v)
            assert response.status_code == 200, (party.name, endpoint.name, response.text[:300])
        for _, path, x_v, _key in BODY_ENDPOINTS:
            response = call(party.recipient, path, party.access_token, x_v, method="POST",
                            json=_ids_body(account))
            assert response.status_code == 200, (party.name, path, response.text[:300])
        for payee in party.payee_ids:
            response = call(party.recipient, f"banking/payees/{payee}", party.access_token, "2")
            assert response.status_code == 200, response.text[:300]
    # The same customer's accounts have other IDs under another software product.
    assert not set(victim.account_ids) & set(attacker_on_jane.account_ids)
    assert len(victim.account_ids) == len(attacker_on_jane.account_ids)
    assert not set(victim.payee_ids) & set(attacker_on_jane.payee_ids)


@pytest.mark.parametrize("endpoint", ACCOUNT_PATHS, ids=lambda e: e.name)
def test_another_partys_account_in_the_path_is_404(endpoint: PathEndpoint,
                                                    foreign: tuple[Party, Party]) -> None:
    caller, owner = foreign
    for account in _unshared(caller, owner)[:3]:
        transaction = (owner.transaction_ids.get(account) or ["x" * 32])[0]
        response = call(caller.recipient, endpoint.url(account, transaction),
                        caller.access_token, endpoint.x_v)
        error = cdr_error(response, 404, BANKING)
        assert error["detail"] == account
        # Nothing of the owner but the ID the caller itself sent.
        assert transaction not in response.text or endpoint.name != "transaction-detail"
        for other in owner.all_ids():
            if other != account:
                assert other not in response.text


@pytest.mark.parametrize(("name", "path", "x_v", "key"), BODY_ENDPOINTS,
                         ids=[e[0] for e in BODY_ENDPOINTS])
def test_another_partys_account_in_a_body_is_422(name: str, path: str, x_v: str, key: str,
                                                  foreign: tuple[Party, Party]) -> None:
    caller, owner = foreign
    stolen = _unshared(caller, owner)[0]
    # Alone, and smuggled in after one of the caller's own accounts.
    for body in (_ids_body(stolen), _ids_body(caller.account_ids[0], stolen)):
        response = call(caller.recipient, path, caller.access_token, x_v, method="POST",
                        json=body)
        error = cdr_error(response, 422, BANKING)
        assert error["detail"] == stolen
        assert key not in response.text


def test_another_partys_transaction_on_an_own_account_is_resource_invalid(
        foreign: tuple[Party, Party]) -> None:
    caller, owner = foreign
    own_account = caller.account_ids[0]
    _, stolen = owner.some_transaction
    response = call(caller.recipient, f"banking/accounts/{own_account}/transactions/{stolen}",
                    caller.access_token, "3")
    error = cdr_error(response, 404, RESOURCE_INVALID)
    assert error["detail"] == stolen


def test_a_transaction_of_another_own_account_is_resource_invalid(victim: Party) -> None:
    """A transaction ID is valid only under the account it belongs to."""
    with_rows = [a for a, ids in victim.transaction_ids.items() if ids]
    first, second = with_rows[0], with_rows[1]
    transaction = victim.transaction_ids[second][0]
    ok = call(victim.recipient, f"banking/accounts/{second}/transactions/{transaction}",
              victim.access_token, "3")
    assert ok.status_code == 200
    response = call(victim.recipient, f"banking/accounts/{first}/transactions/{transaction}",
                    victim.access_token, "3")
    cdr_error(response, 404, RESOURCE_INVALID)


#: Payees belong to the customer, not to an account: "other-arrangement" does not apply.
@pytest.mark.parametrize("kind", FOREIGN[:3])
def test_another_partys_payee_is_resource_invalid(kind: str, victim: Party, victim_on_john: Party,
                                                  attacker: Party, attacker_on_jane: Party,
                                                  narrow: Party) -> None:
    caller, owner = _foreign(kind, victim, victim_on_john, attacker, attacker_on_jane, narrow)
    for payee in owner.payee_ids:
        response = call(caller.recipient, f"banking/payees/{payee}", caller.access_token, "2")
        error = cdr_error(response, 404, RESOURCE_INVALID)
        assert error["detail"] == payee


def test_lists_show_only_the_callers_own_resources(foreign: tuple[Party, Party]) -> None:
    """The bulk lists never carry a foreign ID either (accounts, balances, payees, bulk
    regular payments)."""
    caller, owner = foreign
    unshared = set(_unshared(caller, owner))
    for path, x_v in (("banking/accounts", "3"), ("banking/accounts/balances", "2"),
                      ("banking/payees", "2"), ("banking/accounts/direct-debits", "2"),
                      ("banking/payments/scheduled", "3"), ("banking/accounts/payments/plans", "1")):
        response = call(caller.recipient, path, caller.access_token, x_v)
        assert response.status_code == 200, (path, response.text[:300])
        for other in unshared | (set(owner.payee_ids) - set(caller.payee_ids)):
            assert other not in response.text, (path, caller.name, owner.name)


def _mutations(party: Party) -> dict[str, str]:
    own = party.account_ids[0]
    flipped = own[:10] + ("A" if own[10] != "A" else "B") + own[11:]
    payee = party.payee_ids[0]
    _, transaction = party.some_transaction
    return {
        "one-character-changed": flipped,
        "last-character-changed": own[:-1] + ("A" if own[-1] != "A" else "B"),
        "case-swapped": own.swapcase(),
        "truncated": own[:-1],
        "half": own[:16],
        "overlong": own + "A",
        "doubled": own * 2,
        "very-long": "A" * 99,
        "payee-id-as-account": payee,
        "transaction-id-as-account": transaction,
        "small-integer": "1",
        "zero": "0",
        "negative": "-1",
        "all-zero-id": "A" * 32,
        "uuid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "unicode-lookalike": own[:-1] + "\u0410",  # Cyrillic A
        "fullwidth": "\uff21" * 32,
        "rtl-override": "\u202e" + own[1:],
        "null-byte": own[:16] + "%00" + own[17:],
        "sql": "1%27%20OR%20%271%27%3D%271",
        "wildcard": "%25",
        "encoded-traversal": "..%2F..%2Fpayees",
        "dot-dot": "..",
        "template": "%7B%7B7*7%7D%7D",
    }


MUTATIONS = [
    "one-character-changed", "last-character-changed", "case-swapped", "truncated", "half",
    "overlong", "doubled", "very-long", "payee-id-as-account", "transaction-id-as-account",
    "small-integer", "zero", "negative", "all-zero-id", "uuid", "unicode-lookalike",
    "fullwidth", "rtl-override", "null-byte", "sql", "wildcard", "encoded-traversal",
    "dot-dot", "template",
]


@pytest.mark.parametrize("mutation", MUTATIONS)
@pytest.mark.parametrize("endpoint", [ACCOUNT_PATHS[0], ACCOUNT_PATHS[2]], ids=lambda e: e.name)
def test_guessed_and_mutated_account_ids_are_404(victim: Party, endpoint: PathEndpoint,
                                                  mutation: str) -> None:
    forged = _mutations(victim)[mutation]
    response = call(victim.recipient, endpoint.url(forged, ""), victim.access_token,
                    endpoint.x_v)
    assert response.status_code == 404, (mutation, response.status_code, response.text[:300])
    body = response.json()
    code = body["errors"][0]["code"]
    # Either the account check (an ID-shaped value, or anything in the account slot), or no
    # route at all for a path a traversal or an encoded slash changed; never data.
    assert code in {BANKING, "urn:au-cds:error:cds-all:Resource/NotFound"}, body
    cdr_error(response, 404, code)
    assert "data" not in body
    detail = body["errors"][0]["detail"]
    # The detail repeats the ID only when it has the shape of one of ours, else the name.
    assert detail in {forged, "accountId"} or code.endswith("Resource/NotFound"), detail
    if detail == forged:
        assert len(forged) == 32 and forged.isascii()


@pytest.mark.parametrize("mutation", ["one-character-changed", "truncated", "overlong",
                                      "unicode-lookalike", "sql", "payee-id-as-account",
                                      "very-long"])
def test_mutated_ids_in_a_body_are_422(victim: Party, mutation: str) -> None:
    forged = requests.utils.unquote(_mutations(victim)[mutation])
    response = call(victim.recipient, "banking/accounts/balances", victim.access_token, "1",
                    method="POST", json=_ids_body(forged))
    error = cdr_error(response, 422, BANKING)
    assert error["detail"] in {forged, "accountIds"}


@pytest.mark.parametrize("mutation", ["one-character-changed", "truncated", "overlong",
                                      "transaction-id-as-account", "unicode-lookalike", "sql"])
def test_mutated_payee_and_transaction_ids_are_resource_invalid(victim: Party,
                                                                mutation: str) -> None:
    forged = _mutations(victim)[mutation].replace(victim.account_ids[0], victim.payee_ids[0])
    response = call(victim.recipient, f"banking/payees/{forged}", victim.access_token, "2")
    cdr_error(response, 404, RESOURCE_INVALID)
    account, transaction = victim.some_transaction
    forged_tx = _mutations(victim)[mutation].replace(victim.account_ids[0], transaction)
    if forged_tx == transaction:  # a transaction ID in the transaction slot is no attack
        forged_tx = victim.account_ids[0]
    response = call(victim.recipient, f"banking/accounts/{account}/transactions/{forged_tx}",
                    victim.access_token, "3")
    cdr_error(response, 404, RESOURCE_INVALID)


def test_unknown_and_foreign_ids_answer_alike(victim: Party, attacker: Party) -> None:
    """No oracle: a real ID of someone else and an ID that never existed get the same body
    shape and code (only the echoed ID differs)."""
    foreign = victim.account_ids[0]
    never = "Q" * 32
    answers = [call(attacker.recipient, f"banking/accounts/{i}/balance", attacker.access_token,
                    "1") for i in (foreign, never)]
    bodies = [r.json()["errors"][0] for r in answers]
    assert [r.status_code for r in answers] == [404, 404]
    assert bodies[0]["code"] == bodies[1]["code"] == BANKING
    assert bodies[0]["title"] == bodies[1]["title"]
    assert {bodies[0]["detail"], bodies[1]["detail"]} == {foreign, never}


# --- other arrangements: revoked and expired --------------------------------------------


@pytest.fixture(scope="module")
def ended(live_bank: LiveBank, victim: Party) -> dict[str, Party]:
    """Two more arrangements of the victim's product with jane: one the recipient revoked,
    one whose sharing period has run out."""
    revoked = authorize(live_bank, victim.recipient, username="jane.citizen", name="revoked")
    answer = client_post_as(revoked, "cdr_arrangement_revocation_endpoint",
                            {"cdr_arrangement_id": revoked.arrangement_id})
    assert answer.status_code == 204, answer.text
    expired = authorize(live_bank, victim.recipient, username="jane.citizen", name="expired")
    live_bank.manage("shell", "-c", (
        "from datetime import timedelta; from django.utils import timezone; "
        "from security.consent.models import Arrangement; "
        f"n = Arrangement.objects.filter(cdr_arrangement_id='{expired.arrangement_id}')"
        ".update(sharing_expires_at=timezone.now() - timedelta(seconds=5)); assert n == 1"))
    return {"revoked": revoked, "expired": expired}


def client_post_as(party: Party, endpoint: str, data: dict[str, str]) -> requests.Response:
    return party.recipient.client_post(endpoint, data)


@pytest.mark.parametrize("state", ["revoked", "expired"])
@pytest.mark.parametrize("endpoint", ACCOUNT_PATHS, ids=lambda e: e.name)
def test_an_ended_arrangements_token_reads_nothing(ended: dict[str, Party], state: str,
                                                     endpoint: PathEndpoint) -> None:
    """The IDs are the same as the live arrangement's (per customer and product), but the
    ended arrangement's token opens nothing: revoked tokens are gone (401), an expired
    arrangement is 403 Authorisation/RevokedConsent."""
    party = ended[state]
    account, transaction = party.some_transaction
    response = call(party.recipient, endpoint.url(account, transaction),
                    str(party.token["access_token"]), endpoint.x_v)
    if state == "revoked":
        cdr_error(response, 401, "GeneralError/Expected")
    else:
        cdr_error(response, 403, "Authorisation/RevokedConsent")
    assert account not in response.text and transaction not in response.text


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_an_ended_arrangement_cannot_be_refreshed_or_amended(ended: dict[str, Party],
                                                             state: str) -> None:
    party = ended[state]
    refresh = party.recipient.client_post("token_endpoint", {
        "grant_type": "refresh_token", "refresh_token": str(party.token["refresh_token"])})
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    with pytest.raises(AssertionError, match="invalid_request"):
        party.recipient.par(scope="openid bank:accounts.basic:read", sharing_duration=3600,
                            cdr_arrangement_id=party.arrangement_id)


# --- the OAuth side: arrangements and tokens of another recipient -------------------------


def test_revoking_another_recipients_arrangement_is_invalid_arrangement(victim: Party,
                                                                         attacker: Party) -> None:
    for arrangement in (victim.arrangement_id, victim.arrangement_id.upper(),
                        victim.arrangement_id + " ", "", "' OR 1=1 --", "x" * 500):
        response = attacker.recipient.client_post("cdr_arrangement_revocation_endpoint",
                                                  {"cdr_arrangement_id": arrangement})
        error = cdr_error(response, 422, "Authorisation/InvalidArrangement")
        assert victim.arrangement_id not in error["detail"]
    # Nothing changed: the victim's arrangement still serves data and still refreshes.
    assert call(victim.recipient, "banking/accounts", victim.access_token, "3").status_code == 200
    introspected = victim.recipient.client_post("introspection_endpoint",
                                                {"token": str(victim.token["refresh_token"])})
    assert introspected.json()["active"] is True


def test_another_recipients_tokens_cannot_be_introspected_or_revoked(victim: Party,
                                                                      attacker: Party) -> None:
    refresh, access = str(victim.token["refresh_token"]), victim.access_token
    seen = attacker.recipient.client_post("introspection_endpoint", {"token": refresh})
    assert seen.status_code == 200 and seen.json() == {"active": False}
    for token, hint in ((access, "access_token"), (refresh, "refresh_token"), (refresh, "")):
        revoked = attacker.recipient.client_post("revocation_endpoint",
                                                 {"token": token, "token_type_hint": hint})
        # RFC 7009 §2.2: 200 whatever the token, so it tells the attacker nothing.
        assert revoked.status_code == 200 and revoked.content == b""
    # ...and nothing happened to them.
    assert call(victim.recipient, "banking/accounts", access, "3").status_code == 200
    own = victim.recipient.client_post("introspection_endpoint", {"token": refresh})
    assert own.json()["active"] is True
    assert own.json()["cdr_arrangement_id"] == victim.arrangement_id


def test_amending_another_recipients_arrangement_is_refused(victim: Party,
                                                            attacker: Party) -> None:
    """A PAR naming the victim's cdr_arrangement_id (to take over its consent)."""
    with pytest.raises(AssertionError, match="invalid_request"):
        attacker.recipient.par(scope="openid bank:accounts.basic:read", sharing_duration=3600,
                               cdr_arrangement_id=victim.arrangement_id)
    # The control: the victim may amend its own.
    request_uri, _, _ = victim.recipient.par(scope="openid bank:accounts.basic:read",
                                             sharing_duration=3600,
                                             cdr_arrangement_id=victim.arrangement_id)
    assert request_uri.startswith("urn:ietf:params:oauth:request_uri:")
