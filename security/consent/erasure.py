"""Erasing a customer: crypto-shredding their personal data (security/encryption/rotation.py).

The customer's row stays (accounts they held jointly, transactions, arrangements, the audit
trail and every aggregate still add up), but their own key is destroyed in the key manager,
so names, date of birth and organisation details are unreadable from then on, in the live
database and in every backup taken since the encryption. Before that, whatever the customer
shares stops (every active arrangement revoked, the recipients told), their logins are
disabled and renamed, and the rows that exist only for them are deleted: contact details and
addresses (with their blind indexes, which would still link an email to the customer, and
their plain postcode and street numbers).

What stays readable, by design or for now: transactions (the other party's names in them are
the bank's record of payments, shared with joint holders), the bank-key fields of accounts
they held, and their saved payees (encrypted under the bank's key and referenced by
scheduled payments: moving them to the customer's key is follow-up work). Backups taken
before encryption was introduced hold plaintext and must expire.
"""

from __future__ import annotations

import secrets

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
    for user in customer.users.all():
        user.username = f"erased-{customer.pk}-{secrets.token_hex(4)}"
        user.email = ""
        user.first_name = user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
    customer.phone_numbers.all().delete()
    customer.email_addresses.all().delete()
    customer.physical_addresses.all().delete()
    return customer_keys_destroy(owner=customer.row_key, actor=actor,
                                 subject_id=str(customer.pk))
