"""Pool discovery: which pools of the configured factories join the allowed tokens.

Each DEX's pool kind (:mod:`appliance.market.kinds`) scans its factory: V2 ``getPair(a, b)`` for
every unordered token pair (or ``allPairs`` for a small factory), V3 ``getPool(a, b, fee)`` for
every pair and configured fee tier — JSON-RPC batches per chunk, all pinned to one block. Then
each pool's ``token0()``/``token1()`` (checked against the
pair we asked about), and each token's ``decimals()`` and ``symbol()``. ``symbol()`` is tolerated
in its three shapes: ABI ``string``, legacy ``bytes32`` (MKR-style) and reverting/empty; a token
whose ``decimals()`` fails is left out with its pools (it cannot be priced). New pools later:
:func:`pairs_created` reads the factories' ``PairCreated`` / ``PoolCreated`` logs.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address

from appliance.chain.errors import RpcError
from appliance.chain.pool import RpcPool
from appliance.chain.rpc import RpcClient
from appliance.chain.values import block_ref, to_data
from appliance.config import DexConfig
from appliance.events import PoolInfo, TokenInfo
from appliance.market.kinds import Calls, Found, pool_kind
from appliance.market.kinds.uniswap_v2 import (
    ALL_PAIRS,
    ALL_PAIRS_LENGTH,
    ENUMERATE_FACTOR,
    GET_PAIR,
    PAIR_CREATED_TOPIC,
)

__all__ = [
    "ALL_PAIRS",
    "ALL_PAIRS_LENGTH",
    "ENUMERATE_FACTOR",
    "GET_PAIR",
    "PAIR_CREATED_TOPIC",
    "decode_symbol",
    "discover",
    "pairs_created",
]

log = logging.getLogger(__name__)

TOKEN0 = bytes.fromhex("0dfe1681")
TOKEN1 = bytes.fromhex("d21220a7")
DECIMALS = bytes.fromhex("313ce567")
SYMBOL = bytes.fromhex("95d89b41")
ZERO = "0x" + "00" * 20
CHUNK = 250


def decode_symbol(data: bytes, address: str) -> str:
    """A token symbol from ``symbol()`` return data: string, bytes32, or a placeholder."""
    if len(data) >= 64:
        try:
            (text,) = abi_decode(["string"], data)
            text = str(text).strip("\x00").strip()
            if text and text.isprintable():
                return text[:32]
        except Exception:  # eth-abi decoding family: fall through to bytes32
            pass
    if len(data) == 32:
        text = data.rstrip(b"\x00").decode("utf-8", errors="replace").strip()
        if text and text.isprintable():
            return text[:32]
    return f"?{address[2:8]}"


def _word_address(data: bytes) -> str | None:
    if len(data) != 32 or any(data[:12]):
        return None
    return to_checksum_address(data[12:])


async def _calls(rpc: RpcPool, calls: list[tuple[str, bytes]], block: Any) -> list[bytes | None]:
    """Return data per call (None when it reverted or returned nothing), batched by chunk."""
    out: list[bytes | None] = []
    for start in range(0, len(calls), CHUNK):
        part = calls[start : start + CHUNK]
        requests = [
            ("eth_call", [{"to": to, "data": "0x" + data.hex()}, block]) for to, data in part
        ]

        async def op(client: RpcClient, requests=requests) -> list[bytes | None]:
            values: list[bytes | None] = []
            for raw in await client.batch(requests):
                if isinstance(raw, RpcError):
                    if raw.retryable:
                        raise raw
                    values.append(None)  # reverted: a property of the contract, not the node
                else:
                    data = to_data(client.host, "eth_call", raw)
                    values.append(data or None)
            return values

        out.extend(await rpc.run(f"batch[{len(requests)}]", op))
    return out


def _calls_at(rpc: RpcPool, ref: Any) -> Calls:
    async def calls(batch: list[tuple[str, bytes]]) -> list[bytes | None]:
        return await _calls(rpc, batch, ref)

    return calls


def _by_kind(dexes: Sequence[DexConfig]) -> dict[str, list[DexConfig]]:
    grouped: dict[str, list[DexConfig]] = {}
    for dex in dexes:
        grouped.setdefault(dex.kind, []).append(dex)
    return grouped


async def discover(
    rpc: RpcPool,
    dexes: Sequence[DexConfig],
    tokens: Sequence[str],
    *,
    block: int | str | None = None,
) -> tuple[tuple[TokenInfo, ...], tuple[PoolInfo, ...]]:
    """The tokens (with decimals and symbol) and pools of ``dexes`` among ``tokens``.

    Each DEX's pool kind scans its factory (:meth:`~appliance.market.kinds.PoolKind.find_pools`);
    ``block`` pins every read (default: the current head, read once).
    """
    if block is None:
        block = (await rpc.get_block("latest")).number
    ref = block_ref(block)
    calls = _calls_at(rpc, ref)
    tokens = list(dict.fromkeys(to_checksum_address(t) for t in tokens))
    pairs = [(a, b) for a, b in itertools.combinations(tokens, 2)]
    found: list[tuple[DexConfig, Found]] = []
    for kind_name, group in _by_kind(dexes).items():
        found += await pool_kind(kind_name).find_pools(calls, group, pairs)

    sides = await _calls(rpc, [(f[2], sel) for _, f in found for sel in (TOKEN0, TOKEN1)], ref)
    metas = await _calls(rpc, [(t, sel) for t in tokens for sel in (DECIMALS, SYMBOL)], ref)

    infos: dict[str, TokenInfo] = {}
    for i, token in enumerate(tokens):
        dec_data, sym_data = metas[2 * i], metas[2 * i + 1]
        decimals = int.from_bytes(dec_data, "big") if dec_data and len(dec_data) == 32 else None
        if decimals is None or decimals > 77:
            log.warning("token %s: decimals() failed or is absurd (%r); left out", token, decimals)
            continue
        infos[token] = TokenInfo(
            address=token, symbol=decode_symbol(sym_data or b"", token), decimals=decimals
        )

    pools: list[PoolInfo] = []
    for j, (dex, (a, b, pair, fee_bps)) in enumerate(found):
        t0 = _word_address(sides[2 * j] or b"")
        t1 = _word_address(sides[2 * j + 1] or b"")
        if {t0, t1} != {a, b}:
            log.warning(
                "pair %s of %s: token0/token1 %s/%s are not %s/%s; left out",
                pair,
                dex.name,
                t0,
                t1,
                a,
                b,
            )
            continue
        if t0 not in infos or t1 not in infos:
            continue
        pools.append(
            PoolInfo(
                address=pair, dex=dex.name, token0=t0, token1=t1, fee_bps=fee_bps, kind=dex.kind
            )
        )
    used = {t for p in pools for t in (p.token0, p.token1)}
    return tuple(infos[t] for t in tokens if t in infos and t in used), tuple(pools)


async def pairs_created(
    rpc: RpcPool,
    dexes: Sequence[DexConfig],
    tokens: Sequence[str],
    *,
    from_block: int,
    to_block: int | str,
) -> tuple[PoolInfo, ...]:
    """Pools created by ``dexes`` in the block range whose both tokens are in ``tokens``
    (each kind's pool-created log: V2 ``PairCreated``, V3 ``PoolCreated``), in one request."""
    by_factory = {dex.factory: dex for dex in dexes}
    watched = {to_checksum_address(t) for t in tokens}
    topics = sorted({pool_kind(dex.kind).created_topic for dex in dexes})
    logs = await rpc.get_logs(
        address=list(by_factory),
        topics=[topics[0] if len(topics) == 1 else topics],
        from_block=from_block,
        to_block=to_block,
    )
    pools = []
    for entry in logs:
        dex = by_factory.get(entry.address)
        if dex is None:
            continue
        kind = pool_kind(dex.kind)
        if not entry.topics or entry.topics[0] != kind.created_topic:
            continue
        found = kind.decode_created(dex, entry.topics, entry.data)
        if found is None:
            continue
        t0, t1, pool, fee_bps = found
        if t0 in watched and t1 in watched:
            pools.append(
                PoolInfo(
                    address=pool,
                    dex=dex.name,
                    token0=t0,
                    token1=t1,
                    fee_bps=fee_bps,
                    kind=dex.kind,
                )
            )
    return tuple(pools)
