"""What the subscriptions told about a block: the bloom test over the watched pools, and the
Sync/Swap logs that came before the head (``StreamedBlocks``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.chain.bloom import bloom_bits, may_contain
from appliance.chain.reserves import SWAP_TOPIC, SYNC_TOPIC
from appliance.chain.stream import StreamedBlocks, WatchedPools
from appliance.chain.values import Log

ADDRESSES = [f"0x{i:040x}" for i in range(1, 301)]
BLOCK = "0x" + "ab" * 32


@settings(max_examples=60, deadline=None)
@given(
    logged=st.lists(st.sampled_from(ADDRESSES), max_size=40),
    noise=st.integers(min_value=0, max_value=2**2048 - 1),
    dense=st.booleans(),
)
def test_admitted_is_exactly_the_pools_the_bloom_may_contain(logged, noise, dense):
    watched = WatchedPools(ADDRESSES)
    bloom = 0
    for address in logged:
        bloom |= watched.masks[address]
    if dense:  # a crowded block: many bits set, false positives likely
        bloom |= noise
    expected = [a for a in ADDRESSES if may_contain(bloom, watched.masks[a])]
    assert watched.admitted(bloom) == expected
    assert set(logged) <= set(expected)  # never a false negative


def swap_log(address: str, index: int) -> Log:
    return Log(address, (SWAP_TOPIC,), b"\x00" * 128, 7, BLOCK, index, "0x" + "cd" * 32)


def test_logs_before_the_head_give_reserves_and_swaps_without_a_request():
    pools = ADDRESSES[:50]
    blocks = StreamedBlocks(WatchedPools(pools))
    a, b = pools[3], pools[17]
    blocks.add_log(BLOCK, a, 0, 10, 20)
    blocks.add_swap(swap_log(a, 1))
    blocks.add_log(BLOCK, b, 2, 30, 40)
    blocks.add_swap(swap_log(b, 3))
    bloom = bloom_bits(bytes.fromhex(SYNC_TOPIC[2:])) | bloom_bits(bytes.fromhex(SWAP_TOPIC[2:]))
    for address in (a, b):
        bloom |= bloom_bits(bytes.fromhex(address[2:]))
    blocks.add_head(BLOCK, bloom)
    assert blocks.reserves(BLOCK, pools) == {a: (10, 20), b: (30, 40)}
    assert [(s.address, s.log_index) for s in blocks.swaps(BLOCK, pools)] == [(a, 1), (b, 3)]
    assert blocks.swaps(BLOCK, [a]) == (swap_log(a, 1),)


def test_a_log_still_in_flight_leaves_the_block_to_a_request():
    pools = ADDRESSES[:50]
    blocks = StreamedBlocks(WatchedPools(pools))
    a, b = pools[3], pools[17]
    blocks.add_log(BLOCK, a, 0, 10, 20)
    bloom = bloom_bits(bytes.fromhex(SYNC_TOPIC[2:]))
    for address in (a, b):
        bloom |= bloom_bits(bytes.fromhex(address[2:]))
    blocks.add_head(BLOCK, bloom)
    assert blocks.reserves(BLOCK, pools) is None  # b's Sync came after the head (or never)
    assert blocks.reserves(BLOCK, [*pools, ADDRESSES[200]]) is None  # an unsubscribed pool


def test_a_second_sync_after_the_head_leaves_the_block_to_a_request():
    """A pool swapped twice in one block: its first Sync before the head, the second after it
    but before the block was applied. The logs before the head are stale for that pool: the
    block must be read by a request (before: the stale first Sync was applied, unflagged, and
    the periodic full refresh reported "Sync-log reserves disagree")."""
    pools = ADDRESSES[:50]
    blocks = StreamedBlocks(WatchedPools(pools))
    a = pools[3]
    blocks.add_log(BLOCK, a, 0, 10, 20)
    bloom = bloom_bits(bytes.fromhex(SYNC_TOPIC[2:])) | bloom_bits(bytes.fromhex(a[2:]))
    blocks.add_head(BLOCK, bloom)
    blocks.add_log(BLOCK, a, 2, 11, 19)
    assert blocks.reserves(BLOCK, pools) is None
    assert not blocks.late  # never applied: nothing to refresh


def test_a_swap_after_the_head_leaves_the_block_to_a_request():
    pools = ADDRESSES[:50]
    blocks = StreamedBlocks(WatchedPools(pools))
    a = pools[3]
    blocks.add_log(BLOCK, a, 0, 10, 20)
    bloom = bloom_bits(bytes.fromhex(SYNC_TOPIC[2:])) | bloom_bits(bytes.fromhex(SWAP_TOPIC[2:]))
    blocks.add_head(BLOCK, bloom | bloom_bits(bytes.fromhex(a[2:])))
    blocks.add_swap(swap_log(a, 1))
    assert blocks.reserves(BLOCK, pools) is None
