"""`manage.py keys` end to end, the Celery slices, and the encrypted fields on a real
PKCS#11 token (SoftHSM2): the same rows, with the KEK inside the HSM."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Account, Customer
from security.encryption import keyring
from security.encryption.models import DataKey, KeyRotation
from security.encryption.tasks import key_rotation_continue, key_rotations_resume
from security.kms import key_manager, key_manager_reset
from tests.kms.conftest import softhsm  # noqa: F401 - the SoftHSM2 token fixture

pytestmark = pytest.mark.django_db


def keys(*args: str) -> str:
    out = io.StringIO()
    call_command("keys", *args, stdout=out)
    return out.getvalue()


def test_status_rotate_retire(seeded_products):
    old = DataKey.objects.get(purpose="FIELD", state="ACTIVE").key_id
    status = keys("status", "--count-rows")
    assert old in status and "ACTIVE" in status and "Key manager: local" in status
    out = keys("rotate-dek", "--batch", "5")
    assert "Rotation done" in out
    new = DataKey.objects.get(purpose="FIELD", state="ACTIVE").key_id
    assert new != old and f"keys retire {old}" in out
    with pytest.raises(CommandError, match="rotated-out"):
        keys("retire", new)
    with pytest.raises(CommandError, match="after its rotation finished"):
        keys("retire", old)
    assert "Retired" in keys("retire", old, "--grace-seconds", "0")
    assert "RETIRED" in keys("status")
    keyring.keyring_forget()
    assert all(a.account_number for a in Account.objects.all())


def test_rotate_kek_and_check_age(seeded_products):
    assert "no row changed" in keys("rotate-kek")
    DataKey.objects.filter(purpose="FIELD").update(created_at=timezone.now() - timedelta(days=100))
    assert "1 key(s) past 90 days" in keys("check-age")


def test_celery_slices_finish_a_rotation(seeded_products):
    from security import audit
    from security.encryption.rotation import dek_rotate

    job = dek_rotate(actor=audit.Actor.system("test"))
    key_rotation_continue.delay(job.pk, 2).get()  # eager: slices queue each other
    assert KeyRotation.objects.get(pk=job.pk).state == "DONE"
    assert key_rotations_resume.delay().get() == 0


@pytest.mark.hsm
def test_encrypted_fields_with_the_kek_in_an_hsm(softhsm, settings):  # noqa: F811
    for name, value in softhsm.settings.items():
        setattr(settings, name, value)
    key_manager_reset()
    keyring.keyring_forget()
    try:
        customer = Customer.objects.create(customer_type="person", last_name="Hsm",
                                           last_update_time=timezone.now())
        key = DataKey.objects.get(owner=customer.row_key)
        assert key.kek_label in key_manager().kek_labels()
        assert key_manager().name == "pkcs11"
        keyring.keyring_forget()
        assert Customer.objects.get(pk=customer.pk).last_name == "Hsm"
    finally:
        key_manager_reset()
        keyring.keyring_forget()
