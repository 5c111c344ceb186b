"""BankingTransactionV2 / BankingTransactionDetailV3 (Get Transactions v2, Detail v3) and the
older BankingTransaction / BankingTransactionDetailV2 (v1 and v2, until 2026-12-07), which
differ only in having no instalmentPlanId (obsolete get-transactions-for-account-v1,
get-transaction-detail-v2)."""

from __future__ import annotations

from typing import Any

from bank.api.formatting import amount_string, datetime_string
from bank.api.serializers import CdrSerializer
from security.resource_ids import ResourceKind

clean = CdrSerializer.without_empty


class TransactionOutputSerializer(CdrSerializer):
    def to_representation(self, txn: Any) -> dict[str, Any]:
        ids = self.context["ids"]
        body = {
            # The page is one account's: its ID is encoded once by the view.
            "accountId": self.context["account_public_id"],
            "transactionId": ids.encode(ResourceKind.TRANSACTION, txn.pk),
            "isDetailAvailable": txn.is_detail_available,
            "type": txn.type,
            "status": txn.status,
            "description": txn.description,
            "postingDateTime": datetime_string(txn.posting_date_time),
            "valueDateTime": datetime_string(txn.value_date_time),
            "executionDateTime": datetime_string(txn.execution_date_time),
            "amount": amount_string(txn.amount),
            "currency": txn.currency,
            "merchantName": txn.merchant_name,
            "merchantCategoryCode": txn.merchant_category_code,
            "billerCode": txn.biller_code,
            "billerName": txn.biller_name,
            "crn": txn.crn,
            "apcaNumber": txn.apca_number,
        }
        if (
            self.context["current_shape"]
            and txn.instalment_plan_id is not None
            # Only a plan the plans endpoints would return: one on an accessible account.
            and txn.instalment_plan.account_id in self.context["visible_account_ids"]()
        ):
            body["instalmentPlanId"] = ids.encode(
                ResourceKind.INSTALMENT_PLAN, txn.instalment_plan_id
            )
        body = clean(body)
        # Required, and "empty string if no data provided".
        body["reference"] = txn.reference
        return body


class TransactionDetailOutputSerializer(TransactionOutputSerializer):
    def to_representation(self, txn: Any) -> dict[str, Any]:
        body = super().to_representation(txn)
        extended: dict[str, Any] = clean(
            {"payer": txn.payer, "payee": txn.payee, "extensionUType": txn.extension_utype}
        )
        if txn.extension_utype == "nppPayload":
            extended["nppPayload"] = clean(
                {
                    "extendedDescription": txn.npp_extended_description,
                    "endToEndId": txn.npp_end_to_end_id,
                    "purposeCode": txn.npp_purpose_code,
                    "service": txn.npp_service,
                    "serviceVersion": txn.npp_service_version,
                }
            )
        body["extendedData"] = extended
        return body
