"""new_client_certificate: a known client's token issued under a certificate new to it."""

from __future__ import annotations

import pytest

from security.monitoring.models import Alert
from tests.monitoring.conftest import alert_row, token_issued

pytestmark = pytest.mark.django_db

RULE = "new_client_certificate"
OLD, NEW = "x5t-old-certificate-thumbprint", "x5t-new-certificate-thumbprint"


def test_new_certificate_of_a_known_client_alerts(run, alert_lines, received):
    token_issued(product="sp-a", client_id="client-a", thumbprint=OLD)
    token_issued(product="sp-a", client_id="client-a", thumbprint=OLD,
                 event_type="REFRESH_TOKEN_ISSUED")
    assert run() == []  # the client's first certificate is not news

    first = token_issued(product="sp-a", client_id="client-a", thumbprint=NEW)
    last = token_issued(product="sp-a", client_id="client-a", thumbprint=NEW,
                        event_type="ACCESS_TOKEN_REFRESHED")
    (alert,) = run()

    assert alert_row(alert) == {
        "rule": RULE, "severity": "medium", "status": "open", "count": 2,
        "software_product_id": "sp-a", "source_ip": None,
        "detail": {"thresholds": {"window_seconds": 900}, "cert_thumbprint": NEW},
        "first_seen": first.occurred_at, "last_seen": last.occurred_at,
        "last_event_id": last.pk, "acknowledged_by": None, "acknowledged_at": None,
    }
    (line,) = alert_lines("security.alert.new_client_certificate")
    assert (line.alert_id, line.software_product_id) == (alert.pk, "sp-a")
    assert received == [alert.pk]


def test_client_without_a_software_product_is_known_by_its_client_id(run):
    for thumbprint in (OLD, NEW):
        token_issued(product="", client_id="client-b", thumbprint=thumbprint,
                     event_type="CLIENT_TOKEN_ISSUED")
    (alert,) = run()
    assert (alert.software_product_id, alert.detail) == (
        "", {"thresholds": {"window_seconds": 900}, "client_id": "client-b",
             "cert_thumbprint": NEW})


def test_a_certificate_known_to_another_client_is_still_new_to_this_one(run):
    token_issued(product="sp-other", client_id="client-other", thumbprint=NEW)
    token_issued(product="sp-a", client_id="client-a", thumbprint=OLD)
    token_issued(product="sp-a", client_id="client-a", thumbprint=NEW)
    (alert,) = run()
    assert (alert.software_product_id, alert.detail["cert_thumbprint"]) == ("sp-a", NEW)


def test_normal_traffic_does_not_alert(run):
    # Clients renewing tokens under the certificate they always had.
    for _ in range(5):
        token_issued(product="sp-a", client_id="client-a", thumbprint=OLD)
        token_issued(product="sp-b", client_id="client-b", thumbprint=NEW)
    # Events from before thumbprints were recorded, or of an unbound token, say nothing.
    token_issued(product="sp-c", client_id="client-c", thumbprint="")
    token_issued(product="sp-c", client_id="client-c", thumbprint=OLD)
    # Other events carrying a thumbprint are not token issuance.
    token_issued(product="sp-a", client_id="client-a", thumbprint=NEW,
                 event_type="CLIENT_REGISTRATION_UPDATED")

    assert run() == []
    assert not Alert.objects.exists()


def test_the_certificate_seen_again_later_is_known(run):
    token_issued(product="sp-a", client_id="client-a", thumbprint=OLD)
    token_issued(product="sp-a", client_id="client-a", thumbprint=NEW)
    (alert,) = run()
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.save()
    # Once staff have seen it, the next token under it is just the client's certificate.
    token_issued(product="sp-a", client_id="client-a", thumbprint=NEW)
    assert run() == []
    assert Alert.objects.count() == 1
