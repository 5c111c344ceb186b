"""Regular payments as CDS 1.36.0 shapes them (cds_banking.json):

- BankingDirectDebit with BankingAuthorisedEntity (every direct debit endpoint and version);
- BankingScheduledPaymentV2 with BankingScheduledPaymentSetV2, BankingScheduledPaymentToV2,
  BankingScheduledPaymentFrom and BankingScheduledPaymentRecurrence (every scheduled payment
  endpoint and version: v2 of Get Scheduled Payments Bulk serves the same object as v3);
- BankingInstalmentPlan with BankingInstalmentPlanSchedule.

IDs come from the access context's ResourceIds. The `to` of a payment set names an account
or payee by ID only when the selector marked it as visible to this token (see
`transactions.payment_selectors._scheduled_payments`); otherwise it is shown inline.
"""

from __future__ import annotations

from typing import Any

from accounts import choices
from bank.api.formatting import amount_string, date_string, datetime_string, masked_pan, rate_string
from bank.api.serializers import CdrSerializer
from security.resource_ids import ResourceKind
from transactions.api.payee_serializers import payee_destination
from transactions.models import DirectDebit, InstalmentPlan, ScheduledPayment, ScheduledPaymentSet

clean = CdrSerializer.without_empty


#: The bank-derived name of a destination account the customer does not hold, when the
#: payment itself has no nickname: never the other customer's own name for their account.
UNSHARED_ACCOUNT_LABEL = "Bank account"


def _encode(serializer: CdrSerializer, kind: ResourceKind, pk: int) -> str:
    return serializer.context["ids"].encode(kind, pk)


class DirectDebitOutputSerializer(CdrSerializer):
    """BankingDirectDebit."""

    def to_representation(self, debit: DirectDebit) -> dict[str, Any]:
        return clean(
            {
                "accountId": _encode(self, ResourceKind.ACCOUNT, debit.account_id),
                # Required, even when every member is unknown.
                "authorisedEntity": clean(
                    {
                        "description": debit.authorised_entity_description,
                        "financialInstitution": debit.authorised_entity_financial_institution,
                        "abn": debit.authorised_entity_abn,
                        "acn": debit.authorised_entity_acn,
                        "arbn": debit.authorised_entity_arbn,
                    }
                ),
                "lastDebitDateTime": datetime_string(debit.last_debit_date_time),
                "lastDebitAmount": amount_string(debit.last_debit_amount),
            }
        )


class ScheduledPaymentOutputSerializer(CdrSerializer):
    """BankingScheduledPaymentV2."""

    def to_representation(self, payment: ScheduledPayment) -> dict[str, Any]:
        body = clean(
            {
                "scheduledPaymentId": _encode(
                    self, ResourceKind.SCHEDULED_PAYMENT, payment.pk
                ),
                "nickname": payment.nickname,
                "status": payment.status,
            }
        )
        # Both references are "Empty string if no data provided": sent even when empty.
        body["payerReference"] = payment.payer_reference
        body["payeeReference"] = payment.payee_reference
        body["from"] = {"accountId": _encode(self, ResourceKind.ACCOUNT, payment.from_account_id)}
        body["paymentSet"] = [self._payment_set(s) for s in payment.payment_set.all()]
        body["recurrence"] = _recurrence(payment)
        return body

    def _payment_set(self, payment_set: ScheduledPaymentSet) -> dict[str, Any]:
        """BankingScheduledPaymentSetV2."""
        return clean(
            {
                "to": self._to(payment_set),
                "isAmountCalculated": payment_set.is_amount_calculated,
                "amount": amount_string(payment_set.amount),
                "currency": payment_set.currency,
            }
        )

    def _to(self, payment_set: ScheduledPaymentSet) -> dict[str, Any]:
        """BankingScheduledPaymentToV2.

        - An account accessible under this arrangement: `accountId`.
        - Any other account (not selected by the customer, or not theirs, e.g. the other
          holder's account paid from a joint account): `accountId` is defined as "another
          account that is accessible under the current consent", and an ID would hand the
          recipient a stable handle on an account the customer chose not to share. The only
          other form the schema has for a bank account is an inline `domestic` payee, so the
          destination is shown as BankingDomesticPayeeAccount: BSB and account number (both
          required there), no account name, no balance, no ID. A destination without a BSB
          (a card account) is shown as BankingDomesticPayeeCard with the number masked.
        - A payee the token can read through Get Payee Detail: `payeeId`.
        - Any other payee (no bank:payees:read, or another holder's payee): the payee
          details inline, as the `payeeId` description asks.

        `nickname` is sent unless toUType is `payeeId` (its description).
        """
        reference = payment_set.payee_reference
        # A check constraint guarantees exactly one of to_account / to_payee, per toUType.
        account = payment_set.to_account
        if account is not None:
            nickname = payment_set.nickname or (
                account.nickname or account.display_name
                if payment_set.to_account_held  # type: ignore[attr-defined]
                else UNSHARED_ACCOUNT_LABEL
            )
            if payment_set.to_account_shared:  # type: ignore[attr-defined]
                return clean(
                    {
                        "toUType": "accountId",
                        "accountId": _encode(self, ResourceKind.ACCOUNT, account.pk),
                        "nickname": nickname,
                        "payeeReference": reference,
                    }
                )
            return clean(
                {
                    "toUType": "domestic",
                    "nickname": nickname,
                    "payeeReference": reference,
                    "domestic": _unshared_account(account),
                }
            )
        payee = payment_set.to_payee
        if payee is None:
            raise ValueError(f"payment set {payment_set.pk} has no destination")
        if payment_set.to_payee_shared:  # type: ignore[attr-defined]
            return clean(
                {
                    "toUType": "payeeId",
                    "payeeId": _encode(self, ResourceKind.PAYEE, payee.pk),
                    "payeeReference": reference,
                }
            )
        utype = payee.payee_utype
        return clean(
            {
                "toUType": utype,
                "nickname": payment_set.nickname or payee.nickname,
                "payeeReference": reference,
                utype: payee_destination(payee),
            }
        )


