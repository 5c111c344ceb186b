"""The PKCS#11 key manager on SoftHSM2: KEKs that cannot leave the token, sessions, fork."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from security.kms import KeyExists, KeyManagerError, KeyNotFound
from security.kms import pkcs11 as kms_pkcs11
from tests.kms.conftest import new_label

pytestmark = pytest.mark.hsm

DEK = os.urandom(32)
AAD = b"bank-dek|k00|test"


@pytest.fixture
def hsm(softhsm: Any) -> Any:
    return softhsm.manager()


@contextmanager
def token_key(manager: Any, label: str) -> Iterator[Any]:
    """The one secret key labelled `label`, straight from the token (any flags)."""
    from pkcs11 import Attribute, ObjectClass

    with manager.locked_session() as session:
        found = list(session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY,
                                          Attribute.LABEL: label}))
        assert len(found) == 1
        yield found[0]


def plant_key(manager: Any, label: str, **template: Any) -> None:
    """A token key made behind the manager's back (another tool, an attacker, a race)."""
    from pkcs11 import Attribute, KeyType, MechanismFlag

    with manager.locked_session() as session:
        session.generate_key(KeyType.AES, 256, label=label, store=True,
                             capabilities=MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT,
                             template={getattr(Attribute, k): v for k, v in template.items()})


def test_kek_attributes(hsm):
    from pkcs11 import Attribute, KeyType

    label = new_label()
    hsm.kek_create(label)
    with token_key(hsm, label) as key:
        assert key[Attribute.KEY_TYPE] == KeyType.AES
        assert key[Attribute.VALUE_LEN] == 32
        assert key[Attribute.TOKEN] is True
        assert key[Attribute.PRIVATE] is True
        assert key[Attribute.SENSITIVE] is True
        assert key[Attribute.ALWAYS_SENSITIVE] is True
        assert key[Attribute.EXTRACTABLE] is False
        assert key[Attribute.NEVER_EXTRACTABLE] is True
        assert key[Attribute.LOCAL] is True  # generated inside the token, never imported
        assert key[Attribute.MODIFIABLE] is False
        assert key[Attribute.COPYABLE] is False
        assert key[Attribute.ENCRYPT] is True
        assert key[Attribute.DECRYPT] is True
        for capability in ("WRAP", "UNWRAP", "SIGN", "VERIFY", "DERIVE"):
            assert key[getattr(Attribute, capability)] is False, capability


def test_kek_value_cannot_be_read(hsm):
    from pkcs11 import Attribute
    from pkcs11.exceptions import AttributeSensitive

    label = new_label()
    hsm.kek_create(label)
    with token_key(hsm, label) as key, pytest.raises(AttributeSensitive):
        key[Attribute.VALUE]


@pytest.mark.parametrize(("attribute", "value"),
                         [("EXTRACTABLE", True), ("SENSITIVE", False), ("WRAP", True)])
def test_kek_cannot_be_made_exportable(hsm, attribute, value):
    from pkcs11 import Attribute
    from pkcs11.exceptions import PKCS11Error

    label = new_label()
    hsm.kek_create(label)
    with token_key(hsm, label) as key:
        # Not MODIFIABLE: SoftHSM2 answers CKR_ACTION_PROHIBITED (python-pkcs11 0.10.1 has
        # no class for it); a modifiable key would still refuse EXTRACTABLE with
        # CKR_ATTRIBUTE_READ_ONLY.
        with pytest.raises(PKCS11Error):
            key[getattr(Attribute, attribute)] = value
        assert key[Attribute.EXTRACTABLE] is False
        assert key[Attribute.SENSITIVE] is True
        assert key[Attribute.WRAP] is False


