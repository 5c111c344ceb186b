"""Register status polling: a status change at the Register reaches the resource API.

End to end with nothing inside the bank mocked: the recipient registers by DCR with a real
SSA, gets an arrangement and a token, then the mock Register (reached over the harness's HTTP
hop) deactivates it, and the next `recipient_statuses_refresh()` makes the bank refuse it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone
from django.utils.http import http_date

from accounts.models import Customer, User
from bank.register_mock.models import RegisterLegalEntity, RegisterSoftwareProduct
from security import audit
from security.consent import services as consent
from security.models import AuditEvent
from security.recipients import tasks
from security.recipients.models import DataRecipient, SoftwareProduct
from security.recipients.services import RegisterUnavailableError, recipient_statuses_refresh
from tests.conftest import assert_cdr_error
from tests.register.harness import dcr_register

CUSTOMER_URL = "/cds-au/v1/common/customer"


@pytest.fixture
def registered(recipient):
    dcr_register(recipient)
    return recipient


@pytest.fixture
def token(registered):
    customer = Customer.objects.create(customer_type="person", last_update_time=timezone.now(),
                                       first_name="Jane", last_name="Citizen")
    user = User.objects.create(username="jane.polling", customer=customer)
    product = SoftwareProduct.objects.get(software_product_id=registered.software_id)
    arrangement = consent.arrangement_create(
        customer=customer, user=user, software_product=product,
        scopes=["common:customer.basic:read"], accounts=[],
        sharing_expires_at=timezone.now() + timedelta(days=30), actor=audit.Actor.system("t"),
    )
    raw, _ = consent.access_token_issue(arrangement=arrangement, certificate_thumbprint="",
                                        actor=audit.Actor.system("t"))
    return raw


def _customer(token: str):
    return Client().get(CUSTOMER_URL, headers={
        "Authorization": f"Bearer {token}", "x-v": "1", "x-fapi-auth-date": http_date(),
        "Accept": "application/json"})


def test_inactive_product_at_the_register_is_refused_after_the_next_poll(registered, token):
    assert _customer(token).status_code == 200
    RegisterSoftwareProduct.objects.filter(
        software_product_id=registered.software_id).update(status="INACTIVE")
    # Until the bank polls, it still serves (CDS allows up to 5 minutes).
    assert _customer(token).status_code == 200

    result = recipient_statuses_refresh()

    assert (result.recipients_changed, result.products_changed) == (0, 1)
    assert_cdr_error(_customer(token), 403, "Authorisation/AdrStatusNotActive",
                     detail="Software product status: INACTIVE")
    event = AuditEvent.objects.get(event_type="SOFTWARE_PRODUCT_STATUS_CHANGED")
    assert event.detail == {"software_product_id": registered.software_id,
                            "from": "ACTIVE", "to": "INACTIVE"}
    assert event.actor_type == "system"


def test_suspended_recipient_is_refused_and_reactivation_restores_access(registered, token):
    legal_entity = RegisterLegalEntity.objects.get(
        brands__products__software_product_id=registered.software_id)
    legal_entity.status = "SUSPENDED"
    legal_entity.save()
    assert recipient_statuses_refresh().recipients_changed == 1
    assert DataRecipient.objects.get(
        legal_entity_id=legal_entity.legal_entity_id).status == "SUSPENDED"
    assert_cdr_error(_customer(token), 403, "Authorisation/AdrStatusNotActive",
                     detail="Data recipient status: SUSPENDED")

    legal_entity.status = "ACTIVE"
    legal_entity.save()
    assert recipient_statuses_refresh().recipients_changed == 1
    assert _customer(token).status_code == 200
    assert AuditEvent.objects.filter(event_type="RECIPIENT_STATUS_CHANGED").count() == 2


def test_unchanged_statuses_write_nothing(registered):
    assert recipient_statuses_refresh().products_changed == 0
    assert not AuditEvent.objects.filter(event_type__endswith="STATUS_CHANGED").exists()


def test_products_the_bank_does_not_know_are_ignored(make_recipient, registered):
    stranger = make_recipient(name="Never registered here")
    RegisterSoftwareProduct.objects.filter(pk=stranger.product.pk).update(status="INACTIVE")
    assert recipient_statuses_refresh().products_changed == 0
    assert not SoftwareProduct.objects.filter(software_product_id=stranger.software_id).exists()


def test_the_poll_sends_the_spec_version_and_reads_both_lists(registered):
    registered.router.calls.clear()
    recipient_statuses_refresh()
    assert registered.router.calls == [
        ("GET", "http://testserver/mock-register/cdr-register/v1/all/data-recipients/status"),
        ("GET", "http://testserver/mock-register/cdr-register/v1/all/data-recipients/brands/"
                "software-products/status"),
    ]


def test_an_unreachable_register_changes_nothing(registered, settings):
    RegisterSoftwareProduct.objects.update(status="INACTIVE")
    settings.BANK_REGISTER_BASE_URL = "https://register.unreachable.example"
    with pytest.raises(RegisterUnavailableError):
        recipient_statuses_refresh()
    assert SoftwareProduct.objects.get(software_product_id=registered.software_id).status == \
        "ACTIVE"


def test_unknown_status_values_are_ignored(registered, monkeypatch):
    from security.recipients import services

    monkeypatch.setattr(services, "_register_list", lambda url: [
        {"softwareProductId": registered.software_id, "status": "MAYBE"},
        {"legalEntityId": 7, "status": "ACTIVE"}, "junk"])
    assert recipient_statuses_refresh().products_changed == 0
    assert SoftwareProduct.objects.get(software_product_id=registered.software_id).status == \
        "ACTIVE"


def test_the_poll_needs_the_register_base_url(settings, db):
    settings.BANK_REGISTER_BASE_URL = ""
    with pytest.raises(ImproperlyConfigured):
        recipient_statuses_refresh()


def test_the_celery_task_runs_the_service(registered):
    RegisterSoftwareProduct.objects.update(status="REMOVED")
    result = tasks.recipient_statuses_refresh.delay()
    assert result.get() == {"recipients_changed": 0, "products_changed": 1}
    assert SoftwareProduct.objects.get(software_product_id=registered.software_id).status == \
        "REMOVED"
