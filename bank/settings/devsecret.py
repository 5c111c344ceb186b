"""Per-checkout random secrets for the embedded demo, kept in the git-ignored var/."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from pathlib import Path


def _stored_secret(path: Path, make: Callable[[], str]) -> str:
    """Return the secret stored at `path`, creating it (mode 0600) on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def dev_secret_key(path: Path) -> str:
    return _stored_secret(path, lambda: secrets.token_urlsafe(50))


def dev_resource_id_key(path: Path) -> str:
    """64 random bytes, base64url: the AES-256-SIV key of resource IDs."""
    return _stored_secret(
        path, lambda: base64.urlsafe_b64encode(secrets.token_bytes(64)).decode().rstrip("=")
    )
