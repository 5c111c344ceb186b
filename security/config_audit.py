"""The configuration each component starts with, on the audit trail (issue 8: "configuration
changes at start-up").

At every start of a web server (gunicorn: its first worker, `post_worker_init` in
bank/gunicorn_tls.py and deploy/gunicorn.conf.py), a Celery worker (`worker_ready`) or beat
(`beat_init`), `config_record` writes CONFIG_LOADED with a fingerprint of the security-relevant
settings, and, when they differ from what the same component last started with, CONFIG_CHANGED
naming each changed setting: before and after for a non-secret one, only "changed", "set" or
"unset" for a secret. Once per process start, never per request: a few queries in a thread of
their own, so that a slow database delays nothing.

What is recorded: the settings in AUDITED_SETTINGS and those starting with AUDITED_PREFIXES,
mappings flattened into dotted paths (`DATABASES.default.HOST`, `OAUTH2_PROVIDER.PKCE_REQUIRED`).
A secret is never written anywhere, in the event or in the snapshot table: a setting named in
SECRET_SETTINGS (BANK_MONITORING.webhook_url: Slack and Teams webhooks carry their credential
in the path), a path whose last name says secret (`_SECRET_NAME`: SECRET_KEY,
DATABASES.default.PASSWORD, BANK_PKCS11_PIN, OIDC_RSA_PRIVATE_KEY...), a PEM block, a
token-like string, the password inside a URL (a broker or cache URL keeps its host, its
password becomes "<secret>"), and the path, query and fragment of any URL that is not one of
NON_SECRET_URL_SETTINGS (it keeps its scheme and host: "https://hooks.example/<secret>"), since
a path may carry a token no name or pattern recognises. The snapshot keeps a
secret only as an HMAC under SECRET_KEY (SECRET_KEY_FALLBACKS are tried too, so rotating
SECRET_KEY the Django way does not report every other secret as changed): a change shows, and
even a short PIN cannot be guessed back from the database without the key.

The previous start's values live in ConfigSnapshot (one row per component: web:<listener>,
worker, beat), not in event details, which stay small. Replicas of one component starting
together compare under a row lock, so a change is reported once.

If the database cannot be reached, start-up goes on: the failure is logged at ERROR
(`config_audit_failed`) and nothing is recorded. Refusing to start would turn a database blip
into a crash loop, and gains nothing: the readiness probe (/health/ready) already keeps
traffic away from a process without a database, and the next start that reaches it compares
with the last recorded snapshot, so a change is still reported then.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from celery.signals import beat_init, worker_ready
from django.conf import settings
from django.db import connections, transaction
from django.utils.crypto import salted_hmac

from security.audit import Actor, audit_record
from security.models import ConfigSnapshot

logger = logging.getLogger(__name__)

CONFIG_LOADED = "CONFIG_LOADED"
CONFIG_CHANGED = "CONFIG_CHANGED"

#: Whole settings recorded.
AUDITED_SETTINGS = frozenset({
    "DEBUG", "ALLOWED_HOSTS", "INSTALLED_APPS", "MIDDLEWARE", "ROOT_URLCONF",
    "AUTHENTICATION_BACKENDS", "AUTH_PASSWORD_VALIDATORS", "PASSWORD_HASHERS",
    "AUTH_USER_MODEL", "X_FRAME_OPTIONS", "USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT",
    "SECRET_KEY", "SECRET_KEY_FALLBACKS", "DATABASES", "CACHES", "REST_FRAMEWORK",
    "OAUTH2_PROVIDER", "LOGGING", "DATA_UPLOAD_MAX_MEMORY_SIZE",
    "DATA_UPLOAD_MAX_NUMBER_FIELDS", "FILE_UPLOAD_MAX_MEMORY_SIZE", "EMAIL_BACKEND",
    "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD", "REDIS_URL", "USE_TZ", "TIME_ZONE",
})
#: Families of settings recorded (the bank's own, and Django's security, session and CSRF).
AUDITED_PREFIXES = ("BANK_", "SECURE_", "SESSION_", "CSRF_", "CORS_", "CELERY_",
                    "OAUTH2_PROVIDER_")

#: Settings that hold a secret whatever their name or shape (dotted paths).
SECRET_SETTINGS = frozenset({
    # A webhook URL is its receiver's credential (Slack, Teams: the path is the secret).
    "BANK_MONITORING.webhook_url",
})
#: URL settings whose path and query hold nothing secret (a Redis database number, a broker's
#: vhost, the bank's own and the Register's public addresses): shown whole, but for a
#: password. Dotted paths; "*" stands for one name (a cache alias); a list's items count as
#: their setting. Any other URL keeps only its scheme and host.
NON_SECRET_URL_SETTINGS = frozenset({
    "BANK_PUBLIC_BASE_URL", "BANK_MTLS_BASE_URL", "BANK_ISSUER", "BANK_REGISTER_BASE_URL",
    "BANK_REGISTER_JWKS_URI", "BANK_RATE_LIMIT_STORE", "REDIS_URL", "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND", "CACHES.*.LOCATION", "CSRF_TRUSTED_ORIGINS", "CORS_ALLOWED_ORIGINS",
})
#: The last name of a path that holds a secret (matched upper-case): it ends in one of these
#: words, or names a secret or private key (SECRET_KEY_FALLBACKS, OIDC_RSA_PRIVATE_KEYS_...).
#: AUTH_PASSWORD_VALIDATORS or ROTATE_REFRESH_TOKEN do not hold one, and stay readable.
_SECRET_NAME = re.compile(
    r"(^|_)(KEY|PIN|TOKEN|DSN|PASSWORD|PASSWD|PASSPHRASE|SECRET|CREDENTIALS?)$"
    r"|SECRET_KEY|PRIVATE_KEY")
#: A string that looks like key material whatever its name: base64 / hex / base64url, long.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9+/=_-]{32,}")
SECRET_MARK = "<secret>"  # noqa: S105 - the placeholder written instead of a secret
SET, NOT_SET = "set", "not set"
#: Values in a CONFIG_CHANGED detail are cut to this many characters; at most this many
#: changes are listed (the count says how many there were).
MAX_VALUE_CHARS = 200
MAX_CHANGES = 50
_HMAC_SALT = "security.config_audit"


# --- reading the configuration -------------------------------------------------------------


@dataclass
class ConfigState:
    """The audited settings of this process: non-secret values, and secrets kept in memory
    only long enough to digest and compare them."""

    values: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, Any] = field(default_factory=dict, repr=False)

    def secrets_set(self) -> list[str]:
        return sorted(path for path, value in self.secrets.items() if _is_set(value))

    def secrets_not_set(self) -> list[str]:
        return sorted(path for path, value in self.secrets.items() if not _is_set(value))

    def secret_digests(self, key: str) -> dict[str, str]:
        """{path: HMAC under `key`, or "" when not set}: what the snapshot may keep."""
        return {path: _digest(key, path, value) if _is_set(value) else ""
                for path, value in sorted(self.secrets.items())}

    def fingerprint(self) -> str:
        return _sha256({"values": self.values,
                        "secrets": self.secret_digests(str(settings.SECRET_KEY))})


def config_state() -> ConfigState:
    """Read the audited settings now."""
    state = ConfigState()
    for name in sorted(dir(settings)):
        if name.isupper() and (name in AUDITED_SETTINGS or name.startswith(AUDITED_PREFIXES)):
            _scan(name, getattr(settings, name), state)
    return state


def _secret_named(name: str, value: Any) -> bool:
    # A yes/no switch is never a secret, whatever its name (ROTATE_REFRESH_TOKEN).
    return not isinstance(value, bool) and bool(_SECRET_NAME.search(name.upper()))


def _is_secret(path: str, name: str, value: Any) -> bool:
    return path in SECRET_SETTINGS or _secret_named(name, value)


def _url_path_shown(path: str) -> bool:
    """Whether `path` is one of NON_SECRET_URL_SETTINGS (list indexes ignored)."""
    names = re.sub(r"\[\d+\]", "", path).split(".")
    return any(
        len(names) == len(allowed) and all(a in ("*", n) for a, n in zip(allowed, names,
                                                                          strict=True))
        for allowed in (entry.split(".") for entry in NON_SECRET_URL_SETTINGS))


def _scan(path: str, value: Any, state: ConfigState) -> None:
    if _is_secret(path, path.rsplit(".", 1)[-1], value):
        state.secrets[path] = value
    elif isinstance(value, Mapping) and value:
        for key in sorted(value, key=str):
            _scan(f"{path}.{key}", value[key], state)
    else:
        state.values[path] = _leaf(path, value, state)


def _leaf(path: str, value: Any, state: ConfigState) -> Any:
    """A JSON value, the same in every process for the same setting (no addresses), with any
    secret inside replaced by SECRET_MARK and kept in `state.secrets`."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _string(path, value, state)
    if isinstance(value, Mapping):  # inside a list: its keys are checked like settings
        out = {}
        for key in sorted(value, key=str):
            inner = f"{path}.{key}"
            if _is_secret(inner, str(key), value[key]):
                state.secrets[inner] = value[key]
                out[str(key)] = SECRET_MARK
            else:
                out[str(key)] = _leaf(inner, value[key], state)
        return out
    if isinstance(value, list | tuple):
        return [_leaf(f"{path}[{i}]", item, state) for i, item in enumerate(value)]
    if isinstance(value, set | frozenset):
        return sorted((_leaf(path, item, state) for item in value), key=json.dumps)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, type) or callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
    text = repr(value)
    # An object's default repr has its memory address: different at every start.
    return f"<{type(value).__module__}.{type(value).__qualname__}>" if " at 0x" in text else text


