"""Every write in the staff console is one audit event: who, what, before/after, and never a
personal or secret value; the audit trail and key material cannot be written there at all."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Customer, User
from bank.discovery.models import Outage
from security.admin import AuditEventAdmin
from security.admin_audit import MASKED, AdminAuditMixin, field_is_disclosable
from security.encryption.models import DataKey
from security.models import AuditEvent
from security.recipients.models import DataRecipient, SoftwareProduct
from security.throttling.models import RateLimitOverride
from tests.staff.helpers import staff_session_with_second_factor

pytestmark = pytest.mark.django_db

ADMIN_EVENTS = ("ADMIN_OBJECT_ADDED", "ADMIN_OBJECT_CHANGED", "ADMIN_OBJECT_DELETED",
                "ADMIN_ACTION_RUN")


class _FormParser(HTMLParser):
    """What a browser submits from one form of a page: inputs, checked boxes, selected
    options (else the first), textareas."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.fields: list[tuple[str, str]] = []
        self._inside = False
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._inside = a.get("id") == self.form_id
        if not self._inside or (not a.get("name") and tag in ("input", "select", "textarea")):
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and self._options:
                chosen = [self._options[0][0]]
            self.fields.extend((self._select, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None


def _form(client: Client, url: str, form_id: str, **changes: Any) -> dict[str, Any]:
    """The form at `url` as the page shows it, with `changes` typed over it."""
    page = client.get(url)
    assert page.status_code == 200, page.content[:500]
    parser = _FormParser(form_id)
    parser.feed(page.content.decode())
    data: dict[str, Any] = {}
    for name, value in parser.fields:
        if "__prefix__" not in name:  # the blank inline row templates: Django ignores them
            data.setdefault(name, []).append(value)
    data = {k: v[0] if len(v) == 1 else v for k, v in data.items()}
    assert data, f"no form {form_id} on {url}"
    return {**data, **changes}


def _events(*types: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type__in=types).order_by("id"))


def _serialised(event: AuditEvent) -> str:
    return json.dumps([event.detail, event.subject_id, event.actor_id])


@pytest.fixture
def staff() -> tuple[Client, User]:
    user = User.objects.create_superuser("ops", password="a-long-admin-password-1")
    client = Client()
    staff_session_with_second_factor(client, user)
    return client, user


@pytest.fixture
def customer() -> Customer:
    person = Customer.objects.create(
        customer_type="person", first_name="Matilda", last_name="Wormwood",
        middle_names=["Honey"], date_of_birth=date(1988, 5, 17), last_update_time=timezone.now())
    person.email_addresses.create(purpose="HOME", address="Matilda.W@Example.com",
                                  is_preferred=True)
    return person


# --- a customer: encrypted fields, inlines --------------------------------------------------


def test_customer_change_records_before_and_after_with_personal_data_masked(staff, customer,
                                                                            caplog):
    """Even a superuser edits only non-encrypted fields: personal data is masked and
    read-only on the page, a forged POST of it is ignored, and no event carries it."""
    client, user = staff
    caplog.set_level(logging.INFO, logger="bank.audit")
    url = reverse("admin:accounts_customer_change", args=[customer.pk])
    page = client.get(url).content.decode()
    for secret in ("Wormwood", "Matilda", "1988"):
        assert secret not in page
    data = _form(client, url, "customer_form",
                 occupation_code_version="ANZSCO_1220.0_2013_V1.2",
                 last_name="Trunchbull", first_name="Agatha")  # forged: not form fields

    response = client.post(url, data)

    assert response.status_code == 302, response.content[:3000]
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Matilda", "Wormwood")
    assert customer.email_addresses.get().address == "Matilda.W@Example.com"
    [event] = _events(*ADMIN_EVENTS)
    assert (event.event_type, event.outcome, event.actor_type, event.actor_id) == (
        "ADMIN_OBJECT_CHANGED", "success", "staff", str(user.pk))
    assert (event.subject_type, event.subject_id, event.source_ip) == (
        "accounts.customer", str(customer.pk), "127.0.0.1")
    assert event.detail == {
        "changes": [
            {"field": "occupation_code_version", "before": "",
             "after": "ANZSCO_1220.0_2013_V1.2"},
        ],
    }
    logged = [r for r in caplog.records if getattr(r, "event_type", "") == "ADMIN_OBJECT_CHANGED"]
    assert len(logged) == 1
    for text in (_serialised(event), json.dumps(logged[0].detail)):
        for secret in ("Wormwood", "Trunchbull", "Matilda", "Agatha", "Example.com", "1988"):
            assert secret not in text


def test_customers_are_not_added_in_the_console_even_by_a_superuser(staff):
    """Customers (and their personal data) come from the bank's core systems."""
    client, _user = staff

    response = client.post(reverse("admin:accounts_customer_add"), {
        "customer_type": "person", "first_name": "Agatha", "last_name": "Trunchbull"})

    assert response.status_code == 403
    assert not Customer.objects.exists()
    assert _events(*ADMIN_EVENTS) == []


def test_customer_delete_records_the_row_as_it_was_with_personal_data_masked(staff, customer):
    client, user = staff
    customer_id = customer.pk

    response = client.post(reverse("admin:accounts_customer_delete", args=[customer_id]),
                           {"post": "yes"})

    assert response.status_code == 302, response.content[:3000]
    assert not Customer.objects.filter(pk=customer_id).exists()
    [event] = _events(*ADMIN_EVENTS)
    assert (event.event_type, event.subject_type, event.subject_id, event.actor_id) == (
        "ADMIN_OBJECT_DELETED", "accounts.customer", str(customer_id), str(user.pk))
    before = {f["field"]: f["before"] for f in event.detail["fields"]}
    # Shown: enumerated codes and yes/no; everything else in a customer row is personal.
    assert before == {
        "row_key": MASKED, "customer_type": "person", "last_update_time": MASKED,
        "first_name": MASKED, "last_name": MASKED, "middle_names": MASKED, "prefix": MASKED,
        "suffix": MASKED, "occupation_code": MASKED, "occupation_code_version": "",
        "date_of_birth": MASKED, "agent_first_name": MASKED, "agent_last_name": MASKED,
        "agent_role": MASKED, "business_name": MASKED, "legal_name": MASKED,
        "short_name": MASKED, "abn": MASKED, "acn": MASKED, "is_acnc_registered": None,
        "industry_code": MASKED, "industry_code_version": "", "organisation_type": "",
        "registered_country": MASKED, "establishment_date": MASKED, "created_at": MASKED,
    }
    for secret in ("Wormwood", "Matilda", "Honey", "1988", str(customer.row_key)):
        assert secret not in _serialised(event)


def test_an_erased_customer_can_be_deleted_and_audited_without_decrypting(staff, customer):
    """Masked fields are never read: a row whose key is destroyed is still audited."""
    from security.audit import Actor, ActorType
    from security.consent.erasure import customer_erase

    client, _ = staff
    customer_erase(customer=customer, actor=Actor(ActorType.STAFF, "1"))
    response = client.post(reverse("admin:accounts_customer_delete", args=[customer.pk]),
                           {"post": "yes"})
    assert response.status_code == 302, response.content[:3000]
    assert [e.subject_id for e in _events("ADMIN_OBJECT_DELETED")] == [str(customer.pk)]


# --- admins that audit their own writes: no second event -----------------------------------


@pytest.fixture
def product() -> SoftwareProduct:
    recipient = DataRecipient.objects.create(legal_entity_id="le-1", legal_entity_name="Le")
    return SoftwareProduct.objects.create(recipient=recipient, software_product_id="sp-audit",
                                          name="Audit App")


def test_rate_limit_override_admin_writes_its_own_events_and_no_generic_one(staff, product,
                                                                           real_rate_limits):
    client, user = staff
    fields = {"software_product": product.pk, "rule": "software_product", "rate": "80/s",
              "burst": "160", "reason": "a big recipient"}
    assert client.post(reverse("admin:throttling_ratelimitoverride_add"),
                       fields).status_code == 302
    row = RateLimitOverride.objects.get()
    assert client.post(reverse("admin:throttling_ratelimitoverride_change", args=[row.pk]),
                       {**fields, "rate": "60/s"}).status_code == 302
    assert client.post(reverse("admin:throttling_ratelimitoverride_delete", args=[row.pk]),
                       {"post": "yes"}).status_code == 302

    events = _events("RATE_LIMIT_OVERRIDE_CHANGED", *ADMIN_EVENTS)
    assert [(e.event_type, e.detail["action"]) for e in events] == [
        ("RATE_LIMIT_OVERRIDE_CHANGED", "added"), ("RATE_LIMIT_OVERRIDE_CHANGED", "changed"),
        ("RATE_LIMIT_OVERRIDE_CHANGED", "deleted")]
    assert events[1].detail["before"]["rate"] == "80/s"
    assert events[1].detail["after"]["rate"] == "60/s"
    assert {e.actor_id for e in events} == {str(user.pk)}


def test_outage_admin_writes_its_own_events_and_no_generic_one(staff):
    client, user = staff
    fields = {"outage_time_0": "02/01/2030", "outage_time_1": "01:00:00",
              "duration": "02:00:00", "explanation": "Planned maintenance."}
    assert client.post(reverse("admin:discovery_outage_add"), fields).status_code == 302
    outage = Outage.objects.get()
    assert client.post(reverse("admin:discovery_outage_change", args=[outage.pk]),
                       {**fields, "duration": "03:00:00"}).status_code == 302
    assert Outage.objects.get().duration == timedelta(hours=3)
    assert client.post(reverse("admin:discovery_outage_delete", args=[outage.pk]),
                       {"post": "yes"}).status_code == 302

    events = _events("OUTAGE_CHANGED", *ADMIN_EVENTS)
    assert [(e.event_type, e.detail["action"], e.subject_id) for e in events] == [
        ("OUTAGE_CHANGED", "created", str(outage.pk)),
        ("OUTAGE_CHANGED", "changed", str(outage.pk)),
        ("OUTAGE_CHANGED", "deleted", str(outage.pk))]
    assert {(e.actor_type, e.actor_id) for e in events} == {("staff", str(user.pk))}


# --- non-personal models: values in clear, kept short --------------------------------------


def test_recipient_change_shows_allow_listed_values_cut_short_and_new_inline_rows(staff):
    client, _ = staff
    recipient = DataRecipient.objects.create(legal_entity_id="le-9", legal_entity_name="Old Co")
    url = reverse("admin:recipients_datarecipient_change", args=[recipient.pk])
    long_name = "N" * 150
    data = _form(client, url, "datarecipient_form", legal_entity_name=long_name,
                 status="SUSPENDED")
    prefix = next(k for k in data if k.endswith("-TOTAL_FORMS")).removesuffix("-TOTAL_FORMS")
    data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-name": "New App",
                 f"{prefix}-0-software_product_id": "sp-new", f"{prefix}-0-status": "ACTIVE"})

    response = client.post(url, data)

    assert response.status_code == 302, response.content[:3000]
    product = SoftwareProduct.objects.get(software_product_id="sp-new")
    [event] = _events(*ADMIN_EVENTS)
    assert event.detail == {
        "changes": [
            {"field": "legal_entity_name", "before": "Old Co", "after": "N" * 79 + "…"},
            {"field": "status", "before": "ACTIVE", "after": "SUSPENDED"},
        ],
        "inlines": [{"model": "recipients.softwareproduct", "pk": str(product.pk),
                     "action": "added",
                     "changes": [{"field": "name", "after": "New App"},
                                 {"field": "software_product_id", "after": "sp-new"}]}],
    }


