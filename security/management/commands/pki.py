"""The demo's PKI (security/pki.py), from the command line.

    python manage.py pki init [--force] [--dir var/pki]
    python manage.py pki issue-client --cn "Budget App" --out DIR [--org "Brand"] [--force]
    python manage.py pki sign-csr --csr request.csr --out client.pem

`init` creates whatever is missing: the CA, the localhost server certificate, a demo
recipient's client certificate, the authorization server's signing keys
(BANK_SIGNING_KEYS_DIR) and the mock Register's signing key. `issue-client` signs a client
certificate (clientAuth) for another recipient with the same CA: DIR/client.key (0600),
DIR/client.pem and DIR/ca.pem. `sign-csr` issues one for a recipient's own CSR, so its key
never leaves it (bank-client does this). Dev and test only: production certificates come from the
CDR Register's CA and its keys from the HSM.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from security import pki


class Command(BaseCommand):
    help = "Create the demo PKI (init) or issue a recipient's client certificate (issue-client)."

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        init = actions.add_parser("init", help="Create the CA, certificates and keys.")
        init.add_argument("--dir", default=None, help="PKI directory (default var/pki).")
        init.add_argument("--force", action="store_true",
                          help="Re-create everything (adds a new signing key pair).")
        issue = actions.add_parser("issue-client", help="Issue a client certificate.")
        issue.add_argument("--cn", required=True, help="Common name: the software product.")
        issue.add_argument("--org", default="Demo Recipient Brand", help="O: the brand name.")
        issue.add_argument("--out", required=True, help="Directory for client.key/.pem, ca.pem.")
        issue.add_argument("--dir", default=None, help="PKI directory holding the CA.")
        issue.add_argument("--force", action="store_true", help="Overwrite existing files.")

        sign = actions.add_parser(
            "sign-csr", help="Issue a client certificate for a recipient's CSR (its key stays "
            "with the recipient).")
        sign.add_argument("--csr", required=True, help="The PEM certificate signing request.")
        sign.add_argument("--out", required=True, help="Where to write the PEM certificate.")
        sign.add_argument("--dir", default=None, help="PKI directory holding the CA.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.BANK_ENVIRONMENT not in ("dev", "test"):
            raise CommandError("pki is the demo's PKI; production uses the CDR Register's CA.")
        root = Path(options["dir"]) if options["dir"] else pki.default_root()
        if options["action"] == "init":
            self._init(root, force=options["force"])
        elif options["action"] == "sign-csr":
            self._sign_csr(root, options)
        else:
            self._issue_client(root, options)

    def _init(self, root: Path, *, force: bool) -> None:
        written = pki.pki_init(
            root=root, signing_keys_dir=Path(settings.BANK_SIGNING_KEYS_DIR),
            register_keys_dir=pki.mock_register_keys_dir(), force=force,
        )
        for path in written:
            self.stdout.write(f"wrote {path}")
        if not written:
            self.stdout.write(f"PKI in {root} is complete; nothing to do (--force re-creates).")

    def _sign_csr(self, root: Path, options: dict[str, Any]) -> None:
        layout = pki.PkiLayout(root)
        if not (layout.ca_key.exists() and layout.ca_cert.exists()):
            raise CommandError(f"No CA in {root}; run `manage.py pki init` first.")
        ca_key, ca_cert = pki.load_ca(layout)
        try:
            cert = pki.client_certificate_from_csr(
                ca_key=ca_key, ca_cert=ca_cert, csr_pem=Path(options["csr"]).read_bytes())
        except (OSError, ValueError) as exc:
            raise CommandError(f"Not signed: {exc}") from exc
        out = Path(options["out"])
        out.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.stdout.write(f"wrote {out}")

    def _issue_client(self, root: Path, options: dict[str, Any]) -> None:
        layout = pki.PkiLayout(root)
        if not (layout.ca_key.exists() and layout.ca_cert.exists()):
            raise CommandError(f"No CA in {root}; run `manage.py pki init` first.")
        out = Path(options["out"])
        key_path, cert_path, ca_path = out / "client.key", out / "client.pem", out / "ca.pem"
        if not options["force"] and (key_path.exists() or cert_path.exists()):
            raise CommandError(f"{out} already holds a client certificate (--force overwrites).")
        ca_key, ca_cert = pki.load_ca(layout)
        pki.client_certificate_issue(
            ca_key=ca_key, ca_cert=ca_cert, common_name=options["cn"],
            organisation=options["org"], key_path=key_path, cert_path=cert_path,
        )
        ca_path.write_bytes(layout.ca_cert.read_bytes())
        for path in (key_path, cert_path, ca_path):
            self.stdout.write(f"wrote {path}")