@pytest.mark.parametrize("mechanism", ["AES_KEY_WRAP", "AES_KEY_WRAP_PAD"])
def test_kek_cannot_be_wrapped_out_by_another_key(hsm, mechanism):
    from pkcs11 import KeyType, Mechanism, MechanismFlag
    from pkcs11.exceptions import KeyUnextractable

    label = new_label()
    hsm.kek_create(label)
    with token_key(hsm, label) as kek:
        wrapper = kek.session.generate_key(
            KeyType.AES, 256, label=new_label("wrapper"), store=False,
            capabilities=MechanismFlag.WRAP | MechanismFlag.UNWRAP)
        try:
            with pytest.raises(KeyUnextractable):
                wrapper.wrap_key(kek, mechanism=getattr(Mechanism, mechanism))
        finally:
            wrapper.destroy()


@pytest.mark.parametrize("changes", [{}, {"EXTRACTABLE": True}, {"LABEL": "twin"}])
def test_kek_cannot_be_copied(hsm, changes):
    from pkcs11 import Attribute
    from pkcs11.exceptions import PKCS11Error

    label = new_label()
    hsm.kek_create(label)
    with token_key(hsm, label) as key, pytest.raises(PKCS11Error):
        key.copy({getattr(Attribute, k): v for k, v in changes.items()})
    hsm.kek_destroy(label)
    assert label not in hsm.kek_labels()


def test_kek_is_a_token_object(softhsm, hsm):
    """It outlives the session and the library, and another process sees it."""
    label = new_label()
    hsm.kek_create(label)
    blob = hsm.wrap(label, DEK, aad=AAD)
    kms_pkcs11.shutdown()  # logs out, closes the session, C_Finalize
    assert softhsm.manager().unwrap(label, blob, aad=AAD) == DEK

    code = (
        "import os, pkcs11\n"
        "from pkcs11 import Attribute as A, ObjectClass\n"
        "lib = pkcs11.lib(os.environ['T_LIB'])\n"
        "with lib.get_token(token_label=os.environ['T_TOKEN']).open(user_pin=os.environ['T_PIN']) as s:\n"
        "    keys = list(s.get_objects({A.CLASS: ObjectClass.SECRET_KEY, A.LABEL: os.environ['T_KEK']}))\n"
        "    print(len(keys), keys[0][A.TOKEN], keys[0][A.EXTRACTABLE])\n"
    )
    env = {**os.environ, "T_LIB": softhsm.library, "T_TOKEN": softhsm.token_label,
           "T_PIN": softhsm.pin, "T_KEK": label}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "True", "False"]


def test_kek_create_fails_closed_when_the_key_is_not_locked_down(hsm, monkeypatch):
    from pkcs11 import Attribute

    monkeypatch.setitem(kms_pkcs11._KEK_TEMPLATE, Attribute.EXTRACTABLE, True)
    label = new_label()
    with pytest.raises(KeyManagerError, match="non-extractable"):
        hsm.kek_create(label)
    monkeypatch.undo()
    with hsm.locked_session() as session:
        assert not list(session.get_objects({Attribute.LABEL: label}))  # destroyed, not left


def test_an_extractable_key_under_a_kek_label_is_never_used(hsm):
    label = new_label()
    plant_key(hsm, label, EXTRACTABLE=True, SENSITIVE=False)
    assert not hsm.kek_exists(label)
    assert label not in hsm.kek_labels()
    with pytest.raises(KeyNotFound):
        hsm.wrap(label, DEK, aad=AAD)
    with pytest.raises(KeyExists):
        hsm.kek_create(label)  # the label is taken all the same
    hsm.kek_destroy(label)
    hsm.kek_create(label)
    assert hsm.kek_exists(label)


def test_two_keks_with_one_label_are_refused(hsm):
    """What a cross-process create race could leave: never guess which one."""
    label = new_label()
    plant_key(hsm, label, EXTRACTABLE=False)
    plant_key(hsm, label, EXTRACTABLE=False)
    with pytest.raises(KeyManagerError, match="Several") as caught:
        hsm.wrap(label, DEK, aad=AAD)
    assert not isinstance(caught.value, KeyNotFound)
    hsm.kek_destroy(label)  # destroys every copy
    assert not hsm.kek_exists(label)