def test_list_editable_changes_on_the_change_list_are_recorded_row_by_row(staff):
    from bank.register_mock.models import RegisterLegalEntity

    client, _ = staff
    entity = RegisterLegalEntity.objects.create(legal_entity_name="Recipient Pty")
    url = reverse("admin:register_mock_registerlegalentity_changelist")
    data = _form(client, url, "changelist-form", _save="Save")
    status_field = next(k for k in data if k.endswith("-status"))
    data[status_field] = "SUSPENDED"

    response = client.post(url, data)

    assert response.status_code == 302, response.content[:3000]
    [event] = _events(*ADMIN_EVENTS)
    assert (event.event_type, event.subject_type, event.subject_id) == (
        "ADMIN_OBJECT_CHANGED", "register_mock.registerlegalentity", str(entity.pk))
    assert event.detail == {"changes": [{"field": "status", "before": "ACTIVE",
                                         "after": "SUSPENDED"}]}


def test_a_password_change_names_the_fields_and_shows_nothing_of_the_password(staff):
    client, _ = staff
    member = User.objects.create_user("clerk", password="the-old-password-1", is_staff=True)
    old_hash = member.password
    url = reverse("admin:auth_user_password_change", args=[member.pk])
    response = client.post(url, {"password1": "Brand-new-passw0rd!", "password2":
                                 "Brand-new-passw0rd!", "usable_password": "true"})

    assert response.status_code == 302, response.content[:3000]
    member.refresh_from_db()
    assert member.check_password("Brand-new-passw0rd!")
    [event] = _events(*ADMIN_EVENTS)
    assert (event.event_type, event.subject_type, event.subject_id) == (
        "ADMIN_OBJECT_CHANGED", "accounts.user", str(member.pk))
    # Django names the change "password"; the hash is a masked field like any secret.
    assert event.detail == {"changes": [{"field": "password", "before": MASKED,
                                         "after": MASKED}]}
    for secret in ("Brand-new-passw0rd!", old_hash, member.password):
        assert secret not in _serialised(event)


