"""Payees as CDS 1.36.0 shapes them (cds_banking.json):

- BankingPayeeV2 (Get Payees v2);
- BankingPayeeDetailV2 (Get Payee Detail v2): the payee plus `payeeUType` and one of
  BankingBillerPayee, BankingDomesticPayee, BankingDigitalWalletPayee,
  BankingInternationalPayee.

`payee_destination` renders that member on its own: scheduled payments reuse it for a
destination they show inline (BankingScheduledPaymentToV2 takes the same four schemas).
"""

from __future__ import annotations

import re
from typing import Any

from accounts import choices
from bank.api.formatting import date_string, masked_pan
from bank.api.serializers import CdrSerializer
from security.resource_ids import ResourceKind
from transactions.models import Payee

clean = CdrSerializer.without_empty

# A card number: 13 to 19 digits, optionally grouped by spaces or dashes.
_PAN = re.compile(r"\d(?:[ -]?\d){12,18}")


class PayeeOutputSerializer(CdrSerializer):
    """BankingPayeeV2."""

    def to_representation(self, payee: Payee) -> dict[str, Any]:
        return clean(
            {
                "payeeId": self.context["ids"].encode(ResourceKind.PAYEE, payee.pk),
                "nickname": payee.nickname,
                "description": payee.description,
                "type": payee.payee_type,
                "creationDate": date_string(payee.creation_date),
            }
        )


class PayeeDetailOutputSerializer(PayeeOutputSerializer):
    """BankingPayeeDetailV2: BankingPayeeV2 and the member named by `payeeUType`."""

    def to_representation(self, payee: Payee) -> dict[str, Any]:
        body = super().to_representation(payee)
        body["payeeUType"] = payee.payee_utype
        body[payee.payee_utype] = payee_destination(payee)
        return body


def payee_destination(payee: Payee) -> dict[str, Any]:
    """The `biller` / `domestic` / `digitalWallet` / `international` object of a payee."""
    payee_type = choices.PayeeType(payee.payee_type)
    if payee_type == choices.PayeeType.BILLER:
        return _biller(payee)
    if payee_type == choices.PayeeType.DOMESTIC:
        return _domestic(payee)
    if payee_type == choices.PayeeType.DIGITAL_WALLET:
        return {
            "name": payee.wallet_name,
            "identifier": payee.wallet_identifier,
            "type": payee.wallet_type,
            "provider": payee.wallet_provider,
        }
    return _international(payee)


def _biller(payee: Payee) -> dict[str, Any]:
    """BankingBillerPayee. A CRN shaped like a card number leaves masked as a
    MaskedPANString, as the `crn` description requires."""
    crn = payee.biller_crn
    if crn and _PAN.fullmatch(crn):
        crn = masked_pan(crn)
    return clean({"billerCode": payee.biller_code, "crn": crn, "billerName": payee.biller_name})


def _domestic(payee: Payee) -> dict[str, Any]:
    """BankingDomesticPayee: account (bsb + accountNumber required), card (masked PAN) or
    payId (identifier + type required)."""
    utype = payee.domestic_account_utype
    if utype == choices.DomesticPayeeAccountUType.ACCOUNT:
        member = clean(
            {
                "accountName": payee.domestic_account_name,
                "bsb": payee.domestic_bsb,
                "accountNumber": payee.domestic_account_number,
            }
        )
    elif utype == choices.DomesticPayeeAccountUType.CARD:
        # BankingDomesticPayeeCard.cardNumber is a MaskedPANString: the PAN never leaves whole.
        member = {"cardNumber": masked_pan(payee.domestic_card_number)}
    else:
        member = clean(
            {
                "name": payee.domestic_payid_name,
                "identifier": payee.domestic_payid_identifier,
                "type": payee.domestic_payid_type,
            }
        )
    return {"payeeAccountUType": utype, utype: member}


def _international(payee: Payee) -> dict[str, Any]:
    """BankingInternationalPayee: beneficiaryDetails and bankDetails (both required)."""
    bank_details = clean(
        {
            "country": payee.international_bank_country,
            "accountNumber": payee.international_account_number,
            "beneficiaryBankBIC": payee.international_bic,
            "fedWireNumber": payee.international_fed_wire_number,
            "sortCode": payee.international_sort_code,
            "chipNumber": payee.international_chip_number,
            "routingNumber": payee.international_routing_number,
            "legalEntityIdentifier": payee.international_legal_entity_identifier,
        }
    )
    # bankAddress requires both name and address: sent whole or not at all.
    if payee.international_bank_address_name and payee.international_bank_address:
        bank_details["bankAddress"] = {
            "name": payee.international_bank_address_name,
            "address": payee.international_bank_address,
        }
    return {
        "beneficiaryDetails": clean(
            {
                "name": payee.international_beneficiary_name,
                "country": payee.international_beneficiary_country,
                "message": payee.international_beneficiary_message,
            }
        ),
        "bankDetails": bank_details,
    }
