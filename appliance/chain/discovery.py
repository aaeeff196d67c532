"""Pool discovery: which pairs of the configured factories join the allowed tokens.

For every DEX and every unordered token pair, ``factory.getPair(a, b)`` (one JSON-RPC batch per
chunk, all pinned to one block), then each pair's ``token0()``/``token1()`` (checked against the
pair we asked about), and each token's ``decimals()`` and ``symbol()``. ``symbol()`` is tolerated
in its three shapes: ABI ``string``, legacy ``bytes32`` (MKR-style) and reverting/empty; a token
whose ``decimals()`` fails is left out with its pools (it cannot be priced). New pools later:
:func:`pairs_created` reads ``PairCreated`` logs of the factories.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import to_checksum_address

from appliance.chain.errors import RpcError
from appliance.chain.pool import RpcPool
from appliance.chain.rpc import RpcClient
from appliance.chain.values import block_ref, to_data
from appliance.config import DexConfig
from appliance.events import PoolInfo, TokenInfo

__all__ = ["PAIR_CREATED_TOPIC", "decode_symbol", "discover", "pairs_created"]

log = logging.getLogger(__name__)

PAIR_CREATED_TOPIC = "0x0d3648bd0f6ba80134a33ba9275ac585d9d315f0ad8355cddefde31afa28d0e9"
GET_PAIR = bytes.fromhex("e6a43905")
TOKEN0 = bytes.fromhex("0dfe1681")
TOKEN1 = bytes.fromhex("d21220a7")
DECIMALS = bytes.fromhex("313ce567")
SYMBOL = bytes.fromhex("95d89b41")
ALL_PAIRS_LENGTH = bytes.fromhex("574f2ba3")
ALL_PAIRS = bytes.fromhex("1e3dd18b")
# Enumerating a factory costs 3 calls per pair it has (allPairs, token0, token1); asking getPair
# costs 1 call per token pair watched. Enumerate when that is cheaper by this factor.
ENUMERATE_FACTOR = 2
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


async def discover(
    rpc: RpcPool,
    dexes: Sequence[DexConfig],
    tokens: Sequence[str],
    *,
    block: int | str | None = None,
) -> tuple[tuple[TokenInfo, ...], tuple[PoolInfo, ...]]:
    """The tokens (with decimals and symbol) and pools of ``dexes`` among ``tokens``.

    ``block`` pins every read (default: the current head, read once).
    """
    if block is None:
        block = (await rpc.get_block("latest")).number
    ref = block_ref(block)
    tokens = list(dict.fromkeys(to_checksum_address(t) for t in tokens))
    pairs = [(a, b) for a, b in itertools.combinations(tokens, 2)]
    lengths = await _calls(rpc, [(dex.factory, ALL_PAIRS_LENGTH) for dex in dexes], ref)
    scan: list[DexConfig] = []
    found: list[tuple[DexConfig, str, str, str]] = []
    for dex, data in zip(dexes, lengths, strict=True):
        n = int.from_bytes(data, "big") if data and len(data) == 32 else None
        if n is not None and 3 * n * ENUMERATE_FACTOR <= len(pairs):
            found += await _enumerate(rpc, dex, n, set(tokens), ref)
        else:
            scan.append(dex)
    asks = [(dex, a, b) for dex in scan for a, b in pairs]
    answers = await _calls(
        rpc,
        [
            (dex.factory, GET_PAIR + abi_encode(["address", "address"], [a, b]))
            for dex, a, b in asks
        ],
        ref,
    )
    for (dex, a, b), data in zip(asks, answers, strict=True):
        pair = _word_address(data) if data else None
        if pair is not None and pair != to_checksum_address(ZERO):
            found.append((dex, a, b, pair))

    sides = await _calls(rpc, [(p, sel) for _, _, _, p in found for sel in (TOKEN0, TOKEN1)], ref)
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
    for j, (dex, a, b, pair) in enumerate(found):
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
            PoolInfo(address=pair, dex=dex.name, token0=t0, token1=t1, fee_bps=dex.fee_bps)
        )
    used = {t for p in pools for t in (p.token0, p.token1)}
    return tuple(infos[t] for t in tokens if t in infos and t in used), tuple(pools)


async def _enumerate(
    rpc: RpcPool, dex: DexConfig, n: int, watched: set[str], ref: Any
) -> list[tuple[DexConfig, str, str, str]]:
    """Every pair of a small factory (``allPairs``), kept when both its tokens are watched."""
    addrs = await _calls(
        rpc, [(dex.factory, ALL_PAIRS + i.to_bytes(32, "big")) for i in range(n)], ref
    )
    pairs = [a for a in (_word_address(d or b"") for d in addrs) if a is not None]
    sides = await _calls(rpc, [(p, sel) for p in pairs for sel in (TOKEN0, TOKEN1)], ref)
    out = []
    for j, pair in enumerate(pairs):
        t0, t1 = _word_address(sides[2 * j] or b""), _word_address(sides[2 * j + 1] or b"")
        if t0 in watched and t1 in watched:
            out.append((dex, t0, t1, pair))
    return out


async def pairs_created(
    rpc: RpcPool,
    dexes: Sequence[DexConfig],
    tokens: Sequence[str],
    *,
    from_block: int,
    to_block: int | str,
) -> tuple[PoolInfo, ...]:
    """Pools created by ``dexes`` in the block range whose both tokens are in ``tokens``."""
    by_factory = {dex.factory: dex for dex in dexes}
    watched = {to_checksum_address(t) for t in tokens}
    logs = await rpc.get_logs(
        address=list(by_factory),
        topics=[PAIR_CREATED_TOPIC],
        from_block=from_block,
        to_block=to_block,
    )
    pools = []
    for entry in logs:
        dex = by_factory.get(entry.address)
        if dex is None or len(entry.topics) != 3 or len(entry.data) != 64:
            continue
        t0 = _word_address(bytes.fromhex(entry.topics[1][2:]))
        t1 = _word_address(bytes.fromhex(entry.topics[2][2:]))
        pair = _word_address(entry.data[:32])
        if t0 in watched and t1 in watched and pair is not None:
            pools.append(
                PoolInfo(address=pair, dex=dex.name, token0=t0, token1=t1, fee_bps=dex.fee_bps)
            )
    return tuple(pools)