# --- bulk actions ---------------------------------------------------------------------------


def test_bulk_delete_records_one_event_per_row_and_nothing_for_the_confirmation(staff):
    client, _ = staff
    doomed = [DataRecipient.objects.create(legal_entity_id=f"le-{i}", legal_entity_name=f"Co {i}")
              for i in range(2)]
    url = reverse("admin:recipients_datarecipient_changelist")
    selection = {"action": "delete_selected", "_selected_action": [r.pk for r in doomed]}

    confirm = client.post(url, selection)
    assert confirm.status_code == 200 and not _events(*ADMIN_EVENTS)
    done = client.post(url, {**selection, "post": "yes"})

    assert done.status_code == 302
    assert not DataRecipient.objects.exists()
    events = _events(*ADMIN_EVENTS)
    assert [(e.event_type, e.subject_id) for e in events] == [
        ("ADMIN_OBJECT_DELETED", str(doomed[0].pk)), ("ADMIN_OBJECT_DELETED", str(doomed[1].pk))]
    assert events[0].detail == {"fields": [
        {"field": "legal_entity_id", "before": "le-0"},
        {"field": "legal_entity_name", "before": "Co 0"},
        {"field": "status", "before": "ACTIVE"},
        {"field": "updated_at", "before": doomed[0].updated_at.isoformat()},
    ]}


