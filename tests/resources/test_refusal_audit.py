"""Every refused resource call leaves one audit event that says why, survives the request's
rollback, and is sealed into the chain (security/refusals.py, security/audit.py)."""

from __future__ import annotations

import pytest

from security.models import AuditEvent
from tests.conftest import assert_cdr_error

ACCOUNTS = "banking/accounts"


def refusals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(
        event_type__in=("TOKEN_REJECTED", "RESOURCE_ACCESS_DENIED", "INPUT_REJECTED"))
        .order_by("id"))


def only_refusal() -> AuditEvent:
    events = refusals()
    assert len(events) == 1, [(e.event_type, e.detail) for e in events]
    return events[0]


def test_a_missing_scope_is_denied_audited_and_survives_the_rollback(grant, cdr, product):
    g = grant("jane.citizen", scopes=["bank:transactions:read"])
    response = cdr("get", ACCOUNTS, g, x_v="3", HTTP_X_FAPI_INTERACTION_ID="5b3c61e4-57a7-4f29-9a0c-8c4b1c8bbd2e")
    assert_cdr_error(response, 403, "Authorisation/InvalidConsent")

    event = only_refusal()
    assert event.event_type == "RESOURCE_ACCESS_DENIED" and event.outcome == "denied"
    assert event.detail == {
        "reason": "scope", "error_code": "urn:au-cds:error:cds-all:Authorisation/InvalidConsent",
        "status": 403, "method": "GET", "endpoint": "AccountListApi",
        # DRF rolled the request's transaction back; the middleware wrote the event again.
        "rolled_back": True,
    }
    assert (event.actor_type, event.actor_id) == ("client", product.software_product_id)
    assert event.software_product_id == product.software_product_id
    assert event.arrangement_id == str(g.arrangement.pk)
    assert event.interaction_id == "5b3c61e4-57a7-4f29-9a0c-8c4b1c8bbd2e"
    # Sealed into the chain after the response, like every event of a request.
    assert event.seq is not None and event.chain_hash


def test_another_customers_account_is_a_foreign_id_probe(bank, grant, cdr):
    g = grant("jane.citizen")
    johns = g.account_id(bank.accounts("priya.sharma")[0])
    response = cdr("get", f"{ACCOUNTS}/{johns}", g, x_v="4")
    assert_cdr_error(response, 404, "urn:au-cds:error:cds-banking:Authorisation/InvalidBankingAccount")
    event = only_refusal()
    assert (event.event_type, event.outcome) == ("RESOURCE_ACCESS_DENIED", "denied")
    assert event.detail["reason"] == "foreign_id"
    assert event.subject_type == "resource_id"
    # A digest that counts distinct probes; the ID itself is not kept.
    assert len(event.subject_id) == 16 and event.subject_id not in johns
    assert johns not in str(event.detail)

    cdr("get", f"{ACCOUNTS}/{johns}", g, x_v="4")
    cdr("get", f"{ACCOUNTS}/{g.account_id_pk(10**9)}", g, x_v="4")
    probes = [e.subject_id for e in refusals()]
    assert probes[0] == probes[1] != probes[2]


@pytest.mark.parametrize(("setup", "status", "reason"), [
    ({"status": "REVOKED"}, 403, "consent_revoked"),
    ({"sharing_days": -1}, 403, "consent_expired"),
    ({"status": "PENDING"}, 403, "consent_pending"),
    ({"token_seconds": -5}, 401, "expired"),
    ({"thumbprint": "bound-to-a-certificate-this-call-lacks"}, 401, "certificate"),
])
def test_each_refused_token_or_consent_names_its_reason(grant, cdr, setup, status, reason):
    g = grant("jane.citizen", **setup)
    response = cdr("get", ACCOUNTS, g, x_v="3")
    assert response.status_code == status
    event = only_refusal()
    assert event.detail["reason"] == reason
    assert event.event_type == ("TOKEN_REJECTED" if status == 401 else "RESOURCE_ACCESS_DENIED")
    assert g.token not in str(event.detail)


def test_an_inactive_recipient_is_denied_with_its_reason(make_product, grant, cdr):
    g = grant("jane.citizen", software_product=make_product(recipient_status="SUSPENDED"))
    assert_cdr_error(cdr("get", ACCOUNTS, g, x_v="3"), 403, "Authorisation/AdrStatusNotActive")
    assert only_refusal().detail["reason"] == "recipient_inactive"


def test_no_token_and_an_unknown_token(cdr, grant):
    grant("jane.citizen")
    assert cdr("get", ACCOUNTS, None, x_v="3").status_code == 401
    assert cdr("get", ACCOUNTS, None, x_v="3",
               HTTP_AUTHORIZATION="Bearer made-up-token").status_code == 401
    first, second = refusals()
    assert (first.event_type, first.detail["reason"], first.actor_type) == (
        "RESOURCE_ACCESS_DENIED", "no_token", "anonymous")
    assert (second.event_type, second.detail["reason"]) == ("TOKEN_REJECTED", "unknown")
    assert "made-up-token" not in str(second.detail)


def test_malformed_input_is_audited_as_input_rejected(grant, cdr):
    g = grant("jane.citizen")
    response = cdr("get", ACCOUNTS, g, x_v="3", query={"page-size": "1001"})
    assert_cdr_error(response, 400, "Field/InvalidPageSize")
    event = only_refusal()
    assert event.event_type == "INPUT_REJECTED"
    assert event.detail["error_code"].endswith("Field/InvalidPageSize")


def test_an_accepted_call_writes_no_refusal(grant, cdr):
    assert cdr("get", ACCOUNTS, grant("jane.citizen"), x_v="3").status_code == 200
    assert refusals() == []


def test_a_foreign_account_in_a_request_body_is_a_probe_of_that_id(bank, grant, cdr):
    g = grant("jane.citizen")
    priyas = [g.account_id(a) for a in bank.accounts("priya.sharma")[:2]]
    for foreign in (priyas[0], priyas[1], priyas[0]):
        response = cdr("post", "banking/accounts/balances", g, x_v="1",
                       data={"data": {"accountIds": [foreign]}, "meta": {}})
        assert response.status_code == 422
    probes = refusals()
    assert [(e.event_type, e.detail["reason"]) for e in probes] == [
        ("RESOURCE_ACCESS_DENIED", "foreign_id")] * 3
    first, second, again = (e.subject_id for e in probes)
    assert len(first) == 16 and first != second and first == again
    assert all(foreign not in str(e.detail) for e in probes for foreign in priyas)


def test_anonymous_refusals_are_audited_once_a_minute_per_source_and_kind(db, client, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="bank.audit")
    for n in range(4):
        response = client.get(f"/cds-au/v1/banking/products/not-a-product-{n}",
                              HTTP_X_V="7", HTTP_ACCEPT="application/json")
        assert response.status_code == 404
    for _ in range(3):
        assert client.get("/cds-au/v1/banking/accounts", HTTP_X_V="3").status_code == 401
    events = refusals()
    # An unknown product is a bad request, not a probe of customer data; and nobody
    # identified, so one row per kind and source a minute, every refusal in the log.
    assert [(e.event_type, e.detail["reason"], e.actor_type) for e in events] == [
        ("INPUT_REJECTED", "unknown_id", "anonymous"),
        ("RESOURCE_ACCESS_DENIED", "no_token", "anonymous")]
    assert all("at most one event per source" in e.detail["note"] for e in events)
    sampled = [r for r in caplog.records if getattr(r, "event", "") == "audit.refusal_sampled"]
    assert len(sampled) == 3 + 2
