"""The staff console's views: masked personal data, blind-index search, and each write
(revoke, suspend, lock, rotate, verify) open to exactly the permission that names it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse
from oauth2_provider.models import AccessToken, Application, RefreshToken

from accounts.models import Customer, User
from security.consent.models import Arrangement
from security.encryption.fields import BlindIndexField
from security.models import AuditEvent
from security.oauth.models import ClientRegistration
from tests.staff_views.conftest import ACCOUNT_NUMBER, SECRETS

pytestmark = pytest.mark.django_db

SUPPORT = ("accounts.view_customer", "accounts.view_account", "transactions.view_transaction",
           "consent.view_arrangement", "recipients.view_datarecipient",
           "recipients.view_softwareproduct", "oauth.view_clientregistration")


def _events(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def _action(client: Any, url: str, action: str, pks: list[Any], **extra: str) -> Any:
    return client.post(url, {"action": action, "_selected_action": [str(p) for p in pks],
                             **extra})


# --- masking ---------------------------------------------------------------------------------


def test_support_sees_no_plaintext_on_any_list_or_detail_page(staff_with, seeded):
    client, _ = staff_with(*SUPPORT)
    pages = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if not model_admin.has_view_permission(_fake_request(client), None):
            continue
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        for obj in model._default_manager.all()[:5]:
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change",
                                 args=[obj.pk]))
    assert len(pages) > 10
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for secret in SECRETS:
            assert secret not in page, (url, secret)
    detail = client.get(reverse("admin:accounts_account_change",
                                args=[seeded["account"].pk])).content.decode()
    assert "•••• 5432" in detail  # the safe partial of the account number
    assert "Unmask" not in detail


def _fake_request(client: Any) -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=client.session["_auth_user_id"])
    return request


def test_unmask_link_only_for_staff_with_the_unmask_permission(staff_with, seeded):
    url = reverse("admin:accounts_customer_change", args=[seeded["customer"].pk])
    without, _ = staff_with("accounts.view_customer")
    with_unmask, _ = staff_with("accounts.view_customer", "staff.unmask_sensitive_data")

    assert "Unmask" not in without.get(url).content.decode()
    page = with_unmask.get(url).content.decode()
    expected = reverse("staff:unmask", kwargs={"model": "accounts.customer",
                                               "pk": seeded["customer"].pk,
                                               "field": "last_name"})
    assert f'href="{expected}"' in page
    for secret in ("Matilda", "Wormwood"):
        assert secret not in page


def test_no_admin_form_has_an_encrypted_blind_index_or_audit_column():
    superuser = User(is_superuser=True, is_staff=True, is_active=True)
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = superuser
    offending = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower in {"security.auditevent", "encryption.datakey",
                                       "encryption.keyrotation"}:
            assert not model_admin.has_change_permission(request)
            assert not model_admin.has_add_permission(request)
            assert not model_admin.has_delete_permission(request)
        if not (model_admin.has_add_permission(request)
                or model_admin.has_change_permission(request)):
            continue
        form = model_admin.get_form(request)
        for name in form.base_fields:
            try:
                field = model._meta.get_field(name)
            except Exception:  # noqa: S112 - a form-only field is no column
                continue
            # Ciphertext never reaches a form: the blind indexes, wrapped keys and row keys
            # (the encryption's associated data) are not fields staff can post.
            if isinstance(field, BlindIndexField | models.BinaryField) or name == "row_key":
                offending.append(f"{model._meta.label}.{name}")
    assert offending == []


def test_token_admins_are_gone_and_applications_are_read_only(staff_with):
    for model in (AccessToken, RefreshToken):
        assert not admin.site.is_registered(model)
    superuser = User.objects.create_superuser("root", password="a-long-admin-password-1")
    from tests.staff_views.conftest import console_client

    client = console_client(superuser)
    assert client.get(reverse("admin:oauth2_provider_application_add")).status_code == 403


# --- blind-index search ----------------------------------------------------------------------


def test_customer_search_by_email_finds_exactly_that_customer(staff_with, seeded):
    client, _ = staff_with("accounts.view_customer")
    url = reverse("admin:accounts_customer_changelist")
    found = client.get(url, {"q": "  matilda.w@EXAMPLE.com "}).context["cl"].result_list
    assert [c.pk for c in found] == [seeded["customer"].pk]
    assert list(client.get(url, {"q": "matilda@example.com"}).context["cl"].result_list) == []
    # A fragment finds nothing: no LIKE over ciphertext.
    assert list(client.get(url, {"q": "Wormwood"}).context["cl"].result_list) == []


def test_account_and_transaction_search_by_account_number(staff_with, seeded):
    client, _ = staff_with("accounts.view_account", "transactions.view_transaction")
    url = reverse("admin:accounts_account_changelist")
    found = client.get(url, {"q": ACCOUNT_NUMBER}).context["cl"].result_list
    assert [a.pk for a in found] == [seeded["account"].pk]
    assert list(client.get(url, {"q": ACCOUNT_NUMBER[:6]}).context["cl"].result_list) == []
    response = client.get(reverse("admin:transactions_transaction_changelist"),
                          {"q": ACCOUNT_NUMBER})
    assert response.status_code == 200


# --- revoke a client -------------------------------------------------------------------------


def test_revoke_client_needs_its_permission_confirms_then_ends_registration_and_tokens(
        staff_with, seeded):
    url = reverse("admin:oauth_clientregistration_changelist")
    registration = seeded["registration"]
    viewer, _ = staff_with("oauth.view_clientregistration")
    assert "revoke" not in viewer.get(url).context["cl"].model_admin.get_actions(
        viewer.get(url).wsgi_request)
    _action(viewer, url, "revoke", [registration.pk], confirm="yes")
    assert ClientRegistration.objects.get(pk=registration.pk).status == "ACTIVE"

    security, user = staff_with("oauth.view_clientregistration",
                                "oauth.revoke_clientregistration")
    page = _action(security, url, "revoke", [registration.pk])
    assert page.status_code == 200
    assert b'id="confirm-form"' in page.content
    assert ClientRegistration.objects.get(pk=registration.pk).status == "ACTIVE"

    done = _action(security, url, "revoke", [registration.pk], confirm="yes")

    assert done.status_code == 302
    assert ClientRegistration.objects.get(pk=registration.pk).status == "DELETED"
    application = Application.objects.get(pk=registration.application_id)
    assert not AccessToken.objects.filter(application=application).exists()
    assert not RefreshToken.objects.filter(application=application).exists()
    [event] = _events("CLIENT_REGISTRATION_DELETED")
    assert (event.actor_type, event.actor_id, event.subject_id) == (
        "staff", str(user.pk), str(registration.pk))
    assert "at-secret-1" not in str(event.detail)


# --- revoke an arrangement -------------------------------------------------------------------


def test_revoke_arrangement_needs_its_permission_and_confirmation(staff_with, seeded,
                                                                  django_capture_on_commit_callbacks):
    url = reverse("admin:consent_arrangement_changelist")
    arrangement = seeded["arrangement"]
    viewer, _ = staff_with("consent.view_arrangement")
    _action(viewer, url, "revoke", [arrangement.pk], confirm="yes")
    assert Arrangement.objects.get(pk=arrangement.pk).status == "ACTIVE"

    security, user = staff_with("consent.view_arrangement", "consent.revoke_arrangement")
    assert b'id="confirm-form"' in _action(security, url, "revoke", [arrangement.pk]).content
    assert Arrangement.objects.get(pk=arrangement.pk).status == "ACTIVE"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        done = _action(security, url, "revoke", [arrangement.pk], confirm="yes")

    assert done.status_code == 302
    assert Arrangement.objects.get(pk=arrangement.pk).status == "REVOKED"
    assert callbacks  # the recipient's notification is queued after commit
    [event] = _events("ARRANGEMENT_REVOKED")
    assert (event.actor_type, event.actor_id) == ("staff", str(user.pk))


# --- suspend / reactivate a software product ---------------------------------------------------


def test_suspend_and_reactivate_a_software_product_locally(staff_with, seeded):
    url = reverse("admin:recipients_softwareproduct_changelist")
    software = seeded["software"]
    viewer, _ = staff_with("recipients.view_softwareproduct")
    _action(viewer, url, "suspend", [software.pk])
    software.refresh_from_db()
    assert software.is_active

    security, user = staff_with("recipients.view_softwareproduct",
                                "recipients.suspend_softwareproduct")
    assert _action(security, url, "suspend", [software.pk]).status_code == 302
    software.refresh_from_db()
    assert software.suspended_locally and not software.is_active
    assert software.status == "ACTIVE"  # the Register's status is untouched
    _action(security, url, "reactivate", [software.pk])
    software.refresh_from_db()
    assert software.is_active
    assert [(e.event_type, e.actor_id, e.software_product_id) for e in
            AuditEvent.objects.filter(event_type__startswith="SOFTWARE_PRODUCT_")
            .exclude(event_type="SOFTWARE_PRODUCT_RECORDED").order_by("id")] == [
        ("SOFTWARE_PRODUCT_SUSPENDED", str(user.pk), "sp-1"),
        ("SOFTWARE_PRODUCT_REACTIVATED", str(user.pk), "sp-1"),
    ]


# --- lock / unlock a customer's login ----------------------------------------------------------


def test_lock_and_unlock_a_customers_login(staff_with, seeded):
    url = reverse("admin:accounts_customer_changelist")
    customer, login = seeded["customer"], seeded["login"]
    viewer, _ = staff_with("accounts.view_customer")
    _action(viewer, url, "lock_logins", [customer.pk])
    assert User.objects.get(pk=login.pk).is_active

    security, user = staff_with("accounts.view_customer", "accounts.lock_customer")
    assert _action(security, url, "lock_logins", [customer.pk]).status_code == 302
    assert not User.objects.get(pk=login.pk).is_active
    from django.contrib.auth import authenticate

    assert authenticate(None, username="matilda-login", password="a-customer-password-1") is None
    _action(security, url, "unlock_logins", [customer.pk])
    assert User.objects.get(pk=login.pk).is_active
    assert [(e.event_type, e.actor_id, e.subject_id, e.detail) for e in AuditEvent.objects
            .filter(event_type__startswith="CUSTOMER_LOGIN_").order_by("id")] == [
        ("CUSTOMER_LOGIN_LOCKED", str(user.pk), str(customer.pk), {"logins": [login.pk]}),
        ("CUSTOMER_LOGIN_UNLOCKED", str(user.pk), str(customer.pk), {"logins": [login.pk]}),
    ]
    assert Customer.objects.count() == 2


# --- audit chain -------------------------------------------------------------------------------


def test_audit_chain_controls_only_with_the_verify_permission(staff_with, seeded):
    verify = reverse("admin:security_auditevent_verify")
    changelist = reverse("admin:security_auditevent_changelist")
    viewer, _ = staff_with("security.view_auditevent")
    assert b"verify-chain-link" not in viewer.get(changelist).content
    assert viewer.get(verify).status_code == 403
    assert viewer.post(verify).status_code == 403

    security, user = staff_with("security.view_auditevent", "security.verify_audit_chain")
    assert b"verify-chain-link" in security.get(changelist).content
    page = security.post(verify)
    assert page.status_code == 200
    assert b'id="chain-status"' in page.content
    assert page["Cache-Control"] == "no-store"
    [event] = _events("AUDIT_CHAIN_VERIFIED")
    assert event.actor_id == str(user.pk)


def test_audit_events_filter_by_interaction_id_and_actor(staff_with):
    from security.audit import Actor, ActorType, audit_record

    audit_record(actor=Actor(ActorType.STAFF, "77"), event_type="THING_DONE")
    audit_record(actor=Actor(ActorType.STAFF, "78"), event_type="THING_DONE")
    client, _ = staff_with("security.view_auditevent")
    url = reverse("admin:security_auditevent_changelist")
    rows = client.get(url, {"actor_id": "77"}).context["cl"].result_list
    assert [e.actor_id for e in rows] == ["77"]
    rows = client.get(url, {"actor_id": "77", "event_type": "OTHER"}).context["cl"].result_list
    assert list(rows) == []


# --- keys --------------------------------------------------------------------------------------


def test_rotate_keys_needs_its_permission_and_is_audited(staff_with, seeded):
    from security.encryption.models import DataKey, KeyRotation

    key = DataKey.objects.get(purpose="FIELD", state="ACTIVE")
    url = reverse("admin:encryption_datakey_changelist")
    viewer, _ = staff_with("encryption.view_datakey")
    _action(viewer, url, "rotate", [key.pk])
    assert not KeyRotation.objects.exists()

    custodian, user = staff_with("encryption.view_datakey", "encryption.rotate_keys")
    assert _action(custodian, url, "rotate", [key.pk]).status_code == 302
    rotation = KeyRotation.objects.get()
    assert rotation.old_key_id == key.key_id
    [event] = _events("KEY_ROTATED")
    assert (event.actor_type, event.actor_id) == ("staff", str(user.pk))


def test_celery_schedules_are_read_only_for_non_administrators(staff_with):
    client, _ = staff_with("django_celery_beat.view_periodictask",
                           "django_celery_beat.change_periodictask",
                           "django_celery_beat.add_periodictask")
    assert client.get(reverse("admin:django_celery_beat_periodictask_add")).status_code == 403


def test_customer_change_page_posts_fewer_fields_than_the_upload_limit(seeded):
    customer = seeded["customer"]
    for i in range(5):
        customer.phone_numbers.create(purpose="HOME", number=f"04001112{i}",
                                      full_number=f"tel:+61-400-111-2{i}")
        customer.physical_addresses.create(purpose="MAIL", address_utype="simple",
                                  address_line1=f"{i} Lane", city="Sydney", state="NSW")
    superuser = User.objects.create_superuser("root2", password="a-long-admin-password-1")
    from tests.staff_views.conftest import console_client

    page = console_client(superuser).get(
        reverse("admin:accounts_customer_change", args=[customer.pk])).content.decode()
    import re

    names = set(re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', page))
    assert len([n for n in names if "__prefix__" not in n]) < 100
    # Not even a superuser sees or edits personal data on the page: only the unmask view.
    for secret in SECRETS:
        assert secret not in page
    assert 'name="last_name"' not in page and "email_addresses-0-address" not in page


# --- searches through blind indexes: limited, audited, never the term -------------------------


def _search_events():
    from security.models import AuditEvent

    return list(AuditEvent.objects.filter(
        event_type__in=("STAFF_SEARCH_RUN", "STAFF_SEARCH_REFUSED")).order_by("id"))


def test_each_blind_index_search_is_audited_without_its_term(staff_with, seeded):
    from transactions.models import Transaction

    client, user = staff_with("accounts.view_customer", "accounts.view_account",
                              "transactions.view_transaction")
    client.get(reverse("admin:accounts_customer_changelist"), {"q": "matilda.w@example.com"})
    client.get(reverse("admin:accounts_customer_changelist"), {"q": "nobody@example.com"})
    client.get(reverse("admin:accounts_account_changelist"), {"q": ACCOUNT_NUMBER})
    client.get(reverse("admin:transactions_transaction_changelist"), {"q": ACCOUNT_NUMBER})
    events = _search_events()
    assert [(e.event_type, e.subject_type, e.detail) for e in events] == [
        ("STAFF_SEARCH_RUN", "accounts.customer", {"kind": "email", "matched": True}),
        ("STAFF_SEARCH_RUN", "accounts.customer", {"kind": "email", "matched": False}),
        ("STAFF_SEARCH_RUN", "accounts.account", {"kind": "account_number", "matched": True}),
        ("STAFF_SEARCH_RUN", "transactions.transaction",
         {"kind": "account_number",
          "matched": Transaction.objects.filter(account=seeded["account"]).exists()}),
    ]
    assert all(e.actor_id == str(user.pk) for e in events)
    for event in events:
        assert "matilda" not in str(event.detail).lower()
        assert ACCOUNT_NUMBER not in str(event.detail)


def test_short_terms_and_too_many_searches_are_refused(staff_with, seeded, settings):
    client, _ = staff_with("accounts.view_customer")
    url = reverse("admin:accounts_customer_changelist")
    assert list(client.get(url, {"q": "a@b.c"}).context["cl"].result_list) == []
    settings.BANK_RATE_LIMIT_MULTIPLIER = 1
    settings.BANK_STAFF_SEARCH_PER_USER = ("1/h", 1)
    assert len(client.get(url, {"q": "matilda.w@example.com"}).context["cl"].result_list) == 1
    assert list(client.get(url, {"q": "matilda.w@example.com"}).context["cl"].result_list) == []
    assert [(e.event_type, e.detail.get("reason")) for e in _search_events()] == [
        ("STAFF_SEARCH_REFUSED", "too_short"), ("STAFF_SEARCH_RUN", None),
        ("STAFF_SEARCH_REFUSED", "rate_limited")]


def test_a_recipient_is_suspended_and_reactivated_through_all_its_products(staff_with, seeded):
    url = reverse("admin:recipients_datarecipient_changelist")
    software = seeded["software"]
    recipient = software.recipient
    viewer, _ = staff_with("recipients.view_datarecipient")
    _action(viewer, url, "suspend", [recipient.pk])
    software.refresh_from_db()
    assert software.is_active

    security, _ = staff_with("recipients.view_datarecipient",
                             "recipients.suspend_softwareproduct")
    assert _action(security, url, "suspend", [recipient.pk]).status_code == 302
    software.refresh_from_db()
    assert software.suspended_locally and not software.is_active
    _action(security, url, "reactivate", [recipient.pk])
    software.refresh_from_db()
    assert software.is_active
    assert list(AuditEvent.objects.filter(event_type__in=(
        "SOFTWARE_PRODUCT_SUSPENDED", "SOFTWARE_PRODUCT_REACTIVATED")).order_by("id")
        .values_list("event_type", flat=True)) == [
        "SOFTWARE_PRODUCT_SUSPENDED", "SOFTWARE_PRODUCT_REACTIVATED"]
