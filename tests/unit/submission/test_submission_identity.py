"""The searcher identity: its own 0600 key file, never the trading key, never shown."""

from __future__ import annotations

import os

import pytest
from eth_utils import keccak

from appliance.submission.errors import SearcherKeyError
from appliance.submission.identity import SearcherIdentity, verify_signature

KEY = "0x" + keccak(text="arb-appliance test: relay identity").hex()  # derived, no literal
TRADING = "0x" + keccak(text="arb-appliance test: trading key").hex()


def write(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_signs_the_exact_body_and_hides_the_key(tmp_path):
    ident = SearcherIdentity.from_file(write(tmp_path / "id.key", KEY + "\n"))
    header = ident.sign(b"body")
    assert verify_signature(header, b"body") == ident.address
    assert verify_signature(header, b"body!") is None
    assert verify_signature("nonsense", b"body") is None
    assert KEY[2:] not in repr(ident) and KEY[2:] not in str(ident)


@pytest.mark.parametrize(
    ("content", "mode", "needle"),
    [
        (KEY, 0o644, "must not be readable by others"),
        ("0x1234", 0o600, "not a 32-byte hex key"),
        ("", 0o600, "not a 32-byte hex key"),
    ],
)
def test_bad_identity_files_are_one_line(tmp_path, content, mode, needle):
    with pytest.raises(SearcherKeyError, match=needle) as err:
        SearcherIdentity.from_file(write(tmp_path / "id.key", content, mode))
    assert "\n" not in str(err.value) and (content[2:] == "" or content[2:] not in str(err.value))


def test_the_trading_key_is_refused_as_identity(tmp_path):
    trading = write(tmp_path / "trading.key", TRADING)
    with pytest.raises(SearcherKeyError, match="separate key"):
        SearcherIdentity.from_file(write(tmp_path / "id.key", TRADING), trading_key_file=trading)
    assert SearcherIdentity.from_file(write(tmp_path / "id2.key", KEY), trading_key_file=trading)


def test_a_missing_file_names_the_setting(tmp_path):
    with pytest.raises(SearcherKeyError, match=r"execution\.searcher_key_file"):
        SearcherIdentity.from_file(tmp_path / "absent.key")
