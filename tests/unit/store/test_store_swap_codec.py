"""The swap_blocks BLOB encoding: exact round trips (hypothesis), malformed rows refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.events import SwapRecord
from appliance.store.errors import StoreError
from appliance.store.swap_codec import StoredSwap, decode_swaps, encode_swaps

ADDRESSES = [f"0x{i:040x}" for i in (1, 2, 3, 2**159)]
TXS = [f"0x{i:064x}" for i in (5, 6, 2**255)]
AMOUNTS = st.integers(min_value=-(2**255), max_value=2**256 - 1)


@st.composite
def blocks(draw):
    n = draw(st.integers(0, 12))
    txs = {tx: draw(st.sampled_from([None, *ADDRESSES])) for tx in TXS}  # tx.from per tx
    out = []
    for i in range(n):
        tx = draw(st.sampled_from(TXS))
        out.append(
            SwapRecord(
                tx_hash=tx,
                log_index=i * draw(st.integers(1, 300)),
                pool=ADDRESSES[0],
                sender=draw(st.sampled_from(ADDRESSES)),
                recipient=draw(st.sampled_from(ADDRESSES)),
                zero_for_one=draw(st.booleans()),
                amount_in=draw(AMOUNTS),
                amount_out=draw(AMOUNTS),
                tx_sender=txs[tx],
            )
        )
    ids = [draw(st.integers(1, 2**40)) for _ in out]
    return out, ids


@given(blocks())
def test_a_block_of_swaps_round_trips_exactly(block):
    swaps, ids = block
    decoded = decode_swaps(encode_swaps(swaps, ids))
    assert decoded == [
        StoredSwap(
            s.tx_hash,
            s.log_index,
            pid,
            s.zero_for_one,
            s.amount_in,
            s.amount_out,
            s.sender,
            s.recipient,
            s.tx_sender,
        )
        for s, pid in zip(swaps, ids, strict=True)
    ]


def test_repeated_hashes_and_addresses_are_stored_once():
    one = SwapRecord(TXS[0], 0, ADDRESSES[0], ADDRESSES[1], ADDRESSES[2], True, 10**18, 3, None)
    hop = SwapRecord(TXS[0], 1, ADDRESSES[0], ADDRESSES[1], ADDRESSES[1], False, 3, 10**18, None)
    single = len(encode_swaps([one], [1]))
    assert len(encode_swaps([one, hop], [1, 2])) - single < 20  # the second hop: ~16 bytes


@pytest.mark.parametrize(
    "blob", [b"", b"\x02", b"\x01\x01", b"\x01\x00\x00\x01\x00", b"\x01\x00\x00\x00\x00"]
)
def test_a_malformed_row_is_refused_with_one_line(blob):
    with pytest.raises(StoreError, match="swap_blocks row is malformed"):
        decode_swaps(blob)
