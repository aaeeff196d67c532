"""Pool reserves pinned to one block: from ``Sync`` logs (one round trip) or a full refresh.

* :func:`fetch_reserves_by_logs` — ``eth_getLogs`` for one block (by hash: exact under reorgs),
  topic ``Sync``, addresses chunked; the last ``Sync`` of a pool in the block is its reserves.
  Only pools that changed in the block appear.
* :func:`fetch_reserves_full` — ``getReserves()`` of every pool, pinned to the block (EIP-1898
  for hashes): a JSON-RPC batch of ``eth_call``, or Multicall3 ``aggregate3`` where configured,
  chunked; chunks are fetched concurrently.

Both paths must agree; the full refresh runs at start, after reorgs and periodically as a check.

Log-driven pools (Uniswap V3, :mod:`appliance.market.kinds`) ride on the same logs request (their
``Swap``/``Mint``/``Burn`` topics are added to it); :func:`fetch_pool_states` turns a block's
state logs into a ``PoolStatesUpdated``, reading a pool's snapshot again (batched, pinned to the
block) only at a full refresh or when its price left the fetched tick window.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import trio
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

from appliance.chain.errors import ChainDataError, ChainError, MalformedResponse, RpcError
from appliance.chain.pool import RpcPool
from appliance.chain.rpc import RpcClient
from appliance.chain.values import Log, block_ref, to_data
from appliance.events import PoolInfo, PoolStatesUpdated
from appliance.market.kinds import StateTracker, pool_kind

__all__ = [
    "GET_RESERVES",
    "SWAP_TOPIC",
    "SYNC_TOPIC",
    "decode_reserves",
    "fetch_pool_states",
    "fetch_reserves_by_logs",
    "fetch_reserves_full",
    "fetch_swap_logs",
    "split_by_state",
]

log = logging.getLogger(__name__)

SYNC_TOPIC = "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"
# Swap(address,uint256,uint256,uint256,uint256,address): who traded (market intelligence)
SWAP_TOPIC = "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"
GET_RESERVES = bytes.fromhex("0902f1ac")
AGGREGATE3 = bytes.fromhex("82ad56cb")
_UINT112 = 2**112

LOG_ADDRESS_CHUNK = 1000
BATCH_CHUNK = 250
MULTICALL_CHUNK = 500


def _addresses(pools: Sequence[str | PoolInfo]) -> list[str]:
    return [p.address if isinstance(p, PoolInfo) else p for p in pools]


def decode_reserves(data: bytes, where: str = "getReserves") -> tuple[int, int]:
    """(reserve0, reserve1) from ``getReserves()`` return data or ``Sync`` log data."""
    if len(data) not in (64, 96):
        raise ChainDataError(f"{where}: {len(data)} bytes of reserves data, expected 64 or 96")
    r0, r1 = int.from_bytes(data[0:32], "big"), int.from_bytes(data[32:64], "big")
    if r0 >= _UINT112 or r1 >= _UINT112:
        raise ChainDataError(f"{where}: reserves {r0}, {r1} exceed uint112")
    return r0, r1


async def fetch_reserves_by_logs(
    rpc: RpcPool,
    block_number_or_hash: int | str,
    pools: Sequence[str | PoolInfo],
    *,
    chunk: int = LOG_ADDRESS_CHUNK,
    swaps: list[Log] | None = None,
    topics: Sequence[str] = (SYNC_TOPIC,),
    state_logs: list[Log] | None = None,
    state_topics: Sequence[str] = (),
) -> dict[str, tuple[int, int]]:
    """Reserves of the pools that emitted ``Sync`` in one block (pool address -> reserves).

    ``swaps``: when given, the same request also asks for the pools' ``Swap`` logs (market
    intelligence) and appends them to it — no second request per block. ``topics``: the Sync
    topic alone; :func:`fetch_swap_logs` asks for the Swap topic alone. ``state_topics``: the
    log-driven pools' state logs (V3 ``Swap``/``Mint``/``Burn``), asked in the same request and
    appended to ``state_logs`` in log order.
    """
    addresses = _addresses(pools)
    watched = set(addresses)
    by_hash = isinstance(block_number_or_hash, str) and len(block_number_or_hash) == 66
    wanted = tuple(topics) + ((SWAP_TOPIC,) if swaps is not None else ())
    state = frozenset(state_topics) if state_logs is not None else frozenset()
    wanted += tuple(sorted(state))
    first = wanted[0] if len(wanted) == 1 else list(wanted)
    out: dict[str, tuple[int, int, int]] = {}  # address -> (log index, r0, r1)
    for start in range(0, len(addresses), chunk):
        part = addresses[start : start + chunk]
        if by_hash:
            logs = await rpc.get_logs(address=part, topics=[first], block_hash=block_number_or_hash)
        else:
            logs = await rpc.get_logs(
                address=part,
                topics=[first],
                from_block=block_number_or_hash,
                to_block=block_number_or_hash,
            )
        for entry in logs:
            if (
                entry.removed
                or entry.address not in watched
                or entry.topics[:1] not in {(t,) for t in wanted}
            ):
                raise ChainDataError(
                    f"eth_getLogs returned an unrequested log {entry.address} {entry.topics[:1]}"
                )
            if by_hash and entry.block_hash != block_number_or_hash.lower():
                raise ChainDataError(
                    f"eth_getLogs for {block_number_or_hash} returned a log of {entry.block_hash}"
                )
            if not by_hash and entry.block_number != block_number_or_hash:
                raise ChainDataError(
                    f"eth_getLogs for {block_number_or_hash} returned a log of {entry.block_number}"
                )
            if entry.topics[0] == SWAP_TOPIC:
                if swaps is not None:
                    swaps.append(entry)
                continue
            if entry.topics[0] in state:
                state_logs.append(entry)  # type: ignore[union-attr]
                continue
            r0, r1 = decode_reserves(entry.data, f"Sync log of {entry.address}")
            previous = out.get(entry.address)
            if previous is None or entry.log_index > previous[0]:
                out[entry.address] = (entry.log_index, r0, r1)
    if state_logs is not None:
        state_logs.sort(key=lambda e: e.log_index)
    return {address: (r0, r1) for address, (_, r0, r1) in out.items()}


async def fetch_swap_logs(
    rpc: RpcPool, block_hash: str, pools: Sequence[str | PoolInfo]
) -> list[Log]:
    """The pools' ``Swap`` logs of one block, when the reserves came another way (streamed, or
    a full refresh): one request, validated as :func:`fetch_reserves_by_logs` validates."""
    found: list[Log] = []
    await fetch_reserves_by_logs(rpc, block_hash, pools, swaps=found, topics=())
    return found


async def fetch_reserves_full(
    rpc: RpcPool,
    block: int | str,
    pools: Sequence[str | PoolInfo],
    *,
    multicall: str | None = None,
    chunk: int | None = None,
) -> dict[str, tuple[int, int]]:
    """Reserves of every pool at ``block`` (number or hash). A pool whose ``getReserves()``
    reverts (not a pair) is left out and logged."""
    addresses = _addresses(pools)
    size = chunk or (MULTICALL_CHUNK if multicall else BATCH_CHUNK)
    parts = [addresses[i : i + size] for i in range(0, len(addresses), size)]
    results: list[dict[str, tuple[int, int]]] = [{} for _ in parts]
    failed: list[ChainError] = []

    async def one(i: int, scope: trio.CancelScope) -> None:
        try:
            if multicall:
                results[i] = await _by_multicall(rpc, block, parts[i], multicall)
            else:
                results[i] = await _by_batch(rpc, block, parts[i])
        except ChainError as exc:  # raised bare below, not wrapped in an ExceptionGroup
            failed.append(exc)
            scope.cancel()

    async with trio.open_nursery() as nursery:
        for i in range(len(parts)):
            nursery.start_soon(one, i, nursery.cancel_scope)
    if failed:
        raise failed[0]
    merged: dict[str, tuple[int, int]] = {}
    for part in results:
        merged.update(part)
    return merged


async def _by_batch(
    rpc: RpcPool, block: int | str, addresses: list[str]
) -> dict[str, tuple[int, int]]:
    ref = block_ref(block)
    requests = [
        ("eth_call", [{"to": a, "data": "0x" + GET_RESERVES.hex()}, ref]) for a in addresses
    ]

    async def op(client: RpcClient) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for address, raw in zip(addresses, await client.batch(requests), strict=True):
            if isinstance(raw, RpcError):
                if raw.retryable:
                    raise raw  # e.g. the endpoint lacks the block's state: another may have it
                log.warning("getReserves of %s failed: %s", address, raw)
                continue
            data = to_data(client.host, "eth_call", raw)
            try:
                out[address] = decode_reserves(data, f"getReserves of {address}")
            except ChainDataError as exc:
                if not data:  # no code at the address
                    log.warning("getReserves of %s returned nothing (not a contract)", address)
                    continue
                raise MalformedResponse(client.host, "eth_call", str(exc)) from None
        return out

    return await rpc.run(f"batch[{len(requests)}]", op)


async def _by_multicall(
    rpc: RpcPool, block: int | str, addresses: list[str], multicall: str
) -> dict[str, tuple[int, int]]:
    calls = [(a, True, GET_RESERVES) for a in addresses]
    data = AGGREGATE3 + abi_encode(["(address,bool,bytes)[]"], [calls])
    raw = await rpc.eth_call(multicall, data, block)
    try:
        (results,) = abi_decode(["(bool,bytes)[]"], raw)
    except Exception as exc:  # eth-abi's decoding family
        raise ChainDataError(
            f"aggregate3 answer of {len(raw)} bytes does not decode: {exc}"
        ) from None
    if len(results) != len(addresses):
        raise ChainDataError(
            f"aggregate3 answered {len(results)} results for {len(addresses)} calls"
        )
    out: dict[str, tuple[int, int]] = {}
    for address, (success, ret) in zip(addresses, results, strict=True):
        if not success or not ret:
            log.warning("getReserves of %s failed inside aggregate3", address)
            continue
        out[address] = decode_reserves(ret, f"getReserves of {address}")
    return out


def split_by_state(
    pools: Sequence[PoolInfo], trackers: dict[str, StateTracker]
) -> tuple[tuple[PoolInfo, ...], dict[str, list[PoolInfo]]]:
    """The pools whose state is their reserves, and the log-driven ones by kind (a tracker is
    made for each log-driven kind met first here)."""
    reserve_pools: list[PoolInfo] = []
    driven: dict[str, list[PoolInfo]] = {}
    for pool in pools:
        if pool.kind not in trackers:
            tracker = pool_kind(pool.kind).tracker()
            if tracker is None:
                reserve_pools.append(pool)
                continue
            trackers[pool.kind] = tracker
        driven.setdefault(pool.kind, []).append(pool)
    return tuple(reserve_pools), driven


def state_topics(driven: dict[str, list[PoolInfo]]) -> tuple[str, ...]:
    return tuple(sorted({t for kind in driven for t in pool_kind(kind).state_topics}))


async def _read_calls(rpc: RpcPool, block: int | str, calls: list[tuple[str, bytes]]):
    """One kind's batch of reads pinned to ``block`` (a revert is None; retryable errors raise)."""
    ref = block_ref(block)
    out: list[bytes | None] = []
    for start in range(0, len(calls), BATCH_CHUNK):
        part = calls[start : start + BATCH_CHUNK]
        requests = [("eth_call", [{"to": to, "data": "0x" + data.hex()}, ref]) for to, data in part]

        async def op(client: RpcClient, requests=requests) -> list[bytes | None]:
            values: list[bytes | None] = []
            for raw in await client.batch(requests):
                if isinstance(raw, RpcError):
                    if raw.retryable:
                        raise raw
                    values.append(None)
                else:
                    values.append(to_data(client.host, "eth_call", raw) or None)
            return values

        out.extend(await rpc.run(f"batch[{len(requests)}]", op))
    return out


