"""KEKs inside an HSM token, reached through PKCS#11 (python-pkcs11).

Each KEK is an AES-256 secret key generated inside the token and kept there (CKA_TOKEN). It is
CKA_SENSITIVE and not CKA_EXTRACTABLE, so its value never leaves the token, not even wrapped by
another key. It is not CKA_MODIFIABLE, so nobody can later allow WRAP or change those flags,
and not CKA_COPYABLE, so no twin can outlive its destruction. It may ENCRYPT and DECRYPT and
nothing else. Wrapping a DEK is one C_Encrypt with CKM_AES_GCM inside the token. Destroying the
token object is crypto-shredding: every DEK it wrapped is lost.

Threads: python-pkcs11 calls C_Initialize(NULL), which tells the library that the application
will not call it from several threads at once (SoftHSM2 then switches its own mutexes off).
Login state belongs to the application, not to a session: opening a second session with the
PIN fails with CKR_USER_ALREADY_LOGGED_IN, and closing any logged-in session logs all of them
out. So each process keeps ONE logged-in session per token, shared by every manager instance,
and every call into the library holds one process-wide lock. Each call is short (one C_Encrypt
of 32 bytes), so gunicorn gthread workers queue on the lock only briefly. Nothing else in the
process should log in to the same token: this module owns that login.

Private objects are invisible to a session that is not logged in, so a login the HSM dropped
would make every KEK look destroyed: before calling a KEK missing, wrap and unwrap log in
afresh and look once more.

Fork: a process must not use a PKCS#11 library it inherited over fork() (gunicorn workers, celery
prefork children); it has to call C_Initialize itself. A child notices the new pid, forgets the
inherited sessions without closing them (with some HSM clients closing would end the parent's
sessions), re-initialises the library, then opens and logs in its own session.

Signing keys (the authorization server's PS256 and ES256 keys, BANK_SIGNING_KEYS_SOURCE=
key-manager) are key pairs generated in the same token: the private half is sensitive, never
extractable, not modifiable, and can only sign; a JWS is signed by one C_Sign. A key is used
only if the token says it was generated there and never left it (LOCAL, NEVER_EXTRACTABLE,
ALWAYS_SENSITIVE): one imported by whoever once had the PIN is ignored. Its two halves are
paired by a random CKA_ID as well as the label. Known limit: the key is not restricted to one
mechanism (CKA_ALLOWED_MECHANISMS, which python-pkcs11 0.10 cannot set), so a PIN holder can
also make RSASSA-PKCS1 signatures with it; the HSM vendor's key policy closes that.

The PIN is kept in a wrapper whose repr is masked and is never put in a message: python-pkcs11's
exceptions carry only the return code.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import pkcs11
from pkcs11 import MGF, Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11.exceptions import (
    DataInvalid,
    DataLenRange,
    DeviceRemoved,
    EncryptedDataInvalid,
    EncryptedDataLenRange,
    GeneralError,
    MultipleTokensReturned,
    NoSuchToken,
    PKCS11Error,
    SessionClosed,
    SessionHandleInvalid,
    TokenNotPresent,
    UserNotLoggedIn,
)
from pkcs11.mechanisms import GCMParams
from pkcs11.types import DecryptMixin, EncryptMixin, Object, PublicKey, Session, SignMixin
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pkcs11.util.rsa import encode_rsa_public_key

from security.kms.base import (
    KEK_BYTES,
    NONCE_BYTES,
    TAG_BYTES,
    KeyExists,
    KeyManagerError,
    KeyNotFound,
    UnwrapFailed,
    check_label,
    check_wrap_input,
    signing_alg,
    split_blob,
)

T = TypeVar("T")

#: Errors after which the session is useless; the call is retried once on a fresh session.
_SESSION_LOST = (SessionHandleInvalid, SessionClosed, UserNotLoggedIn, DeviceRemoved,
                 TokenNotPresent)
#: How tokens report a GCM tag that does not verify (SoftHSM2: CKR_GENERAL_ERROR; others use
#: the ENCRYPTED_DATA and DATA codes). Anything else is an HSM fault, not a forgery.
_NOT_AUTHENTIC = (GeneralError, EncryptedDataInvalid, EncryptedDataLenRange, DataInvalid,
                  DataLenRange)

#: How a KEK is found. Matching on SENSITIVE and EXTRACTABLE too means a same-labelled key that
#: could leave the token (whoever put it there) is never used: it is simply not found.
_KEK_SEARCH: dict[Attribute, Any] = {
    Attribute.CLASS: ObjectClass.SECRET_KEY,
    Attribute.KEY_TYPE: KeyType.AES,
    Attribute.TOKEN: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
}
#: Added to python-pkcs11's secret-key template (which already sets PRIVATE and SENSITIVE).
_KEK_TEMPLATE: dict[Attribute, Any] = {
    Attribute.TOKEN: True,
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.MODIFIABLE: False,
    Attribute.COPYABLE: False,
}
#: What a new KEK must report before it is used; anything else is destroyed (fail closed).
_KEK_MUST_REPORT: dict[Attribute, Any] = {
    Attribute.TOKEN: True,
    Attribute.SENSITIVE: True,
    Attribute.ALWAYS_SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.NEVER_EXTRACTABLE: True,
    Attribute.MODIFIABLE: False,
    Attribute.COPYABLE: False,
    Attribute.VALUE_LEN: KEK_BYTES,
    Attribute.ENCRYPT: True,
    Attribute.DECRYPT: True,
    Attribute.WRAP: False,
    Attribute.UNWRAP: False,
    Attribute.SIGN: False,
    Attribute.VERIFY: False,
    Attribute.DERIVE: False,
}


#: Signing keys: the private half is made inside the token and can sign and nothing else; like a
#: KEK it is sensitive, never extractable, not modifiable and not copyable.
_SIGNING_PRIVATE_TEMPLATE: dict[Attribute, Any] = {
    Attribute.TOKEN: True,
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.MODIFIABLE: False,
    Attribute.COPYABLE: False,
}
_SIGNING_PUBLIC_TEMPLATE: dict[Attribute, Any] = {Attribute.TOKEN: True, Attribute.PRIVATE: False}
_SIGNING_MUST_REPORT: dict[Attribute, Any] = {
    Attribute.TOKEN: True,
    Attribute.LOCAL: True,
    Attribute.SENSITIVE: True,
    Attribute.ALWAYS_SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.NEVER_EXTRACTABLE: True,
    Attribute.MODIFIABLE: False,
    Attribute.SIGN: True,
    Attribute.DECRYPT: False,
    Attribute.UNWRAP: False,
}
#: How a signing key is found, and what it must prove before it is used: generated inside the
#: token (LOCAL) and never extractable nor ever readable (NEVER_EXTRACTABLE, ALWAYS_SENSITIVE),
#: so a key imported by whoever once had the PIN, of which a copy exists outside, is never
#: published or used; sign-only.
_SIGNING_SEARCH: dict[Attribute, Any] = {
    Attribute.CLASS: ObjectClass.PRIVATE_KEY,
    Attribute.TOKEN: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.LOCAL: True,
    Attribute.NEVER_EXTRACTABLE: True,
    Attribute.ALWAYS_SENSITIVE: True,
    Attribute.SIGN: True,
    Attribute.DECRYPT: False,
    Attribute.UNWRAP: False,
}
#: CKA_ID of a signing key pair: random, shared by its two halves (they are paired by it and
#: by label, never by label alone).
_KEY_ID_BYTES = 16
_SIGNING_KEY_TYPE = {"PS256": KeyType.RSA, "ES256": KeyType.EC}
RSA_BITS = 3072  # NIST SP 800-57: 128-bit security, as P-256
ES256_SIGNATURE_BYTES = 64


class _Secret:
    """A PIN that does not show up in reprs (debug pages print frame locals)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "'********'"

    def reveal(self) -> str:
        return self._value


