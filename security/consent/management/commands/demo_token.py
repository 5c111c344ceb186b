"""Give the embedded demo a working access token without going through the consent pages.

    python manage.py demo_token [--customer jane.citizen] [--minutes 10]

Creates (once) a demo data recipient and software product, an arrangement for every account
of the customer with every CDR data scope, and prints an access token for it with curl lines.
The token is bound to the demo recipient's client certificate (var/pki/recipient/client.pem,
RFC 8705), so the curl lines present that certificate to the mTLS listener.
Dev only: the command refuses any other environment, and the token is printed, never logged.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from oauth2_provider.models import Application

from accounts.models import Account, User
from security import audit
from security.consent import services
from security.consent.models import Arrangement, ArrangementStatus
from security.mtls import certificate_thumbprint
from security.pki import PkiLayout, default_root
from security.recipients.models import DataRecipient, SoftwareProduct
from security.scopes import CDR_DATA_SCOPES

DEMO_PRODUCT_ID = "demo-budget-app"


class Command(BaseCommand):
    help = "Print a demo access token for a demo customer (embedded demo only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--customer", default="jane.citizen")
        parser.add_argument("--minutes", type=int, default=10)
        parser.add_argument("--base-url", default=None)
        parser.add_argument("--pki-dir", default=None, help="the demo PKI (default var/pki)")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.BANK_ENVIRONMENT != "dev":
            raise CommandError("demo_token is for the embedded demo (bank.settings.dev) only.")
        if not 2 <= options["minutes"] <= 10:
            raise CommandError("--minutes is between 2 and 10 (CDS access token lifetime).")
        user = User.objects.filter(username=options["customer"], customer__isnull=False).first()
        if user is None or user.customer is None:
            raise CommandError("No such demo customer; see var/demo-credentials.json.")
        actor = audit.Actor.system("demo_token")
        product = _demo_product()
        arrangement = (
            Arrangement.objects.filter(
                customer=user.customer, software_product=product, status=ArrangementStatus.ACTIVE,
                sharing_expires_at__gt=timezone.now(),
            ).first()
            or services.arrangement_create(
                customer=user.customer, user=user, software_product=product,
                scopes=CDR_DATA_SCOPES,
                accounts=Account.objects.filter(account_holders__customer=user.customer),
                sharing_expires_at=timezone.now() + timedelta(days=90), actor=actor,
            )
        )
        layout = PkiLayout(Path(options["pki_dir"]) if options["pki_dir"] else default_root())
        if not layout.client_cert.is_file():
            raise CommandError(f"No demo client certificate at {layout.client_cert}: "
                               "run `manage.py pki init`.")
        certificate = x509.load_pem_x509_certificate(layout.client_cert.read_bytes())
        raw, _ = services.access_token_issue(
            arrangement=arrangement,
            certificate_thumbprint=certificate_thumbprint(certificate.public_bytes(Encoding.DER)),
            lifetime=timedelta(minutes=options["minutes"]), actor=actor,
        )
        base = (options["base_url"] or settings.BANK_MTLS_BASE_URL
                or settings.BANK_PUBLIC_BASE_URL).rstrip("/") + "/cds-au/v1"
        headers = (
            f"--cacert {layout.ca_cert} --cert {layout.client_cert} --key {layout.client_key} "
            f"-H 'Authorization: Bearer {raw}' -H \"x-fapi-auth-date: $(date -uR | "
            "sed 's/+0000/GMT/')\""
        )
        self.stdout.write(
            "\n".join(
                [
                    f"Access token for {user.username} (all accounts, every CDR data scope, "
                    f"{options['minutes']} minutes; run `make demo-token` again for a new one):",
                    raw,
                    "",
                    f"curl -H 'x-v: 3' {headers} {base}/banking/accounts",
                    f"curl -H 'x-v: 1' {headers} {base}/common/customer",
                    "",
                ]
            )
        )


def _demo_product() -> SoftwareProduct:
    existing = SoftwareProduct.objects.filter(software_product_id=DEMO_PRODUCT_ID).first()
    if existing is not None:
        return existing
    recipient, _ = DataRecipient.objects.get_or_create(
        legal_entity_id="demo-recipient", defaults={"legal_entity_name": "Demo Recipient Pty Ltd"}
    )
    client = Application.objects.create(
        name="Demo Budget App", client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://localhost/demo-callback", algorithm=Application.RS256_ALGORITHM,
    )
    return SoftwareProduct.objects.create(
        recipient=recipient, software_product_id=DEMO_PRODUCT_ID, name="Demo Budget App",
        brand_name="Demo Recipient", client=client,
    )