# python-pkcs11 also reports the failed search's cleanup on the dead session as "Exception
# ignored in OperationContext.__del__": noise, not a failure.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_lost_session_is_reopened(hsm):
    label = new_label()
    hsm.kek_create(label)
    with hsm.locked_session() as session:
        session.close()  # as if the HSM had dropped it
    assert hsm.unwrap(label, hsm.wrap(label, DEK, aad=AAD), aad=AAD) == DEK


def test_a_dropped_login_does_not_look_like_shredding(hsm):
    """Private objects vanish from a logged-out session: log in again before saying 'gone'."""
    label = new_label()
    hsm.kek_create(label)
    blob = hsm.wrap(label, DEK, aad=AAD)
    with hsm.locked_session() as logged_in:
        anonymous = logged_in.token.open(rw=True)  # valid, and shares the login...
        kms_pkcs11._state.sessions[(hsm.library, hsm.token_label)] = anonymous
        logged_in.close()  # ...until C_Logout logs the whole application out
    assert hsm.unwrap(label, blob, aad=AAD) == DEK
    assert hsm.kek_exists(label)


def test_managers_share_the_login(softhsm, hsm):
    """Login is per application: a second manager must not log in again (USER_ALREADY_LOGGED_IN)."""
    label = new_label()
    hsm.kek_create(label)
    other = softhsm.manager()
    assert other.unwrap(label, hsm.wrap(label, DEK, aad=AAD), aad=AAD) == DEK


def test_a_forked_child_opens_its_own_session(hsm):
    """gunicorn and celery prefork: the child re-initialises the library before using it."""
    label = new_label()
    hsm.kek_create(label)
    blob = hsm.wrap(label, DEK, aad=AAD)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return into pytest
        status = 1
        try:
            os.close(read_end)
            ok = (hsm.unwrap(label, blob, aad=AAD) == DEK
                  and hsm.unwrap(label, hsm.wrap(label, DEK, aad=b"child"), aad=b"child") == DEK
                  and kms_pkcs11._state.pid == os.getpid())
            os.write(write_end, b"ok" if ok else b"wrong result")
            status = 0
        except BaseException as exc:
            os.write(write_end, repr(exc).encode()[:500])
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        said = pipe.read()
    _, wait_status = os.waitpid(pid, 0)
    assert said == b"ok"
    assert os.waitstatus_to_exitcode(wait_status) == 0
    assert hsm.unwrap(label, blob, aad=AAD) == DEK  # the parent's session is untouched


def test_the_pin_is_never_shown(softhsm, caplog):
    wrong_pin = "wrong-" + secrets.token_hex(8)
    manager = kms_pkcs11.Pkcs11KeyManager(library=softhsm.library,
                                          token_label=softhsm.token_label, pin=wrong_pin)
    kms_pkcs11.shutdown()  # no shared login: this manager must log in itself
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(KeyManagerError) as caught:
            manager.kek_labels()
    finally:
        kms_pkcs11.shutdown()
    shown = [str(caught.value), repr(caught.value), repr(manager), repr(vars(manager)),
             caplog.text]
    cause = caught.value.__cause__ or caught.value.__context__
    while cause is not None:
        shown.append(repr(cause))
        cause = cause.__cause__ or cause.__context__
    for text in shown:
        assert wrong_pin not in text
        assert softhsm.pin not in text
    assert "PinIncorrect" in str(caught.value)
    assert softhsm.manager().kek_labels() is not None  # the right PIN still works


def test_unknown_token_or_library(softhsm):
    no_token = kms_pkcs11.Pkcs11KeyManager(library=softhsm.library, token_label="no-such-token",
                                           pin=softhsm.pin)
    with pytest.raises(KeyManagerError, match="no-such-token"):
        no_token.kek_labels()
    no_library = kms_pkcs11.Pkcs11KeyManager(library="/nonexistent/libpkcs11.so",
                                             token_label=softhsm.token_label, pin=softhsm.pin)
    with pytest.raises(KeyManagerError, match="library"):
        no_library.kek_labels()
