"""Each rule triggered by the code that really writes its events: refused CDR calls, the
customer login, token issuance and the request metrics."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from bank.metrics.recorder import recorder
from bank.metrics.selectors import metrics_flush
from security import audit
from security.login.services import LoginFailed, login_password_check
from security.models import AuditEvent
from security.monitoring.detector import detector_run
from security.monitoring.models import Alert
from security.oauth.tokens import arrangement_access_token_issue, arrangement_tokens_revoke
from tests.conftest import assert_cdr_error
from tests.monitoring.conftest import rule_setting

ACCOUNTS = "banking/accounts"


def _alert_log_text(caplog: pytest.LogCaptureFixture) -> str:
    return json.dumps([r.__dict__ for r in caplog.records if r.name == "bank.security.alert"],
                      default=str)


def test_a_revoked_token_used_on_the_api_alerts_at_once(grant, cdr, caplog):
    caplog.set_level(logging.WARNING, logger="bank.security.alert")
    g = grant("jane.citizen")
    arrangement_tokens_revoke(arrangement=g.arrangement, reason="test",
                              actor=audit.Actor(audit.ActorType.CUSTOMER, "1"))

    assert_cdr_error(cdr("get", ACCOUNTS, g, x_v="3"), 401, "GeneralError/Expected")

    # The request rolled back; its refusal was written again after it, and with it the alert.
    event = AuditEvent.objects.get(event_type="TOKEN_REJECTED")
    alert = Alert.objects.get()
    assert (event.detail["reason"], event.detail["rolled_back"]) == ("revoked", True)
    assert (alert.rule, alert.software_product_id, alert.count, alert.last_event_id,
            alert.status) == ("revoked_token_use", event.software_product_id, 1, event.pk, "open")
    assert g.token not in _alert_log_text(caplog) and g.token not in json.dumps(alert.detail)
    assert detector_run() == []  # counted once


def test_probing_other_customers_account_ids_is_enumeration(bank, grant, cdr, product):
    g = grant("jane.citizen")
    for n in range(rule_setting("foreign_id_enumeration", "distinct_ids")):
        response = cdr("get", f"{ACCOUNTS}/{g.account_id_pk(10**9 + n)}", g, x_v="4")
        assert response.status_code == 404
    (alert,) = [a for a in detector_run() if a.rule == "foreign_id_enumeration"]
    assert (alert.software_product_id, alert.detail["distinct_ids"]) == (
        product.software_product_id, rule_setting("foreign_id_enumeration", "distinct_ids"))


def test_calls_beyond_the_consents_scopes_are_a_burst(grant, cdr, product):
    g = grant("jane.citizen", scopes=["bank:transactions:read"])
    threshold = rule_setting("authorization_failure_burst", "threshold")
    for _ in range(threshold - 1):
        assert cdr("get", ACCOUNTS, g, x_v="3").status_code == 403
    assert detector_run() == []
    assert cdr("get", ACCOUNTS, g, x_v="3").status_code == 403
    (alert,) = detector_run()
    assert (alert.rule, alert.software_product_id, alert.count) == (
        "authorization_failure_burst", product.software_product_id, threshold)


def test_failed_logins_for_many_identifiers_from_one_source_are_stuffing(bank):
    distinct = rule_setting("credential_stuffing", "distinct_identifiers")
    # Real customers and made-up identifiers alike, wrong passwords, one address.
    for identifier in ["jane.citizen", "priya.sharma"] + [f"guess-{n}" for n in range(distinct - 2)]:
        with pytest.raises(LoginFailed):
            login_password_check(identifier=identifier, password="Winter2026!",
                                 source_ip="198.51.100.77")
    (alert,) = detector_run()
    assert (alert.rule, alert.source_ip, alert.detail["distinct_ids"]) == (
        "credential_stuffing", "198.51.100.77", distinct)
    assert "guess-" not in json.dumps(alert.detail)


def test_a_token_issued_under_a_new_certificate_alerts(grant, product):
    g = grant("jane.citizen")
    actor = audit.Actor(audit.ActorType.CLIENT, "client-of-the-product")
    for thumbprint in ("thumbprint-of-the-first-certificate",
                       "thumbprint-of-the-first-certificate",
                       "thumbprint-of-a-second-certificate"):
        arrangement_access_token_issue(arrangement=g.arrangement, user=g.arrangement.user,
                                       scope="bank:accounts.basic:read",
                                       certificate_thumbprint=thumbprint, actor=actor)
    (alert,) = detector_run()
    assert (alert.rule, alert.software_product_id, alert.count, alert.detail["cert_thumbprint"]) \
        == ("new_client_certificate", product.software_product_id, 1,
            "thumbprint-of-a-second-certificate")


def test_a_client_suddenly_calling_a_lot_is_a_spike(grant, cdr, product, settings):
    # Few calls make a spike here: thresholds are settings.
    settings.BANK_MONITORING = {**settings.BANK_MONITORING, "call_volume_spike": {
        **settings.BANK_MONITORING["call_volume_spike"], "min_calls": 3}}
    recorder.drain()
    g = grant("jane.citizen")
    for _ in range(3):
        assert cdr("get", ACCOUNTS, g, x_v="3").status_code == 200
    metrics_flush()
    # The window is whole minutes: the next minute's run sees these calls.
    (alert,) = detector_run(timezone.now() + timedelta(minutes=1))
    assert (alert.rule, alert.software_product_id, alert.count) == (
        "call_volume_spike", product.software_product_id, 3)
