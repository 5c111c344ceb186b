"""A throwaway SoftHSM2 token, and both key managers behind one `manager` fixture.

`softhsm` is session-scoped: one token directory and softhsm2.conf under pytest's temporary
directory, initialised with `softhsm2-util --init-token` and random PINs. Other test packages
can use it with, in their conftest.py:

    from tests.kms.conftest import softhsm  # noqa: F401

and mark their tests `@pytest.mark.hsm` (tests/conftest.py skips or fails them where SoftHSM2
is missing, by the same policy as the other services).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from security.kms import KeyManager, key_manager_reset
from security.kms.local import LocalKeyManager
from tests.conftest import SOFTHSM_LIBRARY


@dataclass(frozen=True)
class SoftHsmToken:
    library: str
    token_label: str
    pin: str
    conf: Path
    token_dir: Path

    @property
    def settings(self) -> dict[str, str]:
        """The settings that make `key_manager()` use this token."""
        return {
            "BANK_KEY_MANAGER": "pkcs11",
            "BANK_PKCS11_LIBRARY": self.library,
            "BANK_PKCS11_TOKEN_LABEL": self.token_label,
            "BANK_PKCS11_PIN": self.pin,
        }

    def manager(self) -> Any:
        from security.kms.pkcs11 import Pkcs11KeyManager

        return Pkcs11KeyManager(library=self.library, token_label=self.token_label, pin=self.pin)


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsmToken]:
    """A fresh token; SOFTHSM2_CONF points at it for the whole session, then is restored."""
    import pkcs11

    from security.kms import pkcs11 as kms_pkcs11

    util = shutil.which("softhsm2-util")
    assert util, "softhsm2-util is not on PATH (apt-get install softhsm2)"
    root = tmp_path_factory.mktemp("softhsm")
    token_dir = root / "tokens"
    token_dir.mkdir(mode=0o700)
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {token_dir}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    token = SoftHsmToken(library=SOFTHSM_LIBRARY, token_label="bank-test-kms",
                         pin=secrets.token_hex(8), conf=conf, token_dir=token_dir)
    subprocess.run(
        [util, "--init-token", "--free", "--label", token.token_label,
         "--so-pin", secrets.token_hex(8), "--pin", token.pin],
        env={**os.environ, "SOFTHSM2_CONF": str(conf)}, check=True, capture_output=True,
        timeout=60,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(conf))
        # SoftHSM2 reads SOFTHSM2_CONF in C_Initialize: start the library afresh on this token.
        kms_pkcs11.shutdown()
        pkcs11.lib(SOFTHSM_LIBRARY).reinitialize()
        key_manager_reset()
        try:
            yield token
        finally:
            kms_pkcs11.shutdown()
            key_manager_reset()


@pytest.fixture(params=["local", pytest.param("pkcs11", marks=pytest.mark.hsm)])
def manager(request: pytest.FixtureRequest, tmp_path: Path) -> KeyManager:
    """Each backend in turn, with an empty key store (the token is shared: use new_label())."""
    if request.param == "local":
        return LocalKeyManager(tmp_path / "keys")
    token: SoftHsmToken = request.getfixturevalue("softhsm")
    return token.manager()


def new_label(prefix: str = "t") -> str:
    """A label no other test uses (tests share the session's token)."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"