def _string(path: str, text: str, state: ConfigState) -> str:
    if "-----BEGIN" in text or _looks_like_key(text):
        state.secrets[path] = text
        return SECRET_MARK
    try:
        parts = urlsplit(text)
        password = parts.password if parts.scheme else None
    except ValueError:
        return text
    if not (parts.scheme and parts.netloc):
        return text  # not a URL to a host (a dotted path, "filesystem://")
    if password:
        state.secrets[f"{path}:password"] = password
        userinfo, _, hostport = parts.netloc.rpartition("@")
        username = userinfo.partition(":")[0]
        parts = parts._replace(netloc=f"{username}:{SECRET_MARK}@{hostport}")
    hidden = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    if hidden not in ("", "/") and not _url_path_shown(path):
        # Kept as a secret: a change of path shows as "changed", never the path.
        state.secrets[f"{path}:path"] = hidden
        parts = parts._replace(path=f"/{SECRET_MARK}", query="", fragment="")
    return urlunsplit(parts)


def _looks_like_key(text: str) -> bool:
    if not _TOKEN_LIKE.fullmatch(text) or text.startswith("/") or "//" in text:
        return False  # a path or URL, not key material
    if not (re.search(r"\d", text) and re.search(r"[A-Za-z]", text)):
        return False
    try:
        uuid.UUID(text)
    except ValueError:
        return True
    return False  # an identifier (a brand id), not a secret


