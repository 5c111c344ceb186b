"""Per-software-product overrides: validated, audited, and seen by the limiter."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import User
from security.models import AuditEvent
from security.recipients.models import DataRecipient, SoftwareProduct
from security.throttling.limits import Limit
from security.throttling.models import RateLimitOverride
from security.throttling.selectors import rate_limit_overrides_for
from tests.staff.helpers import staff_session_with_second_factor


@pytest.fixture
def product(db) -> SoftwareProduct:
    recipient = DataRecipient.objects.create(legal_entity_id="le-1", legal_entity_name="Le")
    return SoftwareProduct.objects.create(recipient=recipient, software_product_id="sp-override",
                                          name="Override App")


def _override(product, **fields) -> RateLimitOverride:
    return RateLimitOverride(software_product=product, reason="a big recipient", **fields)


@pytest.mark.parametrize(("fields", "field"), [
    ({"rule": "no_such_rule", "rate": "10/s"}, "rule"),
    ({"rule": "software_product", "rate": "fast"}, "rate"),
    ({"rule": "software_product", "rate": "0/s"}, "rate"),
    ({"rule": "software_product", "rate": "100/day"}, "rate"),  # a rate rule given a quota
    ({"rule": "unattended_calls_per_session", "rate": "10/s"}, "rate"),  # and the reverse
    ({"rule": "unattended_calls_per_session", "rate": "500/session", "burst": 5}, "rate"),
    # Rules that count callers or customers across products: a per-product value would
    # change other products' budgets, or nothing at all.
    ({"rule": "customer_present_per_customer", "rate": "1/h"}, "rule"),
    ({"rule": "search_per_customer", "rate": "1/h"}, "rule"),
    ({"rule": "client_certificate", "rate": "1000/s"}, "rule"),
    ({"rule": "token_per_client", "rate": "1000/s"}, "rule"),
    ({"rule": "secure_site_wide", "rate": "1000/s"}, "rule"),
])
def test_an_invalid_override_is_refused(product, fields, field):
    with pytest.raises(ValidationError) as refused:
        _override(product, **fields).full_clean()
    assert field in refused.value.message_dict


def test_valid_overrides_reach_the_limiter(product):
    _override(product, rule="software_product", rate="80/s", burst=160).full_clean()
    _override(product, rule="endpoint:DirectDebitListApi", rate="2/s").full_clean()
    RateLimitOverride.objects.create(software_product=product, rule="software_product",
                                     rate="80/s", burst=160, reason="x")
    RateLimitOverride.objects.create(software_product=product,
                                     rule="unattended_calls_per_session", rate="500/session",
                                     reason="x")
    assert rate_limit_overrides_for("sp-override") == {
        "software_product": Limit(80, "s", 160),
        "unattended_calls_per_session": Limit(500, "session"),
    }
    assert rate_limit_overrides_for("another-product") == {}


def test_staff_changes_in_the_admin_are_audited_with_before_and_after(product):
    staff = User.objects.create_superuser("root", "root@bank.example", "a-long-password-1")
    client = Client()
    staff_session_with_second_factor(client, staff)
    add = client.post("/admin/throttling/ratelimitoverride/add/", {
        "software_product": product.pk, "rule": "software_product", "rate": "80/s",
        "burst": "160", "reason": "a big recipient"})
    assert add.status_code == 302, add.content[:2000]
    row = RateLimitOverride.objects.get()
    assert row.updated_by == staff
    change = client.post(f"/admin/throttling/ratelimitoverride/{row.pk}/change/", {
        "software_product": product.pk, "rule": "software_product", "rate": "60/s",
        "burst": "", "reason": "smaller"})
    assert change.status_code == 302
    events = list(AuditEvent.objects.filter(event_type="RATE_LIMIT_OVERRIDE_CHANGED")
                  .order_by("id"))
    assert [e.detail["action"] for e in events] == ["added", "changed"]
    assert events[1].detail["before"] == {"rule": "software_product", "rate": "80/s",
                                          "burst": 160}
    assert events[1].detail["after"] == {"rule": "software_product", "rate": "60/s",
                                         "burst": None}
    assert (events[1].actor_type, events[1].actor_id) == ("staff", str(staff.pk))
    assert events[1].subject_id == "sp-override"
    # The limiter sees the change at once in this process.
    assert rate_limit_overrides_for("sp-override") == {"software_product": Limit(60, "s", 60)}


def test_the_admin_refuses_an_unknown_rule(product):
    staff = User.objects.create_superuser("root", "root@bank.example", "a-long-password-1")
    client = Client()
    staff_session_with_second_factor(client, staff)
    response = client.post("/admin/throttling/ratelimitoverride/add/", {
        "software_product": product.pk, "rule": "made_up", "rate": "80/s", "reason": "x"})
    assert response.status_code == 200
    assert not RateLimitOverride.objects.exists()
