"""Accounts and balances as CDS 1.36.0 shapes them (cds_banking.json).

- BankingAccountV3 (Get Accounts v3) / BankingAccountV2 (v2, until 2026-12-07);
- BankingAccountDetailV5 (Get Account Detail v5) / V4 (until 2026-12-07);
- BankingBalance (all balance endpoints).

IDs come from the access context's ResourceIds: the serializer never sees a database key
leave. Account numbers leave only masked here, and in full only in the detail body, which
only the bank:accounts.detail:read scope reaches.
"""

from __future__ import annotations

from typing import Any

from accounts.api.account_access import legacy_category
from accounts.api.customer_serializers import address_representation
from accounts.api.product_serializers import (
    deposit_rate_representation,
    fee_representation,
    instalments_representation,
    lending_rate_representation,
)
from bank.api.formatting import amount_string, date_string, masked_account_number, rate_string
from bank.api.serializers import CdrSerializer
from security.resource_ids import ResourceKind

clean = CdrSerializer.without_empty
EXTRA_DOWN_PAYMENT = "EXTRA_DOWN_PAYMENT"


def account_id(serializer: CdrSerializer, pk: int) -> str:
    return serializer.context["ids"].encode(ResourceKind.ACCOUNT, pk)


class AccountOutputSerializer(CdrSerializer):
    """BankingAccountV3 (v3) or BankingAccountV2 (v2)."""

    def to_representation(self, account: Any) -> dict[str, Any]:
        # The view says which shape: 1.35.0 (Accounts v3, Detail v5) or older (v2, v4).
        current = self.context["current_shape"]
        body = {
            "accountId": account_id(self, account.pk),
            "creationDate": date_string(account.creation_date),
            "displayName": account.display_name,
            "nickname": account.nickname,
            "openStatus": account.open_status,
            "isOwned": bool(account.is_owned),
            "accountOwnership": account.ownership,
            "maskedNumber": masked_account_number(account.bsb, account.account_number),
            "productCategory": (
                account.product.category if current else legacy_category(account.product.category)
            ),
            "productName": account.product.name,
        }
        if current:
            # CDS 1.35.0 (Accounts v3, Detail v5) added the instalment flag.
            body["isInstalmentDetailAvailable"] = _has_instalments(account)
        return clean(body)


def _has_instalments(account: Any) -> bool:
    return account.product.instalments_min_split is not None


class AccountDetailOutputSerializer(AccountOutputSerializer):
    """BankingAccountDetailV5 (v5) or V4 (v4): the account, its numbers and its terms."""

    def to_representation(self, account: Any) -> dict[str, Any]:
        body = super().to_representation(account)
        current = self.context["current_shape"]
        body.update(
            clean(
                {
                    "bsb": account.bsb,
                    "accountNumber": account.account_number,
                    "bundleName": account.bundle_name,
                    "depositRate": rate_string(account.deposit_rate),
                    "lendingRate": rate_string(account.lending_rate),
                }
            )
        )
        specific = _specific_account(self, account)
        if specific:
            body.update(specific)
        if current:
            instalments = instalments_representation(account.product)
            if instalments is not None:
                body["instalments"] = instalments
        product = account.product
        body["depositRates"] = [deposit_rate_representation(r) for r in product.deposit_rates.all()]
        body["lendingRates"] = [lending_rate_representation(r) for r in product.lending_rates.all()]
        body["features"] = [_feature(f, current) for f in account.features.all()]
        body["fees"] = [fee_representation(f) for f in product.fees.all()]
        body["addresses"] = [address_representation(a) for a in self.context["addresses"]]
        return body


def _feature(feature: Any, current: bool) -> dict[str, Any]:
    """BankingProductFeatureV4 + isActivated (v5); V3 + isActivated (v4)."""
    feature_type, info = feature.feature_type, feature.additional_info
    if not current and feature_type == EXTRA_DOWN_PAYMENT:
        # Not a V3 feature type (it arrived with 1.35.0): OTHER, with the name in the info.
        feature_type, info = "OTHER", info or "Extra down payment"
    return clean(
        {
            "featureType": feature_type,
            "additionalValue": feature.additional_value,
            "additionalInfo": info,
            "additionalInfoUri": feature.additional_info_uri,
            "isActivated": feature.is_activated,
        }
    )


def _specific_account(serializer: CdrSerializer, account: Any) -> dict[str, Any]:
    """specificAccountUType and its member: termDeposit, creditCard or loan."""
    deposits = list(account.term_deposits.all())
    if deposits:
        return {
            "specificAccountUType": "termDeposit",
            "termDeposit": [
                clean(
                    {
                        "lodgementDate": date_string(d.lodgement_date),
                        "maturityDate": date_string(d.maturity_date),
                        "maturityAmount": amount_string(d.maturity_amount),
                        "maturityCurrency": d.maturity_currency,
                        "maturityInstructions": d.maturity_instructions,
                    }
                )
                for d in deposits
            ],
        }
    card = getattr(account, "credit_card", None)
    if card is not None:
        return {
            "specificAccountUType": "creditCard",
            "creditCard": clean(
                {
                    "minPaymentAmount": amount_string(card.min_payment_amount),
                    "paymentDueAmount": amount_string(card.payment_due_amount),
                    "paymentCurrency": card.payment_currency,
                    "paymentDueDate": date_string(card.payment_due_date),
                }
            ),
        }
    loan = getattr(account, "loan", None)
    if loan is not None:
        visible = serializer.context["visible_account_ids"]
        return {
            "specificAccountUType": "loan",
            "loan": clean(
                {
                    "originalStartDate": date_string(loan.original_start_date),
                    "originalLoanAmount": amount_string(loan.original_loan_amount),
                    "originalLoanCurrency": loan.original_loan_currency,
                    "loanEndDate": date_string(loan.loan_end_date),
                    "nextInstalmentDate": date_string(loan.next_instalment_date),
                    "minInstalmentAmount": amount_string(loan.min_instalment_amount),
                    "minInstalmentCurrency": loan.min_instalment_currency,
                    "maxRedraw": amount_string(loan.max_redraw),
                    "maxRedrawCurrency": loan.max_redraw_currency,
                    "minRedraw": amount_string(loan.min_redraw),
                    "minRedrawCurrency": loan.min_redraw_currency,
                    "offsetAccountEnabled": loan.offset_account_enabled,
                    # Only offset accounts shared in this arrangement: the ID of an account
                    # the customer did not share is not this recipient's to know.
                    "offsetAccountIds": [
                        account_id(serializer, o.pk)
                        for o in loan.offset_accounts.all()
                        if o.pk in visible
                    ],
                    "repaymentType": loan.repayment_type,
                    "repaymentFrequency": loan.repayment_frequency,
                }
            ),
        }
    return {}


class BalanceOutputSerializer(CdrSerializer):
    """BankingBalance"""

    def to_representation(self, balance: Any) -> dict[str, Any]:
        return clean(
            {
                "accountId": account_id(self, balance.account_id),
                "currentBalance": amount_string(balance.current_balance),
                "availableBalance": amount_string(balance.available_balance),
                "creditLimit": amount_string(balance.credit_limit),
                "amortisedLimit": amount_string(balance.amortised_limit),
                "currency": balance.currency,
                "purses": [
                    clean({"amount": amount_string(p.amount), "currency": p.currency})
                    for p in balance.purses.all()
                ],
            }
        )