async def fetch_pool_states(
    rpc: RpcPool,
    block: int,
    block_hash: str,
    trackers: dict[str, StateTracker],
    driven: dict[str, list[PoolInfo]],
    logs: Sequence[Log] | None,
    *,
    full: bool,
) -> PoolStatesUpdated | None:
    """The log-driven pools' changes in one block: every snapshot read again when ``full``,
    else the block's state ``logs`` (from its one logs request) with a snapshot only for the
    pools whose price left their window. None when nothing changed."""

    async def calls(batch: list[tuple[str, bytes]]) -> list[bytes | None]:
        return await _read_calls(rpc, block_hash, batch)

    snapshots: dict = {}
    entries: list[tuple[str, tuple[str, ...], str]] = []
    if full:
        for kind, pools in driven.items():
            snapshots.update(await trackers[kind].read(calls, pools))
    else:
        entries = [(e.address, tuple(e.topics), "0x" + e.data.hex()) for e in logs or ()]
        if not entries:
            return None
        for kind, pools in driven.items():
            members = {p.address: p for p in pools}
            mine = [e for e in entries if e[0] in members]
            stale = trackers[kind].stale(mine)
            if stale:
                snapshots.update(await trackers[kind].read(calls, [members[a] for a in stale]))
        entries = [e for e in entries if e[0] not in snapshots]
    return PoolStatesUpdated(block, block_hash, snapshots, tuple(entries), full=full)