def _unshared_account(account: Any) -> dict[str, Any]:
    """BankingDomesticPayee for one of our accounts that is not in the arrangement."""
    if account.bsb:
        return {
            "payeeAccountUType": "account",
            "account": {"bsb": account.bsb, "accountNumber": account.account_number},
        }
    return {"payeeAccountUType": "card", "card": {"cardNumber": masked_pan(account.account_number)}}


def _recurrence(payment: ScheduledPayment) -> dict[str, Any]:
    """BankingScheduledPaymentRecurrence and the member its recurrenceUType names."""
    utype = choices.RecurrenceUType(payment.recurrence_utype)
    member: dict[str, Any]
    if utype == choices.RecurrenceUType.ONCE_OFF:
        member = {"paymentDate": date_string(payment.payment_date)}
    elif utype == choices.RecurrenceUType.INTERVAL_SCHEDULE:
        member = clean(
            {
                "finalPaymentDate": date_string(payment.final_payment_date),
                "paymentsRemaining": payment.payments_remaining,
                "nonBusinessDayTreatment": payment.non_business_day_treatment,
                "intervals": [
                    clean({"interval": i.get("interval"), "dayInInterval": i.get("dayInInterval")})
                    for i in payment.intervals
                ],
            }
        )
    elif utype == choices.RecurrenceUType.LAST_WEEK_DAY:
        member = clean(
            {
                "finalPaymentDate": date_string(payment.final_payment_date),
                "paymentsRemaining": payment.payments_remaining,
                "interval": payment.interval,
                "lastWeekDay": payment.last_week_day,
                "nonBusinessDayTreatment": payment.non_business_day_treatment,
            }
        )
    else:
        member = {"description": payment.event_description}
    return clean(
        {
            "nextPaymentDate": date_string(payment.next_payment_date),
            "recurrenceUType": utype.value,
            utype.value: member,
        }
    )


class InstalmentPlanOutputSerializer(CdrSerializer):
    """BankingInstalmentPlan."""

    def to_representation(self, plan: InstalmentPlan) -> dict[str, Any]:
        return clean(
            {
                "accountId": _encode(self, ResourceKind.ACCOUNT, plan.account_id),
                "planId": _encode(self, ResourceKind.INSTALMENT_PLAN, plan.pk),
                "planReference": plan.plan_reference,
                "merchantName": plan.merchant_name,
                "merchantCategoryCode": plan.merchant_category_code,
                "planNickname": plan.plan_nickname,
                "creationDate": date_string(plan.creation_date),
                "amount": amount_string(plan.amount),
                "planCurrency": plan.plan_currency,
                "planCharge": amount_string(plan.plan_charge),
                "planRate": rate_string(plan.plan_rate),
                "duration": plan.duration,
                "instalmentInterval": plan.instalment_interval,
                "schedule": [
                    {
                        "amountDue": amount_string(s.amount_due),
                        "dueDate": date_string(s.due_date),
                        "isPaid": s.is_paid,
                    }
                    for s in plan.schedule.all()
                ],
            }
        )
