"""Put a data recipient's software product on the mock Register.

    python manage.py mock_register_product --recipient-base-uri https://adr.example \\
        --jwks-uri https://adr.example/jwks --redirect-uri https://adr.example/callback

Creates a legal entity and brand (or reuses them with --legal-entity-id / --brand-id) and the
product, and prints {"legal_entity_id", "brand_id", "software_product_id"} as JSON: what a
recipient needs to ask this Register for a token and an SSA. Dev and test only.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from bank.register_mock.services import DEFAULT_SCOPE, register_product_create


class Command(BaseCommand):
    help = "Create a legal entity, brand and software product on the mock CDR Register."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--legal-entity-name", default="Demo Recipient Pty Ltd")
        parser.add_argument("--legal-entity-id", default=None,
                            help="Add to this existing legal entity (or create it with this ID).")
        parser.add_argument("--brand-name", default="Demo Recipient Brand")
        parser.add_argument("--brand-id", default=None,
                            help="Add to this existing brand (or create it with this ID).")
        parser.add_argument("--software-product-id", default=None)
        parser.add_argument("--client-name", default="Demo Budget App")
        parser.add_argument("--client-description", default="A demo budgeting app.")
        parser.add_argument("--recipient-base-uri", required=True)
        parser.add_argument("--jwks-uri", required=True)
        parser.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        parser.add_argument("--revocation-uri", default="")
        parser.add_argument("--client-uri", default="")
        parser.add_argument("--logo-uri", default="")
        parser.add_argument("--tos-uri", default="")
        parser.add_argument("--policy-uri", default="")
        parser.add_argument("--sector-identifier-uri", default="")
        parser.add_argument("--scope", default=DEFAULT_SCOPE)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.BANK_MOCK_REGISTER_ENABLED:
            raise CommandError("The mock Register is off (BANK_MOCK_REGISTER_ENABLED).")
        try:
            product = register_product_create(
                legal_entity_name=options["legal_entity_name"],
                legal_entity_id=options["legal_entity_id"],
                brand_name=options["brand_name"],
                brand_id=options["brand_id"],
                software_product_id=options["software_product_id"],
                client_name=options["client_name"],
                client_description=options["client_description"],
                recipient_base_uri=options["recipient_base_uri"],
                jwks_uri=options["jwks_uri"],
                redirect_uris=options["redirect_uris"],
                revocation_uri=options["revocation_uri"],
                client_uri=options["client_uri"],
                logo_uri=options["logo_uri"],
                tos_uri=options["tos_uri"],
                policy_uri=options["policy_uri"],
                sector_identifier_uri=options["sector_identifier_uri"],
                scope=options["scope"],
            )
        except ValidationError as exc:
            raise CommandError(f"Not created: {'; '.join(exc.messages)}") from exc
        self.stdout.write(json.dumps({
            "legal_entity_id": product.brand.legal_entity.legal_entity_id,
            "brand_id": product.brand.brand_id,
            "software_product_id": product.software_product_id,
        }))
