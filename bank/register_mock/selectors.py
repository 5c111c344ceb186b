"""Read side of the mock Register: the bodies of its public discovery endpoints.

Shapes are cds_register.json 1.36.0: DataRecipientsStatusList (x-v 3),
SoftwareProductsStatusList (x-v 3) and ResponseRegisterDataRecipientList (x-v 4).
"""

from __future__ import annotations

from typing import Any

from bank.register_mock.models import RegisterLegalEntity, RegisterSoftwareProduct


def data_recipient_statuses() -> list[dict[str, str]]:
    return [
        {"legalEntityId": le.legal_entity_id, "status": le.status}
        for le in RegisterLegalEntity.objects.order_by("legal_entity_id")
    ]


def software_product_statuses() -> list[dict[str, str]]:
    return [
        {"softwareProductId": p.software_product_id, "status": p.status}
        for p in RegisterSoftwareProduct.objects.order_by("software_product_id")
    ]


def data_recipient_list() -> list[dict[str, Any]]:
    recipients = RegisterLegalEntity.objects.prefetch_related("brands__products").order_by(
        "legal_entity_id"
    )
    return [
        {
            "legalEntityId": le.legal_entity_id,
            "legalEntityName": le.legal_entity_name,
            "accreditationNumber": le.accreditation_number or le.legal_entity_id[:8].upper(),
            "accreditationLevel": le.accreditation_level,
            "logoUri": le.logo_uri,
            "dataRecipientBrands": [
                {
                    "dataRecipientBrandId": brand.brand_id,
                    "brandName": brand.brand_name,
                    "logoUri": brand.logo_uri,
                    "softwareProducts": [
                        {
                            "softwareProductId": p.software_product_id,
                            "softwareProductName": p.client_name,
                            "softwareProductDescription": p.client_description,
                            "logoUri": p.logo_uri,
                            "status": p.status,
                        }
                        for p in brand.products.all()
                    ],
                    "status": brand.status,
                }
                for brand in le.brands.all()
            ],
            "status": le.status,
            "lastUpdated": _rfc3339(max(
                [le.updated_at]
                + [b.updated_at for b in le.brands.all()]
                + [p.updated_at for b in le.brands.all() for p in b.products.all()]
            )),
        }
        for le in recipients
    ]


def _rfc3339(value: Any) -> str:
    return str(value.isoformat(timespec="seconds")).replace("+00:00", "Z")
