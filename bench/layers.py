"""Switch security layers off inside a benchmark server process (bench/wsgi.py), one at a time.

Only under bank.settings.bench (BANK_ENVIRONMENT "bench", which refuses to load outside a
bench run): `layers_switch_off()` raises anywhere else, so nothing here can weaken a real
server. Each switch removes the layer's work from the request path and nothing else:

- rate_limits: BaseCdrApi's limit step and the middleware's limiter call become no-ops: no
  bucket set, no per-product override lookup, no Redis script;
- audit: audit events are not written and the after-request sealing does nothing (the JSON
  log line each event also makes stays: logging is not the layer measured);
- mtls: certificate-bound tokens off (the settings module does that) and the runner sends no
  X-SSL-Client-Cert, so no certificate is parsed, hashed or compared;
- decryption: `keyring.open_sealed` and `keyring.sealed_opener` answer from a per-process
  memo of what the real function returned for that ciphertext (filled by the warm-up), as
  bench/encryption_benchmark.py does: the same rows are read and the same bytes answered,
  without the AES-GCM opens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def layers_switch_off(layers: frozenset[str] | None = None) -> frozenset[str]:
    """Switch `layers` (default: settings.BANK_BENCH_OFF) off in this process; what it did."""
    if getattr(settings, "BANK_ENVIRONMENT", "") != "bench":
        raise ImproperlyConfigured("Security layers are switched off only under "
                                   "bank.settings.bench, in a bench run.")
    chosen: frozenset[str] = getattr(settings, "BANK_BENCH_OFF") if layers is None else layers  # noqa: B009
    unknown = set(chosen) - set(getattr(settings, "BANK_BENCH_LAYERS"))  # noqa: B009
    if unknown:
        raise ImproperlyConfigured(f"Unknown layers: {sorted(unknown)}")
    for layer in sorted(chosen):
        _SWITCHES[layer]()
    return frozenset(chosen)


def _rate_limits_off() -> None:
    from bank.api import views
    from security.throttling import enforce

    def no_limit(*args: Any, **kwargs: Any) -> None:
        return None

    views.resource_call_limit = no_limit
    enforce._acquire = no_limit


def _audit_off() -> None:
    from security import audit_chain
    from security.models import AuditEvent

    def no_save(self: Any, *args: Any, **kwargs: Any) -> None:
        return None

    def no_seal(*args: Any, **kwargs: Any) -> None:
        return None

    AuditEvent.save = no_save  # type: ignore[method-assign]
    audit_chain.audit_seal = no_seal  # type: ignore[assignment]


def _mtls_off() -> None:
    if settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS:
        raise ImproperlyConfigured("BANK_BENCH_OFF=mtls needs bank.settings.bench to have "
                                   "turned certificate-bound tokens off.")


def _decryption_off() -> None:
    from security.encryption import keyring

    real_open: Callable[..., str] = keyring.open_sealed
    memo: dict[str, str] = {}

    def open_memo(ciphertext: str, *, context: bytes) -> str:
        text = memo.get(ciphertext)
        if text is None:
            text = memo[ciphertext] = real_open(ciphertext, context=context)
        return text

    def opener_memo() -> Callable[[str, bytes], str]:
        def open_one(ciphertext: str, context: bytes) -> str:
            return open_memo(ciphertext, context=context)

        return open_one

    keyring.open_sealed = open_memo
    keyring.sealed_opener = opener_memo


_SWITCHES: dict[str, Callable[[], None]] = {
    "rate_limits": _rate_limits_off,
    "audit": _audit_off,
    "mtls": _mtls_off,
    "decryption": _decryption_off,
}
