"""Writes on the mock Register's participants (the management command and the admin).

Nothing here writes the bank's audit trail: these rows stand for the ACCC's records, not the
bank's. The bank audits what it *learns* from the Register (security/recipients/services.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from bank.register_mock.models import (
    RegisterBrand,
    RegisterLegalEntity,
    RegisterSoftwareProduct,
)

# Every banking and common scope a recipient can be accredited for, plus the OIDC and DCR
# scopes: what the Register puts in a banking software product's SSA.
DEFAULT_SCOPE = (
    "openid profile bank:accounts.basic:read bank:accounts.detail:read bank:transactions:read "
    "bank:payees:read bank:regular_payments:read common:customer.basic:read "
    "common:customer.detail:read cdr:registration"
)


@transaction.atomic
def register_product_create(
    *,
    legal_entity_name: str,
    brand_name: str,
    client_name: str,
    client_description: str,
    recipient_base_uri: str,
    redirect_uris: Iterable[str],
    jwks_uri: str,
    revocation_uri: str = "",
    client_uri: str = "",
    logo_uri: str = "",
    tos_uri: str = "",
    policy_uri: str = "",
    sector_identifier_uri: str = "",
    scope: str = DEFAULT_SCOPE,
    legal_entity_id: str | None = None,
    brand_id: str | None = None,
    software_product_id: str | None = None,
) -> RegisterSoftwareProduct:
    """A software product, under an existing legal entity / brand when their IDs are given."""
    base = recipient_base_uri.rstrip("/")
    logo = logo_uri or f"{base}/logo.png"
    legal_entity = (
        RegisterLegalEntity.objects.filter(legal_entity_id=legal_entity_id).first()
        if legal_entity_id else None
    )
    if legal_entity is None:
        legal_entity = RegisterLegalEntity(legal_entity_name=legal_entity_name, logo_uri=logo)
        if legal_entity_id:
            legal_entity.legal_entity_id = legal_entity_id
        legal_entity.full_clean()
        legal_entity.save()
    brand = (
        RegisterBrand.objects.filter(brand_id=brand_id, legal_entity=legal_entity).first()
        if brand_id else None
    )
    if brand is None:
        brand = RegisterBrand(legal_entity=legal_entity, brand_name=brand_name, logo_uri=logo)
        if brand_id:
            brand.brand_id = brand_id
        brand.full_clean()
        brand.save()
    product = RegisterSoftwareProduct(
        brand=brand,
        client_name=client_name,
        client_description=client_description,
        client_uri=client_uri or base,
        logo_uri=logo,
        tos_uri=tos_uri,
        policy_uri=policy_uri,
        redirect_uris=list(redirect_uris),
        sector_identifier_uri=sector_identifier_uri,
        jwks_uri=jwks_uri,
        # The consent-withdrawal notification URI; arrangement revocation itself goes to
        # <recipient_base_uri>/arrangements/revoke (CDS security/endpoints).
        revocation_uri=revocation_uri or f"{base}/revocation",
        recipient_base_uri=base,
        scope=" ".join(scope.split()),
    )
    if software_product_id:
        product.software_product_id = software_product_id
    product.full_clean()
    product.save()
    return product
