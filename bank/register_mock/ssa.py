"""Software Statement Assertions, as the CDR Register issues them (Get SSA, x-v 4).

CDS security/_client_registration ("Software Statement Assertion"): a JWT signed PS256 by the
Register, `iss` "cdr-register", valid 10 minutes, carrying the product's metadata. Optional
claims (tos_uri, policy_uri, sector_identifier_uri) are left out when the product has none,
as the Register does.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from bank.register_mock.keys import register_sign
from bank.register_mock.models import RegisterSoftwareProduct

ISSUER = "cdr-register"
SOFTWARE_ROLE = "data-recipient-software-product"
LIFETIME = 10 * 60


def ssa_claims(*, product: RegisterSoftwareProduct, now: int | None = None) -> dict[str, Any]:
    issued = int(time.time()) if now is None else now
    brand = product.brand
    legal_entity = brand.legal_entity
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "iat": issued,
        "exp": issued + LIFETIME,
        "jti": uuid.uuid4().hex,
        "legal_entity_id": legal_entity.legal_entity_id,
        "legal_entity_name": legal_entity.legal_entity_name,
        "org_id": brand.brand_id,
        "org_name": brand.brand_name,
        "client_name": product.client_name,
        "client_description": product.client_description,
        "client_uri": product.client_uri,
        "redirect_uris": list(product.redirect_uris),
        "sector_identifier_uri": product.sector_identifier_uri,
        "logo_uri": product.logo_uri,
        "tos_uri": product.tos_uri,
        "policy_uri": product.policy_uri,
        "jwks_uri": product.jwks_uri,
        "revocation_uri": product.revocation_uri,
        "recipient_base_uri": product.recipient_base_uri,
        "software_id": product.software_product_id,
        "software_roles": SOFTWARE_ROLE,
        "scope": product.scope,
    }
    return {k: v for k, v in claims.items() if v != ""}


def ssa_issue(*, product: RegisterSoftwareProduct) -> str:
    return register_sign(ssa_claims(product=product))