def _is_set(value: Any) -> bool:
    return value not in (None, "", [], (), {})


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _sha256(value: Any) -> str:
    return hashlib.sha256(_canonical(value).encode()).hexdigest()


def _digest(key: str, path: str, value: Any) -> str:
    return salted_hmac(_HMAC_SALT, f"{path}\x00{_canonical(value)}", secret=key,
                       algorithm="sha256").hexdigest()[:32]


# --- comparing with the previous start -----------------------------------------------------


def _shown(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else _canonical(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def config_changes(snapshot: ConfigSnapshot, state: ConfigState) -> list[dict[str, Any]]:
    """What differs from `snapshot`: [{"setting", "before"?, "after"?}] for non-secret
    settings, [{"setting", "change": "changed" | "set" | "unset"}] for secrets."""
    changes: list[dict[str, Any]] = []
    absent = object()
    for path in sorted(snapshot.values.keys() | state.values.keys()):
        before, after = snapshot.values.get(path, absent), state.values.get(path, absent)
        if before != after:
            entry: dict[str, Any] = {"setting": path}
            if before is not absent:
                entry["before"] = _shown(before)
            if after is not absent:
                entry["after"] = _shown(after)
            changes.append(entry)
    keys = [str(settings.SECRET_KEY), *map(str, settings.SECRET_KEY_FALLBACKS)]
    for path in sorted(snapshot.secret_digests.keys() | state.secrets.keys()):
        change = _secret_change(snapshot.secret_digests.get(path, ""),
                                state.secrets.get(path), path, keys)
        if change:
            changes.append({"setting": path, "change": change})
    return changes


def _secret_change(digest_before: str, value: Any, path: str, keys: list[str]) -> str:
    if not digest_before:
        return SET if _is_set(value) else ""
    if not _is_set(value):
        return "unset"
    # The old digest was made under the SECRET_KEY of that start: now SECRET_KEY or one of
    # its fallbacks, if it was rotated the Django way.
    same = any(_digest(key, path, value) == digest_before for key in keys)
    return "" if same else "changed"


# --- recording -----------------------------------------------------------------------------


@transaction.atomic
def config_record(*, component: str) -> ConfigSnapshot:
    """Record CONFIG_LOADED for `component`, and CONFIG_CHANGED if its audited settings
    differ from its previous start. Returns the updated snapshot."""
    state = config_state()
    fingerprint = state.fingerprint()
    ConfigSnapshot.objects.get_or_create(component=component,
                                         defaults={"fingerprint": ""})
    # Replicas starting together: the second waits here and then sees the first's snapshot.
    snapshot = ConfigSnapshot.objects.select_for_update().get(component=component)
    first_start = not snapshot.fingerprint
    actor = Actor.system(component)
    loaded = audit_record(
        actor=actor, event_type=CONFIG_LOADED, subject_type="configuration",
        subject_id=component,
        detail={"component": component, "fingerprint": fingerprint,
                "first_start": first_start, "settings_count": len(state.values),
                "secrets_set": state.secrets_set(), "secrets_not_set": state.secrets_not_set(),
                "host": socket.gethostname(), "pid": os.getpid()},
    )
    changes = [] if first_start else config_changes(snapshot, state)
    if changes:
        audit_record(
            actor=actor, event_type=CONFIG_CHANGED, subject_type="configuration",
            subject_id=component,
            detail={"component": component, "fingerprint": fingerprint,
                    "previous_fingerprint": snapshot.fingerprint,
                    "changes": changes[:MAX_CHANGES], "changes_count": len(changes)},
        )
    snapshot.fingerprint = fingerprint
    snapshot.values = state.values
    snapshot.secret_digests = state.secret_digests(str(settings.SECRET_KEY))
    snapshot.event_id = loaded.pk
    snapshot.save()
    return snapshot


def config_record_at_start(*, component: str, attempts: int = 5) -> None:
    """config_record that never raises: a start-up goes on without its record (see the
    module docstring for why), and says so in the log.

    A locked database is tried again a few times: the embedded demo starts its two web
    servers, worker and beat at once on one SQLite file, which takes one writer at a time.
    """
    from django.db import OperationalError

    for attempt in range(attempts):
        try:
            config_record(component=component)
            return
        except OperationalError as exc:
            if "locked" in str(exc) and attempt + 1 < attempts:
                time.sleep(0.5 * (attempt + 1))
                continue
            logger.exception("config_audit_failed", extra={"component": component})
            return
        except Exception:
            logger.exception("config_audit_failed", extra={"component": component})
            return


def _in_background(work: Callable[[], None], name: str) -> threading.Thread:
    """Run `work` in a daemon thread with its own database connection, closed after."""

    def run() -> None:
        try:
            work()
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def config_record_in_background(*, component: str) -> threading.Thread:
    return _in_background(lambda: config_record_at_start(component=component),
                          name=f"config-audit-{component}")


# --- the start-up hooks --------------------------------------------------------------------


def gunicorn_post_worker_init(worker: Any) -> threading.Thread | None:
    """gunicorn's `post_worker_init`: the first worker of a server start records it.

    Not `when_ready`: that runs in the master, which would then have to set up Django and open
    a database connection before forking its workers; a worker has the app loaded already.
    A worker's age counts the workers the master has started (1 = the first).
    """
    if getattr(worker, "age", None) != 1:
        return None
    return config_record_in_background(component=f"web:{settings.BANK_LISTENER}")


@worker_ready.connect(dispatch_uid="security.config_audit.worker")
def _worker_started(**kwargs: Any) -> None:
    config_record_in_background(component="worker")


@beat_init.connect(dispatch_uid="security.config_audit.beat")
def _beat_started(**kwargs: Any) -> None:
    config_record_in_background(component="beat")
