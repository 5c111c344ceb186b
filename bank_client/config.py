"""Where the client keeps what it is, and what it knows about the bank.

Its home (`--home`, BANK_CLIENT_HOME, default `var/bank-client/` of the bank checkout, which
git ignores and `make clean` removes) holds, with the home 0700 and every secret 0600:

    client.json        who it is: the bank's URLs, its client ID, software product and brand
                       IDs, redirect URI, listener address (nothing secret)
    signing-key.pem    its PS256 key (private_key_jwt, request objects, DCR), made here
    tls/client.key     its TLS key, made here; only the CSR left this directory
    tls/client.pem     the certificate the demo CA issued for it (tls/ca.pem: that CA)
    tokens.enc         its tokens, encrypted (bank_client/vault.py)
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bank_client.vault import TokenVault, write_private

HOME_ENV = "BANK_CLIENT_HOME"
CONFIG_NAME = "client.json"


def default_bank_home() -> Path:
    """The bank checkout: BANK_HOME, or the one this package sits in, or the current one."""
    if os.environ.get("BANK_HOME"):
        return Path(os.environ["BANK_HOME"]).resolve()
    here = Path(__file__).resolve().parent.parent
    return here if (here / "manage.py").is_file() else Path.cwd()


def default_home(bank_home: Path) -> Path:
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV])
    return bank_home / "var" / "bank-client"


@dataclass
class ClientConfig:
    bank_url: str
    mtls_url: str
    redirect_uri: str
    listen: str
    client_name: str
    client_id: str = ""
    software_product_id: str = ""
    brand_id: str = ""
    legal_entity_id: str = ""
    scope: str = ""
    kid: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class HomeError(Exception):
    """The client's home is not private to this user."""


class ClientHome:
    def __init__(self, root: Path) -> None:
        self.root = root

    def check_private(self) -> None:
        """Refuse a home (or its tls/) that another user owns or can read or write, as ssh does
        with ~/.ssh: someone who could swap its CA or bank URL would collect the tokens."""
        for directory in (self.root, self.root / "tls"):
            if not directory.exists():
                continue
            info = directory.stat()
            if info.st_uid != os.getuid() or info.st_mode & 0o077:
                raise HomeError(f"{directory} must belong to you and be private "
                                f"(chmod 700 {directory})")

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def signing_key(self) -> Path:
        return self.root / "signing-key.pem"

    @property
    def tls_key(self) -> Path:
        return self.root / "tls" / "client.key"

    @property
    def tls_cert(self) -> Path:
        return self.root / "tls" / "client.pem"

    @property
    def ca(self) -> Path:
        return self.root / "tls" / "ca.pem"

    @property
    def tls_pair(self) -> tuple[str, str]:
        return (str(self.tls_cert), str(self.tls_key))

    def create(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        (self.root / "tls").mkdir(mode=0o700, exist_ok=True)
        self.check_private()

    def enrolled(self) -> bool:
        return self.config_path.is_file()

    def load(self) -> ClientConfig:
        self.check_private()
        try:
            return ClientConfig(**json.loads(self.config_path.read_text()))
        except FileNotFoundError:
            raise LookupError(
                f"Not enrolled yet ({self.config_path} is missing): run `bank-client enrol`."
            ) from None

    def save(self, config: ClientConfig) -> None:
        write_private(self.config_path, json.dumps(asdict(config), indent=2).encode())

    def vault(self, config: ClientConfig) -> TokenVault:
        return TokenVault(self.root / "tokens.enc", client_id=config.client_id)
