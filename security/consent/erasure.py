"""Erasing a customer: crypto-shredding their personal data (security/encryption/rotation.py).

The customer's row stays (accounts they held jointly, transactions, arrangements, the audit
trail and every aggregate still add up), but their own key is destroyed in the key manager.
In one transaction, before the key goes:

1. whatever the customer shares stops: every active arrangement is revoked (the recipients
   are told);
2. their logins are disabled and renamed;
3. the rows that exist only for them are deleted: contact details and addresses (with their
   blind indexes, which would still link an email to the customer, and their plain postcodes
   and street numbers);
4. their standing instructions are cancelled (deleted): every scheduled payment with a
   payment set to one of their saved payees, from whichever account, and every scheduled
   payment from an account no other customer holds (which only they can have set up). A
   payment set cannot lose its destination and stay the same instruction, so the whole
   scheduled payment goes, not one set of it; a joint holder then no longer sees it, and
   never meets a payee that cannot be decrypted (a 500 on Get Scheduled Payments);
5. their saved payees are deleted;
6. their key is destroyed (`customer_keys_destroy`: the KEK after the commit).

Audited: CUSTOMER_ERASED (keys destroyed) and PAYMENT_INSTRUCTIONS_DELETED (how many
payees, which scheduled payments). Irreversible.

Unreadable from then on, in the live database and in every backup taken since their columns
were sealed under the customer's key: names, date of birth, organisation details
(accounts/models/customers.py), contact rows, and saved payees (transactions.Payee, under the
customer's key since transactions migration 0005).

What stays readable, and why:

- the bank's record of payments: transactions on the accounts they held, with the other
  party's names, descriptions and references (bank key: record-keeping obligations outlive
  the customer, and joint holders see the same history);
- accounts they held (display names, nicknames, BSBs, account numbers), their direct debits
  and instalment plans (bank key: the accounts are the bank's and may be held jointly; erasure
  does not close them);
- scheduled payments that stay: those from a jointly held account to an account (not to one
  of their payees), and other customers' scheduled payments into their accounts (bank key:
  the other holders rely on them);
- the customer row's plain columns (type, occupation code, last update), the account-holder
  links, the revoked arrangements, the disabled users and the audit trail (pseudonymous ids);
- backups taken before the erasure still hold the deleted scheduled payments (their
  nicknames and references are under the bank key) and the deleted contacts and payees
  (unreadable once the key is gone, if taken after the sealing migrations); backups taken
  before transactions migration 0005 hold the payees under the bank's key, and backups taken
  before encryption was introduced hold plaintext: both must expire.
"""

from __future__ import annotations

import secrets

from django.apps import apps as django_apps
from django.apps.registry import Apps
from django.db import transaction
from django.db.models import Exists, OuterRef

from accounts.models import Customer
from security import audit
from security.consent.models import Arrangement, ArrangementStatus
from security.encryption.rotation import customer_keys_destroy
from security.oauth.tokens import arrangement_revoke_by_holder

PAYMENT_INSTRUCTIONS_DELETED = "PAYMENT_INSTRUCTIONS_DELETED"


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
    payment_instructions_delete(customer_pk=customer.pk, actor=actor)
    return customer_keys_destroy(owner=customer.row_key, actor=actor,
                                 subject_id=str(customer.pk))


def payment_instructions_delete(*, customer_pk: int, actor: audit.Actor,
                                registry: Apps = django_apps) -> tuple[int, int]:
    """Delete the customer's standing instructions and saved payees (steps 4 and 5 of the
    module docstring), audited; (payees, scheduled payments) deleted.

    `registry` gives the models: the project's, or a migration's historical ones (transactions
    migration 0005 applies the same rule to customers erased before it)."""
    scheduled_payment = registry.get_model("transactions", "ScheduledPayment")
    payment_set = registry.get_model("transactions", "ScheduledPaymentSet")
    payee = registry.get_model("transactions", "Payee")
    holders = registry.get_model("accounts", "AccountHolder").objects.filter(
        account=OuterRef("from_account_id"))
    to_their_payee = Exists(payment_set.objects.filter(
        scheduled_payment=OuterRef("pk"), to_payee__customer_id=customer_pk))
    from_their_own_account = (Exists(holders.filter(customer_id=customer_pk))
                              & ~Exists(holders.exclude(customer_id=customer_pk)))
    payments = list(
        scheduled_payment.objects.select_for_update()
        .filter(to_their_payee | from_their_own_account)
        .order_by("pk").values_list("pk", flat=True)
    )
    scheduled_payment.objects.filter(pk__in=payments).delete()  # their sets cascade
    # ScheduledPaymentSet.to_payee is PROTECT: a set written to one of these payees in the
    # meantime makes the erasure fail (and roll back) rather than leave it dangling.
    _, deleted = payee.objects.filter(customer_id=customer_pk).delete()
    payees = deleted.get(payee._meta.label, 0)
    audit.audit_record(actor=actor, event_type=PAYMENT_INSTRUCTIONS_DELETED,
                       subject_type="customer", subject_id=str(customer_pk),
                       detail={"payees_deleted": payees,
                               "scheduled_payments_deleted": payments})
    return payees, len(payments)