class _ProcessState:
    """This process's libraries and logged-in sessions, one per (library, token label)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.pid = os.getpid()
        self.libraries: dict[str, Any] = {}
        self.sessions: dict[tuple[str, str], Session] = {}


_state = _ProcessState()


def _after_fork_in_child() -> None:
    # A lock held by another thread at fork time would stay held forever in the child.
    _state.lock = threading.RLock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def shutdown() -> None:
    """Close this process's sessions and finalize its libraries (tests, clean exits).

    SoftHSM2 reads SOFTHSM2_CONF in C_Initialize, so a test pointing it at another token
    directory calls this first.
    """
    with _state.lock:
        if _state.pid == os.getpid():  # a forked child must not close the parent's handles
            for session in _state.sessions.values():
                with suppress(PKCS11Error):
                    session.close()
        for lib in _state.libraries.values():
            if lib.initialized:
                with suppress(PKCS11Error):
                    lib.finalize()
        _state.sessions.clear()
        _state.libraries.clear()
        _state.pid = os.getpid()


class Pkcs11KeyManager:
    name = "pkcs11"

    def __init__(self, *, library: str, token_label: str, pin: str) -> None:
        self.library = library
        self.token_label = token_label
        self._pin = _Secret(pin)

    def __repr__(self) -> str:
        return f"Pkcs11KeyManager(library={self.library!r}, token_label={self.token_label!r})"

    # KEKs --------------------------------------------------------------------------------
    def kek_create(self, label: str) -> None:
        check_label(label)

        def create(session: Session) -> None:
            if _objects(session, label):
                raise KeyExists(f"A key labelled {label!r} already exists in the token.")
            key = session.generate_key(
                KeyType.AES, KEK_BYTES * 8, label=label, store=True,
                capabilities=MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT,
                template=_KEK_TEMPLATE,
            )
            try:
                reported = key.get_attributes(list(_KEK_MUST_REPORT))
                if any(reported.get(a) != v for a, v in _KEK_MUST_REPORT.items()):
                    raise KeyManagerError("The token did not make a sensitive, non-extractable "
                                          "encrypt/decrypt-only key; it was destroyed.")
                # The token allows duplicate labels and the check above is not atomic across
                # processes: if two made the same label at once, each sees two and destroys
                # its own (at worst both fail and the caller retries; never two KEKs).
                if len(_objects(session, label)) != 1:
                    raise KeyManagerError(f"Another process created {label!r} at the same "
                                          "time; this copy was destroyed, try again.")
            except BaseException:
                key.destroy()
                raise

        # No retry: a create that reached the token before the session broke must not repeat.
        self._run(create, retry=False)

    def kek_exists(self, label: str) -> bool:
        check_label(label)
        return self._run(lambda session: bool(_objects(session, label, _KEK_SEARCH)))

    def kek_destroy(self, label: str) -> None:
        check_label(label)

        def destroy(session: Session) -> None:
            for obj in _objects(session, label):  # every copy, whatever its flags
                obj.destroy()

        self._run(destroy)
        # A session whose login the token dropped sees no private object and so "destroys"
        # nothing without an error. Crypto-shredding must not fail silently: log in afresh,
        # destroy again, and prove the key is gone.
        with _state.lock:
            self._drop_session(close=True)
        self._run(destroy)
        if self.kek_exists(label):
            raise KeyManagerError(f"The KEK labelled {label!r} survived its destruction.")

    def kek_labels(self) -> list[str]:
        def labels(session: Session) -> list[str]:
            found = {obj[Attribute.LABEL] for obj in session.get_objects(_KEK_SEARCH)}
            return sorted(str(label) for label in found if label)

        return self._run(labels)

    # Wrapping ----------------------------------------------------------------------------
    def wrap(self, label: str, key: bytes, *, aad: bytes) -> bytes:
        check_label(label)
        check_wrap_input(key, aad)
        nonce = secrets.token_bytes(NONCE_BYTES)

        def encrypt(session: Session) -> bytes:
            kek = _kek(session, label)
            if not isinstance(kek, EncryptMixin):
                raise KeyManagerError(f"The KEK labelled {label!r} cannot encrypt.")
            sealed = kek.encrypt(key, mechanism=Mechanism.AES_GCM,
                                 mechanism_param=GCMParams(nonce, aad, TAG_BYTES * 8))
            if not isinstance(sealed, bytes) or len(sealed) != len(key) + TAG_BYTES:
                raise KeyManagerError("The token returned a malformed AES-GCM result.")
            return sealed

        return nonce + self._run(encrypt)

    def unwrap(self, label: str, blob: bytes, *, aad: bytes) -> bytes:
        check_label(label)
        nonce, sealed = split_blob(blob, aad)

        def decrypt(session: Session) -> bytes:
            kek = _kek(session, label)
            if not isinstance(kek, DecryptMixin):
                raise KeyManagerError(f"The KEK labelled {label!r} cannot decrypt.")
            try:
                plain = kek.decrypt(sealed, mechanism=Mechanism.AES_GCM,
                                    mechanism_param=GCMParams(nonce, aad, TAG_BYTES * 8))
            except _NOT_AUTHENTIC as exc:
                raise UnwrapFailed(f"The key wrapped by {label!r} did not authenticate.") \
                    from exc
            if not isinstance(plain, bytes):
                raise KeyManagerError("The token returned a malformed AES-GCM result.")
            return plain

        return self._run(decrypt)

    # Signing keys (security/kms/base.py SigningKeyStore) ----------------------------------
    def signing_key_create(self, label: str) -> None:
        alg = signing_alg(label)

        def create(session: Session) -> None:
            if _objects(session, label, {Attribute.CLASS: ObjectClass.PRIVATE_KEY}):
                raise KeyExists(f"A signing key labelled {label!r} already exists in the token.")
            options: dict[str, Any] = {
                "store": True, "label": label, "id": secrets.token_bytes(_KEY_ID_BYTES),
                "capabilities": MechanismFlag.SIGN | MechanismFlag.VERIFY,
                "private_template": _SIGNING_PRIVATE_TEMPLATE,
                "public_template": _SIGNING_PUBLIC_TEMPLATE,
            }
            if alg == "PS256":
                public, private = session.generate_keypair(KeyType.RSA, RSA_BITS, **options)
            else:
                curve = session.create_domain_parameters(
                    KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                    local=True)
                public, private = curve.generate_keypair(**options)
            try:
                reported = private.get_attributes(list(_SIGNING_MUST_REPORT))
                if any(reported.get(a) != v for a, v in _SIGNING_MUST_REPORT.items()):
                    raise KeyManagerError("The token did not make a sensitive, non-extractable "
                                          "sign-only key; it was destroyed.")
                if len(_objects(session, label, {Attribute.CLASS: ObjectClass.PRIVATE_KEY})) != 1:
                    raise KeyManagerError(f"Another process created {label!r} at the same "
                                          "time; this copy was destroyed, try again.")
            except BaseException:
                private.destroy()
                public.destroy()
                raise

        self._run(create, retry=False)

    def signing_key_destroy(self, label: str) -> None:
        signing_alg(label)

        def destroy(session: Session) -> None:
            for object_class in (ObjectClass.PRIVATE_KEY, ObjectClass.PUBLIC_KEY):
                for obj in _objects(session, label, {Attribute.CLASS: object_class}):
                    obj.destroy()

        self._run(destroy)
        # As kek_destroy: a session whose login was dropped sees only the public half. Log in
        # afresh, destroy again, and prove both halves are gone.
        with _state.lock:
            self._drop_session(close=True)
        self._run(destroy)

        def remaining(session: Session) -> int:
            return sum(len(_objects(session, label, {Attribute.CLASS: object_class}))
                       for object_class in (ObjectClass.PRIVATE_KEY, ObjectClass.PUBLIC_KEY))

        if self._run(remaining):
            raise KeyManagerError(f"The signing key {label!r} survived its destruction.")

    def signing_keys_public(self) -> list[tuple[str, bytes]]:
        def public_keys(session: Session) -> list[tuple[str, bytes]]:
            found = []
            for private in list(session.get_objects(_SIGNING_SEARCH)):
                label = str(private[Attribute.LABEL] or "")
                try:
                    alg = signing_alg(label)
                except KeyManagerError:
                    continue  # not one of ours (another application's key in the token)
                if private[Attribute.KEY_TYPE] != _SIGNING_KEY_TYPE[alg]:
                    raise KeyManagerError(f"The signing key {label!r} is not a {alg} key.")
                key_id = private[Attribute.ID]
                publics = _objects(session, label, {Attribute.CLASS: ObjectClass.PUBLIC_KEY,
                                                    Attribute.ID: key_id})
                if not key_id or len(publics) != 1:
                    raise KeyManagerError(f"The signing key {label!r} has no single public key.")
                encode = encode_rsa_public_key if alg == "PS256" else encode_ec_public_key
                public = publics[0]
                if not isinstance(public, PublicKey):
                    raise KeyManagerError(f"The signing key {label!r} has no public key.")
                found.append((label, bytes(encode(public))))
            return sorted(found)

        return self._run(public_keys)

    def sign(self, label: str, data: bytes) -> bytes:
        alg = signing_alg(label)
        if not isinstance(data, bytes):
            raise KeyManagerError("The data to sign must be bytes.")

        def sign(session: Session) -> bytes:
            found = _objects(session, label, _SIGNING_SEARCH)
            if len(found) != 1:
                if not found:
                    raise KeyNotFound(f"No signing key labelled {label!r} in the token.")
                raise KeyManagerError(f"Several signing keys are labelled {label!r}.")
            private = found[0]
            if (not isinstance(private, SignMixin)
                    or private[Attribute.KEY_TYPE] != _SIGNING_KEY_TYPE[alg]):
                raise KeyManagerError(f"The key labelled {label!r} cannot sign {alg}.")
            if alg == "PS256":
                # RFC 7518 §3.5: RSASSA-PSS, SHA-256, MGF1 with SHA-256, salt of 32 bytes.
                signature = private.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS_PSS,
                                         mechanism_param=(Mechanism.SHA256, MGF.SHA256, 32))
            else:
                # Tokens (SoftHSM2 among them) often lack CKM_ECDSA_SHA256: hash here, sign the
                # digest with CKM_ECDSA, whose output is already JWS's r||s (RFC 7518 §3.4).
                signature = private.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA)
                if len(signature) != ES256_SIGNATURE_BYTES:
                    raise KeyManagerError("The token returned a malformed ECDSA signature.")
            return bytes(signature)

        return self._run(sign)

    # Sessions ----------------------------------------------------------------------------
    @contextmanager
    def locked_session(self) -> Iterator[Session]:
        """The shared logged-in session, under the process lock: for tests and diagnostics.

        Objects found through it must not be kept after the block.
        """
        with _state.lock:
            yield self._session()

    def _run(self, op: Callable[[Session], T], *, retry: bool = True) -> T:
        """`op` on the shared session under the lock; PKCS#11 errors become KeyManagerError.

        With `retry`, a lost session or a missing KEK gets one more try on a new session.
        """
        with _state.lock:
            attempts = 2 if retry else 1
            for attempt in range(1, attempts + 1):
                try:
                    return op(self._session())
                except KeyNotFound:
                    if attempt == attempts:
                        raise
                    self._drop_session(close=True)  # log in afresh: was the login dropped?
                except _SESSION_LOST as exc:
                    self._drop_session(close=False)
                    if attempt == attempts:
                        raise KeyManagerError("The PKCS#11 session was lost.") from exc
                except PKCS11Error as exc:
                    raise KeyManagerError(f"PKCS#11 error: {type(exc).__name__}.") from exc
        raise AssertionError("unreachable")

    def _drop_session(self, *, close: bool) -> None:
        session = _state.sessions.pop((self.library, self.token_label), None)
        if session is not None and close:
            with suppress(PKCS11Error):
                session.close()

    def _session(self) -> Session:
        """The process's logged-in session on this token (opened on first use). Lock held."""
        if _state.pid != os.getpid():
            # A forked child: the library state and session handles are the parent's copies.
            _state.sessions.clear()
            for lib in _state.libraries.values():
                if lib.initialized:
                    with suppress(PKCS11Error):
                        lib.finalize()
                lib.initialize()
            _state.pid = os.getpid()
        key = (self.library, self.token_label)
        session = _state.sessions.get(key)
        if session is None:
            session = self._open()
            _state.sessions[key] = session
        return session

    def _open(self) -> Session:
        try:
            lib = _state.libraries.get(self.library) or pkcs11.lib(self.library)
        except (OSError, RuntimeError) as exc:  # PKCS11Error is a RuntimeError
            raise KeyManagerError(f"Cannot load the PKCS#11 library {self.library}.") from exc
        _state.libraries[self.library] = lib
        try:
            token = lib.get_token(token_label=self.token_label)
        except (NoSuchToken, MultipleTokensReturned) as exc:
            raise KeyManagerError(f"No single PKCS#11 token labelled {self.token_label!r}.") \
                from exc
        try:
            session: Session = token.open(rw=True, user_pin=self._pin.reveal())
        except PKCS11Error as exc:  # PinIncorrect, PinLocked, UserAlreadyLoggedIn...
            raise KeyManagerError(f"Cannot log in to the PKCS#11 token {self.token_label!r} "
                                  f"({type(exc).__name__}).") from None
        return session


def _objects(session: Session, label: str,
             search: dict[Attribute, Any] | None = None) -> list[Object]:
    """Every secret key labelled `label` (or matching `search` too).

    Always a list: an unfinished python-pkcs11 search keeps the session's operation lock.
    """
    base = search if search is not None else {Attribute.CLASS: ObjectClass.SECRET_KEY}
    return list(session.get_objects({**base, Attribute.LABEL: label}))


def _kek(session: Session, label: str) -> Object:
    found = _objects(session, label, _KEK_SEARCH)
    if not found:
        raise KeyNotFound(f"No KEK labelled {label!r} in the token.")
    if len(found) > 1:
        raise KeyManagerError(f"Several KEKs are labelled {label!r}; refusing to guess.")
    return found[0]