def test_an_admin_action_is_recorded_with_what_it_ran_on(staff, customer):
    client, user = staff
    other = Customer.objects.create(customer_type="person", last_name="Other",
                                    last_update_time=timezone.now())

    response = client.post(reverse("admin:accounts_customer_changelist"),
                           {"action": "erase_customers", "_selected_action": [customer.pk]})

    assert response.status_code == 302
    [event] = _events(*ADMIN_EVENTS)
    assert (event.event_type, event.outcome, event.actor_type, event.actor_id) == (
        "ADMIN_ACTION_RUN", "success", "staff", str(user.pk))
    assert (event.subject_type, event.subject_id) == ("accounts.customer", str(customer.pk))
    assert event.detail == {"action": "erase_customers", "selected": [str(customer.pk)],
                            "selected_count": 1, "select_across": False}
    # What the action did is the service's event; the other customer was not touched.
    assert AuditEvent.objects.filter(event_type="CUSTOMER_ERASED",
                                     subject_id=str(customer.pk)).exists()
    assert not AuditEvent.objects.filter(subject_id=str(other.pk)).exists()


# --- read-only: the audit trail and key material --------------------------------------------


def test_the_audit_trail_refuses_add_change_and_delete_to_a_superuser(staff, monkeypatch):
    client, _ = staff
    from security.audit import Actor, audit_record

    event = audit_record(actor=Actor.system("test"), event_type="THING_HAPPENED",
                         detail={"n": 1})
    # Even if its own ModelAdmin were loosened, the site keeps the trail append-only.
    monkeypatch.setattr(AuditEventAdmin, "has_change_permission", lambda *a, **k: True)
    monkeypatch.setattr(AuditEventAdmin, "has_delete_permission", lambda *a, **k: True)
    monkeypatch.setattr(AuditEventAdmin, "has_add_permission", lambda *a, **k: True)
    change = reverse("admin:security_auditevent_change", args=[event.pk])
    delete = reverse("admin:security_auditevent_delete", args=[event.pk])
    changelist = reverse("admin:security_auditevent_changelist")

    assert client.get(reverse("admin:security_auditevent_add")).status_code == 403
    assert client.post(change, {"event_type": "EDITED", "detail": "{}"}).status_code == 403
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    listing = client.get(changelist)
    assert listing.status_code == 200
    assert "delete_selected" not in listing.content.decode()
    bulk = client.post(changelist, {"action": "delete_selected", "post": "yes",
                                    "_selected_action": [event.pk]})
    assert bulk.status_code == 200  # "no action selected": the action is not offered
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    event.refresh_from_db()
    assert event.event_type == "THING_HAPPENED"
    assert AuditEvent.objects.count() == 1


