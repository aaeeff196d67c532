"""Key loading: mode/owner checks, one-line errors, and no key material in any text."""

from __future__ import annotations

import os
import pickle

import pytest
from eth_account import Account
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.errors import UserError
from appliance.execution.errors import KeyFileError
from appliance.execution.keys import Signer, load_signer

KEY = "0x" + keccak(text="arb-appliance test key").hex()  # derived: no key in the repo


def _write(tmp_path, text, mode=0o600):
    path = tmp_path / "k.key"
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_loads_a_good_key_and_never_shows_it(tmp_path):
    signer = load_signer(_write(tmp_path, KEY + "\n"))
    assert signer.address == Account.from_key(KEY).address
    for text in (repr(signer), str(signer), f"{signer}", f"{signer!r}"):
        assert KEY[2:] not in text and KEY[2:].upper() not in text
        assert signer.address in text
    assert not hasattr(signer, "__dict__")
    with pytest.raises(TypeError):
        pickle.dumps(signer)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o666])
def test_refuses_group_or_other_bits(tmp_path, mode):
    path = _write(tmp_path, KEY, mode)
    with pytest.raises(KeyFileError) as info:
        load_signer(path)
    assert isinstance(info.value, UserError)
    assert f"{mode:04o}" in str(info.value) and "\n" not in str(info.value)
    assert KEY[2:] not in str(info.value)


def test_refuses_a_file_owned_by_someone_else(tmp_path):
    path = _write(tmp_path, KEY)
    if os.geteuid() != 0:
        pytest.skip("chown needs root")
    os.chown(path, 12345, 12345)
    with pytest.raises(KeyFileError, match="owned by uid 12345"):
        load_signer(path)


def test_refuses_a_missing_file(tmp_path):
    with pytest.raises(KeyFileError, match="does not exist"):
        load_signer(tmp_path / "nope.key")


@pytest.mark.parametrize(
    "text",
    [
        KEY[:-1] + "g",  # not hex
        KEY[:-2],  # short
        KEY + "\n" + KEY,  # two lines
        "0x" + "0" * 64,  # not a valid secp256k1 scalar
        "",
    ],
)
def test_malformed_keys_are_described_without_their_content(tmp_path, text):
    path = _write(tmp_path, text)
    with pytest.raises(KeyFileError) as info:
        load_signer(path)
    msg = str(info.value)
    assert "\n" not in msg
    for chunk in {text[i : i + 12] for i in range(2, max(3, len(text) - 12), 6)} - {""}:
        assert chunk not in msg
    assert (
        info.value.__cause__ is None and info.value.__context__ is None
    ) or info.value.__suppress_context__


def test_signer_signs_what_eth_account_signs(tmp_path):
    signer = Signer(Account.from_key(KEY))
    tx = {
        "chainId": 1,
        "nonce": 3,
        "to": signer.address,
        "value": 0,
        "data": b"",
        "gas": 21000,
        "maxFeePerGas": 10,
        "maxPriorityFeePerGas": 1,
    }
    signed = signer.sign(tx)
    ref = Account.sign_transaction(tx, KEY)
    assert signed.raw == bytes(ref.raw_transaction)
    assert signed.hash == "0x" + bytes(ref.hash).hex() and signed.nonce == 3


@settings(max_examples=60, deadline=None)
@given(
    chain_id=st.integers(1, 2**32),
    nonce=st.integers(0, 2**40),
    fee=st.integers(0, 10**15),
    tip=st.integers(0, 10**12),
    gas=st.integers(21_000, 30_000_000),
    value=st.integers(0, 10**24),
    data=st.binary(max_size=300),
    legacy=st.booleans(),
    create=st.booleans(),
)
def test_fast_signing_is_byte_identical_to_eth_account(
    chain_id, nonce, fee, tip, gas, value, data, legacy, create
):
    signer = Signer(Account.from_key(KEY))
    tx = {"chainId": chain_id, "nonce": nonce, "value": value, "data": data, "gas": gas}
    if not create:
        tx["to"] = "0x3333333333333333333333333333333333333333"
    tx.update(
        {"gasPrice": fee} if legacy else {"maxFeePerGas": fee + tip, "maxPriorityFeePerGas": tip}
    )
    ref = Account.sign_transaction(tx, KEY)
    ours = signer._sign_fast({**tx, "to": tx.get("to")}) if create else signer.sign(tx)
    assert ours.raw == bytes(ref.raw_transaction)
    assert ours.hash == "0x" + bytes(ref.hash).hex()
