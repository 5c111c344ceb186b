"""Each task, run eagerly twice in a row: the first run does its work, the second finds
nothing left to do and changes nothing (beat resends, brokers redeliver with acks_late, and
a retry repeats a run: none of it may count, delete, alert or audit twice).

The one exception is documented where it is tested: keys_age_check repeats its alert.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.demo.seeder import demo_data_delete, seed_run
from accounts.models import Account, Customer, User
from bank.celery import app
from bank.register_mock.models import RegisterSoftwareProduct
from security import audit
from security.consent import services as consent
from security.encryption import rotation
from security.encryption.models import DataKey, KeyRotation
from security.encryption.tasks import key_rotation_continue, key_rotations_resume, keys_age_check
from security.login.models import LoginThrottle, OneTimeCode
from security.login.services import identifier_digest
from security.login.tasks import login_records_purge
from security.models import AuditEvent
from security.oauth.models import UsedClientAssertion
from security.oauth.tasks import arrangement_revocation_notify, oauth_records_purge
from security.recipients.models import DataRecipient, SoftwareProduct
from security.recipients.tasks import recipient_statuses_refresh
from security.tasks import audit_seal_task
from tests.register.harness import dcr_register
from transactions.models import Transaction

pytestmark = pytest.mark.django_db
SYSTEM = audit.Actor.system("idempotence-test")


def _snapshot(*tables: type[models.Model]) -> dict[str, list[dict[str, Any]]]:
    return {table._meta.label: list(table.objects.order_by("pk").values()) for table in tables}


@pytest.fixture
def seeded_bank(db):
    """A small demo bank: rows under the field key for a rotation to re-encrypt."""
    demo_data_delete()
    seed_run(seed=7, as_of=timezone.now().date(), customers=0, transactions_per_account=2,
             brand="demo", brand_name="Demo Bank")


def test_audit_seal_seals_once(db):
    for n in range(3):
        audit.audit_record(actor=SYSTEM, event_type="THING_HAPPENED", detail={"n": n})
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 3

    assert audit_seal_task.delay().get() == 3
    sealed = _snapshot(AuditEvent)
    assert audit_seal_task.delay().get() == 0

    assert _snapshot(AuditEvent) == sealed
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()


def test_oauth_records_purge_purges_once(db):
    now = timezone.now()
    UsedClientAssertion.objects.create(client_id="c", jti="old", expires_at=now - timedelta(minutes=1))
    UsedClientAssertion.objects.create(client_id="c", jti="live", expires_at=now + timedelta(minutes=5))

    assert oauth_records_purge.delay().get()["client_assertions"] == 1
    after_first = _snapshot(UsedClientAssertion, AuditEvent)
    second = oauth_records_purge.delay().get()

    # Whatever it purges (the retention job adds to the list), nothing the second time.
    assert {"client_assertions", "authorizations_abandoned", "used_codes"} <= set(second)
    assert set(second.values()) == {0}, second
    assert _snapshot(UsedClientAssertion, AuditEvent) == after_first
    assert list(UsedClientAssertion.objects.values_list("jti", flat=True)) == ["live"]


def test_login_records_purge_purges_once(db):
    now = timezone.now()
    user = User.objects.create(username="idempotent.jane")
    OneTimeCode.objects.create(user=user, purpose="CDR_AUTHORISATION", binding="a",
                               code_digest="d", created_at=now - timedelta(days=2),
                               expires_at=now - timedelta(days=2) + timedelta(minutes=5))
    OneTimeCode.objects.create(user=user, purpose="CDR_AUTHORISATION", binding="b",
                               code_digest="d", created_at=now,
                               expires_at=now + timedelta(minutes=5))
    idle = LoginThrottle.objects.create(identifier_digest=identifier_digest("idle"), failures=2)
    LoginThrottle.objects.filter(pk=idle.pk).update(updated_at=now - timedelta(days=2))

    assert login_records_purge.delay().get() == {"one_time_codes": 1, "login_throttles": 1}
    after_first = _snapshot(OneTimeCode, LoginThrottle, AuditEvent)
    assert login_records_purge.delay().get() == {"one_time_codes": 0, "login_throttles": 0}

    assert _snapshot(OneTimeCode, LoginThrottle, AuditEvent) == after_first
    assert OneTimeCode.objects.get().binding == "b"


def test_key_rotation_continue_finishes_once(seeded_bank):
    old = DataKey.objects.get(purpose="FIELD", owner=None, state="ACTIVE").key_id
    job = rotation.dek_rotate(actor=SYSTEM)

    key_rotation_continue.delay(job.pk, 5)  # by id; slices of 5 rows, each queueing the next
    job.refresh_from_db()
    assert job.state == KeyRotation.State.DONE and job.rows_reencrypted > 0
    assert rotation.rows_using(old, purpose="FIELD") == 0
    after_first = _snapshot(KeyRotation, DataKey, Account, Transaction, AuditEvent)
    key_rotation_continue.delay(job.pk, 5)

    assert _snapshot(KeyRotation, DataKey, Account, Transaction, AuditEvent) == after_first
    assert AuditEvent.objects.filter(event_type="KEY_ROTATION_FINISHED").count() == 1


def test_key_rotations_resume_picks_up_a_running_rotation_once(seeded_bank):
    job = rotation.dek_rotate(actor=SYSTEM)  # RUNNING, nobody working on it (a lost worker)

    assert key_rotations_resume.delay().get() == 1  # eager: its key_rotation_continue ran too
    assert KeyRotation.objects.get(pk=job.pk).state == KeyRotation.State.DONE
    after_first = _snapshot(KeyRotation, DataKey, Account, AuditEvent)
    assert key_rotations_resume.delay().get() == 0

    assert _snapshot(KeyRotation, DataKey, Account, AuditEvent) == after_first


def test_keys_age_check_changes_no_key_and_repeats_its_alert_on_each_run(seeded_bank):
    """Not idempotent by design: the alert is a reminder, audited on every run (daily) until
    someone rotates the key. A redelivered run therefore audits it twice that day."""
    key = DataKey.objects.get(purpose="FIELD", owner=None, state="ACTIVE")
    DataKey.objects.filter(pk=key.pk).update(created_at=timezone.now() - timedelta(days=400))

    assert keys_age_check.delay().get() == [key.key_id]
    keys = _snapshot(DataKey)
    assert keys_age_check.delay().get() == [key.key_id]

    assert _snapshot(DataKey) == keys
    alerts = AuditEvent.objects.filter(event_type="KEY_AGE_EXCEEDED", subject_id=key.key_id)
    assert alerts.count() == 2
    assert settings.BANK_KEY_MAX_AGE_DAYS < 400


@pytest.fixture
def registered(recipient):
    dcr_register(recipient)
    return recipient


def test_recipient_statuses_refresh_applies_a_change_once(registered):
    RegisterSoftwareProduct.objects.filter(
        software_product_id=registered.software_id).update(status="INACTIVE")

    assert recipient_statuses_refresh.delay().get() == {"recipients_changed": 0,
                                                        "products_changed": 1}
    after_first = _snapshot(DataRecipient, SoftwareProduct, AuditEvent)
    assert recipient_statuses_refresh.delay().get() == {"recipients_changed": 0,
                                                        "products_changed": 0}

    assert _snapshot(DataRecipient, SoftwareProduct, AuditEvent) == after_first
    assert SoftwareProduct.objects.get(
        software_product_id=registered.software_id).status == "INACTIVE"


def test_revocation_notice_is_sent_for_revoked_arrangements_only(registered):
    """The notice itself is not idempotent (a second run posts it again; the recipient
    answers 422 for an arrangement it already dropped), so it is sent only when a revocation
    queues it; for anything else the task does nothing, however often it runs."""
    customer = Customer.objects.create(customer_type="person", last_update_time=timezone.now(),
                                       first_name="Jane", last_name="Citizen")
    user = User.objects.create(username="jane.notice", customer=customer)
    product = SoftwareProduct.objects.get(software_product_id=registered.software_id)
    arrangement = consent.arrangement_create(
        customer=customer, user=user, software_product=product,
        scopes=["common:customer.basic:read"], accounts=[],
        sharing_expires_at=timezone.now() + timedelta(days=30), actor=SYSTEM)
    registered.router.calls.clear()
    before = _snapshot(AuditEvent)

    for arrangement_id in (arrangement.pk, arrangement.pk, 10**9, 10**9):  # active; unknown
        arrangement_revocation_notify.delay(arrangement_id)

    assert registered.router.calls == []
    assert _snapshot(AuditEvent) == before


def test_every_scheduled_task_runs_twice_in_a_row_on_an_empty_bank(register_env):
    """Including those of the other jobs (metrics, detector, retention): no run fails because
    the one before it did the work."""
    app.loader.import_default_modules()  # autodiscovery, as a worker starts
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        task = app.tasks[entry["task"]]
        for _ in range(2):
            result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
            assert result.successful(), f"{name}: {result.result!r}"
