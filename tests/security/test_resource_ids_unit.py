"""ResourceIds: the AES-SIV construction behind every public ID."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from security.keys import decode_resource_id_key
from security.resource_ids import ResourceIds, ResourceKind, echoable_id

IDS = ResourceIds(customer_key="42", software_product_id="sp-1")


def test_round_trip_and_determinism():
    public = IDS.encode(ResourceKind.ACCOUNT, 7)
    assert public == IDS.encode(ResourceKind.ACCOUNT, 7)
    assert IDS.decode(ResourceKind.ACCOUNT, public) == 7
    assert len(public) == 32


@pytest.mark.parametrize(
    "other",
    [
        ResourceIds(customer_key="43", software_product_id="sp-1"),
        ResourceIds(customer_key="42", software_product_id="sp-2"),
        # No ambiguity from joining fields: "4"+"2sp-1" is not "42"+"sp-1".
        ResourceIds(customer_key="4", software_product_id="2sp-1"),
    ],
)
def test_other_customer_or_product_neither_matches_nor_decodes(other):
    public = IDS.encode(ResourceKind.ACCOUNT, 7)
    assert other.encode(ResourceKind.ACCOUNT, 7) != public
    assert other.decode(ResourceKind.ACCOUNT, public) is None


def test_every_single_character_change_fails_authentication():
    public = IDS.encode(ResourceKind.TRANSACTION, 123456)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for i in range(len(public)):
        for replacement in (alphabet[(alphabet.index(public[i]) + 1) % 64],):
            tampered = public[:i] + replacement + public[i + 1:]
            assert IDS.decode(ResourceKind.TRANSACTION, tampered) is None


@pytest.mark.parametrize("bad", ["", "short", "x" * 31, "x" * 33, "=" * 32, "é" * 32, "A" * 32, None, 5])
def test_malformed_ids_decode_to_nothing(bad):
    assert IDS.decode(ResourceKind.ACCOUNT, bad) is None
    assert IDS.decode_or_no_row(ResourceKind.ACCOUNT, bad) == 0


def test_zero_and_negative_keys_are_not_encoded():
    with pytest.raises(ValueError):
        IDS.encode(ResourceKind.ACCOUNT, 0)


def test_echoable_id_repeats_only_our_shape():
    public = IDS.encode(ResourceKind.PAYEE, 1)
    assert echoable_id(public, name="payeeId") == public
    assert echoable_id("<script>alert(1)</script>", name="payeeId") == "payeeId"


@pytest.mark.parametrize("text", ["", "abc", base64.urlsafe_b64encode(b"k" * 32).decode(), "not base64 at all!"])
def test_bad_keys_are_refused(text):
    with pytest.raises(ImproperlyConfigured):
        decode_resource_id_key(text)


def test_a_good_key_is_accepted():
    key = base64.urlsafe_b64encode(bytes(range(64))).decode().rstrip("=")
    assert decode_resource_id_key(key) == bytes(range(64))