def test_wrapped_data_keys_are_read_only_and_never_shown(staff, customer):
    client, _ = staff
    key = DataKey.objects.first()
    assert key is not None
    change = reverse("admin:encryption_datakey_change", args=[key.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert bytes(key.wrapped).hex() not in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert client.post(change, {"state": "destroyed"}).status_code == 403
    assert client.post(reverse("admin:encryption_datakey_delete", args=[key.pk]),
                       {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:encryption_datakey_add")).status_code == 403
    assert DataKey.objects.filter(pk=key.pk, state=key.state).exists()


def test_every_registered_admin_goes_through_the_audit_hook():
    assert admin.site._registry
    unaudited = [m._meta.label for m, a in admin.site._registry.items()
                 if not isinstance(a, AdminAuditMixin)]
    assert unaudited == []


# --- which values may be shown ----------------------------------------------------------------


@pytest.mark.parametrize(("label", "field", "shown"), [
    # Encrypted, blind indexes, secrets and personal data: never.
    ("accounts.customer", "first_name", False),
    ("accounts.customer", "date_of_birth", False),
    ("accounts.customeremailaddress", "address_index", False),
    ("accounts.account", "account_number", False),
    ("accounts.customeraddress", "postcode", False),
    ("accounts.customeraddress", "thoroughfare_number1", False),  # an int, in personal data
    ("accounts.user", "password", False),
    ("accounts.user", "username", False),
    ("accounts.user", "email", False),
    ("accounts.user", "last_name", False),
    ("oauth2_provider.application", "client_secret", False),
    ("oauth2_provider.accesstoken", "token", False),
    ("oauth2_provider.accesstoken", "token_checksum", False),
    ("oauth2_provider.grant", "code", False),
    ("transactions.directdebit", "authorised_entity_abn", False),
    # Numbers and dates outside the bank's configuration models: a customer's money, history.
    ("transactions.directdebit", "last_debit_amount", False),
    ("transactions.directdebit", "last_debit_date_time", False),
    ("consent.arrangement", "sharing_expires_at", False),
    ("accounts.user", "last_login", False),
    ("oauth2_provider.accesstoken", "expires", False),
    ("django_celery_beat.periodictask", "headers", False),  # free text, not allow-listed
    ("accounts.customer", "password1", False),  # not a model field: unknown, masked
    # Safe types, choices, relations, allow-listed text: yes.
    ("accounts.user", "is_staff", True),
    ("oauth2_provider.application", "hash_client_secret", True),  # a yes/no switch
    ("accounts.customer", "customer_type", True),
    ("accounts.customeremailaddress", "customer", True),
    ("accounts.product", "name", True),
    ("discovery.outage", "explanation", True),
    ("discovery.outage", "duration", True),
    ("django_celery_beat.periodictask", "task", True),
    ("django_celery_beat.periodictask", "args", True),  # IDs: what staff scheduled
    ("django_celery_beat.periodictask", "kwargs", True),
    ("django_celery_beat.intervalschedule", "every", True),
    ("throttling.ratelimitoverride", "burst", True),
    ("accounts.productfee", "amount", True),  # published product reference data
])
def test_field_disclosure_fails_closed(label, field, shown):
    from django.apps import apps

    assert field_is_disclosable(apps.get_model(label), field) is shown


@pytest.fixture
def direct_debit() -> Any:
    from accounts import choices as c
    from accounts.models import Account, Product
    from transactions.models import DirectDebit

    product = Product.objects.create(brand="demo", name="Everyday", description="d",
                                     category=c.ProductCategory.TRANS_AND_SAVINGS_ACCOUNTS,
                                     last_updated=timezone.now())
    account = Account.objects.create(product=product, display_name="Everyday", bsb="923100",
                                     account_number="12345678")
    return DirectDebit.objects.create(
        account=account, authorised_entity_description="NETFLIX",
        last_debit_date_time=timezone.make_aware(datetime(2030, 3, 14, 9, 26)),
        last_debit_amount=Decimal("1234.56"))


def test_a_direct_debit_change_masks_the_customers_amount_and_date(staff, direct_debit):
    client, user = staff
    url = reverse("admin:transactions_directdebit_change", args=[direct_debit.pk])
    data = _form(client, url, "directdebit_form", last_debit_amount="7890.12",
                 last_debit_date_time_0="27/11/2031", last_debit_date_time_1="18:28:00")

    response = client.post(url, data)

    assert response.status_code == 302, response.content[:3000]
    direct_debit.refresh_from_db()
    assert direct_debit.last_debit_amount == Decimal("7890.12")
    [event] = _events(*ADMIN_EVENTS)
    assert (event.event_type, event.subject_type, event.subject_id, event.actor_id) == (
        "ADMIN_OBJECT_CHANGED", "transactions.directdebit", str(direct_debit.pk), str(user.pk))
    assert event.detail == {"changes": [
        {"field": "last_debit_date_time", "before": MASKED, "after": MASKED},
        {"field": "last_debit_amount", "before": MASKED, "after": MASKED},
    ]}
    for secret in ("1234", "7890", "2030", "2031", "12345678"):
        assert secret not in _serialised(event)


def test_a_direct_debit_deletion_masks_the_customers_amount_and_date(staff, direct_debit):
    client, _ = staff
    url = reverse("admin:transactions_directdebit_delete", args=[direct_debit.pk])

    assert client.post(url, {"post": "yes"}).status_code == 302

    [event] = _events(*ADMIN_EVENTS)
    before = {f["field"]: f["before"] for f in event.detail["fields"]}
    assert before == {
        "account": direct_debit.account_id, "authorised_entity_description": MASKED,
        "authorised_entity_financial_institution": MASKED, "authorised_entity_abn": MASKED,
        "authorised_entity_acn": MASKED, "authorised_entity_arbn": MASKED,
        "last_debit_date_time": MASKED, "last_debit_amount": MASKED,
    }
    for secret in ("1234", "2030", "NETFLIX"):
        assert secret not in _serialised(event)


def test_a_periodic_task_change_shows_what_it_was_scheduled_with(staff):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    client, _ = staff
    every_minute = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    task = PeriodicTask.objects.create(
        name="Continue rotation 7", task="security.encryption.tasks.key_rotation_continue",
        interval=every_minute, args="[7]", kwargs='{"batch": 1000}')
    url = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    data = _form(client, url, "periodictask_form", args="[8]", kwargs='{"batch": 500}',
                 priority="3")

    response = client.post(url, data)

    assert response.status_code == 302, response.content[:3000]
    [event] = _events(*ADMIN_EVENTS)
    assert event.detail == {"changes": [
        {"field": "args", "before": "[7]", "after": "[8]"},
        {"field": "kwargs", "before": '{"batch": 1000}', "after": '{"batch": 500}'},
        {"field": "priority", "before": None, "after": 3},
    ]}


def test_every_task_staff_can_schedule_takes_only_ids_and_numbers():
    """What makes showing a periodic task's args and kwargs safe: no task of the project
    takes anything a secret could be passed in."""
    import inspect

    from bank.celery import app

    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items()
            if name.startswith(("bank.", "security.", "accounts.", "transactions."))}
    assert "security.encryption.tasks.key_rotation_continue" in ours
    # Identifiers, counts, and the detector's rule name and window end (set by the detector).
    allowed = {("rotation_id", "int"), ("batch", "int"), ("alert_id", "int"),
               ("arrangement_id", "int"), ("rule_name", "str"), ("now", "str")}
    parameters = {(p.name, str(p.annotation)) for task in ours.values()
                  for p in inspect.signature(task.run).parameters.values()
                  if p.name != "self"}
    assert parameters <= allowed, parameters - allowed


def test_a_text_field_nobody_vetted_is_masked_next_to_a_vetted_one(staff):
    from bank.register_mock.models import (
        RegisterBrand,
        RegisterLegalEntity,
        RegisterSoftwareProduct,
    )

    client, _ = staff
    entity = RegisterLegalEntity.objects.create(legal_entity_name="Recipient Pty",
                                                logo_uri="https://r.example/logo.png")
    brand = RegisterBrand.objects.create(legal_entity=entity, brand_name="R",
                                         logo_uri="https://r.example/logo.png")
    app = RegisterSoftwareProduct.objects.create(
        brand=brand, client_name="Budget App", client_description="Budgets",
        client_uri="https://old.example/", logo_uri="https://r.example/logo.png",
        redirect_uris=["https://r.example/cb"], jwks_uri="https://r.example/jwks",
        revocation_uri="https://r.example/revoke", recipient_base_uri="https://r.example",
        scope="openid bank:accounts.basic:read")
    url = reverse("admin:register_mock_registersoftwareproduct_change", args=[app.pk])
    data = _form(client, url, "registersoftwareproduct_form", client_name="Budget App 2",
                 client_uri="https://new.example/")

    assert client.post(url, data).status_code == 302
    [event] = _events(*ADMIN_EVENTS)
    assert event.detail == {"changes": [
        {"field": "client_name", "before": "Budget App", "after": "Budget App 2"},
        {"field": "client_uri", "before": MASKED, "after": MASKED},
    ]}


def test_a_write_logged_without_a_form_is_still_recorded(staff, rf):
    """A custom path that calls log_change() with no form: the write is on record, and the
    event says what changed is unknown rather than claiming nothing did."""
    _, user = staff
    recipient = DataRecipient.objects.create(legal_entity_id="le-x", legal_entity_name="X")
    request = rf.post("/admin/")
    request.user = user

    admin.site._registry[DataRecipient].log_change(request, recipient, "changed by a script")

    [event] = _events(*ADMIN_EVENTS)
    assert (event.event_type, event.subject_id, event.actor_id) == (
        "ADMIN_OBJECT_CHANGED", str(recipient.pk), str(user.pk))
    assert event.detail == {"changes": [], "changes_unknown": True}


def test_an_object_added_in_the_console_records_what_was_set(staff):
    client, user = staff
    url = reverse("admin:recipients_datarecipient_add")
    data = _form(client, url, "datarecipient_form", legal_entity_id="le-added",
                 legal_entity_name="Added Co", status="ACTIVE")

    response = client.post(url, data)

    assert response.status_code == 302, response.content[:3000]
    recipient = DataRecipient.objects.get(legal_entity_id="le-added")
    [event] = _events(*ADMIN_EVENTS)
    assert (event.event_type, event.actor_type, event.actor_id) == (
        "ADMIN_OBJECT_ADDED", "staff", str(user.pk))
    assert (event.subject_type, event.subject_id) == ("recipients.datarecipient",
                                                      str(recipient.pk))
    changes = {change["field"]: change.get("after") for change in event.detail["changes"]}
    assert changes["legal_entity_name"] == "Added Co" and changes["legal_entity_id"] == "le-added"
