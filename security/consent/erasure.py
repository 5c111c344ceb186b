"""Erasing a customer: crypto-shredding their personal data (security/encryption/rotation.py).

The customer's rows stay (accounts they held jointly, transactions, arrangements, the audit
trail and every aggregate still add up), but their own key is destroyed in the key manager,
so names, contact details, addresses and date of birth are unreadable from then on, in the
live database and in every backup. Before that, whatever the customer shares stops: every
active arrangement is revoked (the recipients are told) and their logins are disabled.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import Customer
from security import audit
from security.consent.models import Arrangement, ArrangementStatus
from security.encryption.rotation import customer_keys_destroy
from security.oauth.tokens import arrangement_revoke_by_holder


@transaction.atomic
def customer_erase(*, customer: Customer, actor: audit.Actor) -> int:
    """Erase `customer`; the number of their keys destroyed. Irreversible."""
    for arrangement in Arrangement.objects.filter(customer=customer).exclude(
            status=ArrangementStatus.REVOKED):
        arrangement_revoke_by_holder(arrangement=arrangement, actor=actor)
    customer.users.update(is_active=False)
    return customer_keys_destroy(owner=customer.row_key, actor=actor,
                                 subject_id=str(customer.pk))
