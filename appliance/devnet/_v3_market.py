"""The V3 side of a devnet for tests and benchmarks: addresses plus async helpers.

Quote through the real QuoterV2 (batched, a revert kept as ``None``), swap/mint/burn as the
positions' owner, and read a pool back as the contract holds it: ``slot0``, ``liquidity``,
the tick-bitmap words and the ``ticks(i)`` of each set bit (all words, or a window).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector

from appliance.chain.errors import ChainError, ExecutionReverted
from appliance.chain.rpc import RpcClient
from appliance.devnet._abi import calldata, decode_words
from appliance.devnet._rpc import DevnetRpc
from appliance.devnet._v3_plan import V3Position
from appliance.devnet.errors import DevnetRpcError
from appliance.market.v3math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, V3PoolState
from appliance.market.v3state import V3PoolWindow, window_words, word_range

__all__ = ["V3Market", "V3PoolInfo"]

_SWAP_GAS = 5_000_000
_QUOTE_IN = "quoteExactInputSingle((address,address,uint256,uint24,uint160))"
_QUOTE_OUT = "quoteExactOutputSingle((address,address,uint256,uint24,uint160))"
_QUOTE_IN_SELECTOR = "0x" + function_signature_to_4byte_selector(_QUOTE_IN).hex()
_QUOTE_OUT_SELECTOR = "0x" + function_signature_to_4byte_selector(_QUOTE_OUT).hex()
_QUOTE_TYPES = ["(address,address,uint256,uint24,uint160)"]
_QUOTE_RESULT = ["uint256", "uint160", "uint32", "uint256"]
_BITMAP_SELECTOR = "0x" + function_signature_to_4byte_selector("tickBitmap(int16)").hex()
_TICKS_SELECTOR = "0x" + function_signature_to_4byte_selector("ticks(int24)").hex()
_TICKS_RESULT = ["uint128", "int128", "uint256", "uint256", "int56", "uint160", "uint32", "bool"]


@dataclass(frozen=True, slots=True)
class V3PoolInfo:
    """One devnet V3 pool and the positions minted on it (all owned by the deployer)."""

    address: str
    token0: str
    token1: str
    symbol0: str
    symbol1: str
    fee: int
    tick_spacing: int
    positions: tuple[V3Position, ...]


class V3Market:
    """The V3 side of a devnet: addresses plus async helpers over a :class:`DevnetRpc`."""

    def __init__(
        self,
        *,
        rpc: str,
        factory: str,
        quoter: str,
        helper: str,
        pools: tuple[V3PoolInfo, ...],
        owner: str,
    ) -> None:
        self.rpc = rpc
        self.factory = factory
        self.quoter = quoter
        self.helper = helper
        self.pools = pools
        self.owner = owner  # the deployer: holds the positions and the minted tokens

    def __repr__(self) -> str:
        return f"V3Market(factory={self.factory}, pools={len(self.pools)})"

    def pool(self, a: str, b: str, fee: int) -> V3PoolInfo:
        for p in self.pools:
            if p.fee == fee and {p.symbol0, p.symbol1} == {a, b}:
                return p
        raise KeyError(f"no {a}/{b} V3 pool with fee {fee}")

    # ------------------------------------------------------------------ the real Quoter
    def quote_call(
        self, pool: V3PoolInfo, zero_for_one: bool, exact_input: bool, amount: int, limit: int
    ) -> tuple[str, list[Any]]:
        """The ``eth_call`` of QuoterV2 for one single-pool quote (``limit=0``: the default)."""
        token_in, token_out = (
            (pool.token0, pool.token1) if zero_for_one else (pool.token1, pool.token0)
        )
        params = (token_in, token_out, amount, pool.fee, limit)
        selector = _QUOTE_IN_SELECTOR if exact_input else _QUOTE_OUT_SELECTOR
        data = selector + encode(_QUOTE_TYPES, [params]).hex()
        return ("eth_call", [{"to": self.quoter, "data": data}, "latest"])

    async def quotes(
        self, requests: list[tuple[V3PoolInfo, bool, bool, int, int]], *, chunk: int = 200
    ) -> list[tuple[int, int] | None]:
        """``(amount, sqrt_price_after)`` per request, ``None`` where the Quoter reverts.

        JSON-RPC batches of ``chunk``; each request is ``(pool, zero_for_one, exact_input,
        amount, limit)``. A revert is not an error here: the caller compares it with its own.
        """
        calls = [self.quote_call(*r) for r in requests]
        answers: list[Any] = []
        async with RpcClient(self.rpc, timeout_s=120.0, max_response_bytes=64_000_000) as client:
            for start in range(0, len(calls), chunk):
                answers.extend(await client.batch(calls[start : start + chunk]))
        out: list[tuple[int, int] | None] = []
        for answer in answers:
            if isinstance(answer, ExecutionReverted):  # the Quoter refuses: part of the answer
                out.append(None)
                continue
            if isinstance(answer, ChainError):
                raise DevnetRpcError(f"QuoterV2 call failed: {answer}")
            amount, price_after, _crossed, _gas = decode(_QUOTE_RESULT, bytes.fromhex(answer[2:]))
            out.append((amount, price_after))
        return out

    # ------------------------------------------------------------------ writes
    async def swap(
        self,
        pool: V3PoolInfo,
        zero_for_one: bool,
        amount_specified: int,
        limit: int | None = None,
        *,
        mine: bool = True,
    ) -> dict[str, Any]:
        """The pool's ``swap`` for the owner through the helper; the receipt (mined) or hash.

        Raises:
            DevnetRpcError: the swap reverted.
        """
        if limit is None:
            limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        data = calldata(
            "swap(address,bool,int256,uint160)", pool.address, zero_for_one, amount_specified, limit
        )
        return await self._send(
            self.helper, data, f"V3 swap {amount_specified} on {pool.address}", mine
        )

    async def mint(
        self, pool: V3PoolInfo, tick_lower: int, tick_upper: int, amount: int
    ) -> dict[str, Any]:
        """Mint a position for the owner through the helper (mined); the receipt."""
        data = calldata(
            "mint(address,int24,int24,uint128)", pool.address, tick_lower, tick_upper, amount
        )
        return await self._send(self.helper, data, f"V3 mint on {pool.address}", True)

    async def burn(
        self, pool: V3PoolInfo, tick_lower: int, tick_upper: int, amount: int
    ) -> dict[str, Any]:
        """Burn the owner's liquidity on the pool itself (mined); the receipt."""
        data = calldata("burn(int24,int24,uint128)", tick_lower, tick_upper, amount)
        return await self._send(pool.address, data, f"V3 burn on {pool.address}", True)

    async def _send(self, to: str, data: str, what: str, mine: bool) -> dict[str, Any]:
        tx = {"from": self.owner, "to": to, "data": data, "gas": hex(_SWAP_GAS)}
        async with DevnetRpc(self.rpc) as rpc:
            tx_hash = await rpc.call("eth_sendTransaction", [tx])
            if not mine:
                return {"transactionHash": tx_hash}
            await rpc.call("evm_mine")
            receipt = await rpc.call("eth_getTransactionReceipt", [tx_hash])
        if receipt is None or int(receipt["status"], 16) != 1:
            raise DevnetRpcError(f"{what} failed (tx {tx_hash})")
        return receipt

    # ------------------------------------------------------------------ reads
    async def read_state(self, pool: V3PoolInfo, block: str = "latest") -> V3PoolState:
        """The pool as the contract holds it: slot0, liquidity, every bitmap word, its ticks."""
        lowest, highest = word_range(pool.tick_spacing)
        async with DevnetRpc(self.rpc) as rpc:
            price, tick, liquidity = await _read_head(rpc, pool, block)
            _words, ticks = await _read_words(rpc, pool, range(lowest, highest + 1), block)
        nets = {t: net for t, (_gross, net) in ticks.items()}
        return V3PoolState(pool.fee, pool.tick_spacing, price, tick, liquidity, nets)

    async def read_head(self, pool: V3PoolInfo, block: str = "latest") -> tuple[int, int, int]:
        """``(sqrt_price_x96, tick, liquidity)`` from ``slot0()`` and ``liquidity()``."""
        async with DevnetRpc(self.rpc) as rpc:
            return await _read_head(rpc, pool, block)

    async def read_window(
        self,
        pool: V3PoolInfo,
        radius: int = 2,
        block: str = "latest",
        *,
        words: range | None = None,
    ) -> V3PoolWindow:
        """The pool over the price's bitmap word and ``radius`` words either side (or ``words``)."""
        async with DevnetRpc(self.rpc) as rpc:
            price, tick, liquidity = await _read_head(rpc, pool, block)
            if words is None:
                words = window_words(tick, pool.tick_spacing, radius)
            fetched, ticks = await _read_words(rpc, pool, words, block)
        return V3PoolWindow(
            fee=pool.fee,
            tick_spacing=pool.tick_spacing,
            sqrt_price_x96=price,
            tick=tick,
            liquidity=liquidity,
            words=fetched,
            ticks=ticks,
        )


def _int_arg_call(selector: str, value: int) -> str:
    """Calldata of a one-signed-int-argument function (thousands per read: no ABI machinery)."""
    return selector + f"{value % 2**256:064x}"


def _pool_call(pool: V3PoolInfo, data: str, block: str) -> tuple[str, list[Any]]:
    return ("eth_call", [{"to": pool.address, "data": data}, block])


async def _read_head(rpc: DevnetRpc, pool: V3PoolInfo, block: str) -> tuple[int, int, int]:
    """``(sqrtPriceX96, tick, liquidity)`` from ``slot0()`` and ``liquidity()``."""
    head = await rpc.batch(
        [
            _pool_call(pool, calldata("slot0()"), block),
            _pool_call(pool, calldata("liquidity()"), block),
        ]
    )
    price, tick = decode_words(["uint160", "int24"], head[0][: 2 + 128])
    (liquidity,) = decode_words(["uint128"], head[1])
    return price, tick, liquidity


async def _read_words(
    rpc: DevnetRpc, pool: V3PoolInfo, positions: range, block: str
) -> tuple[dict[int, int], dict[int, tuple[int, int]]]:
    """The bitmap words at ``positions``, then ``(liquidityGross, liquidityNet)`` of each set bit."""
    spacing = pool.tick_spacing
    answers = await rpc.batch(
        [_pool_call(pool, _int_arg_call(_BITMAP_SELECTOR, w), block) for w in positions]
    )
    words = {w: int(a, 16) for w, a in zip(positions, answers, strict=True)}
    initialized = []
    for w, word in words.items():
        bits = word
        while bits:
            low = bits & -bits
            initialized.append(((w << 8) + low.bit_length() - 1) * spacing)
            bits ^= low
    answers = await rpc.batch(
        [_pool_call(pool, _int_arg_call(_TICKS_SELECTOR, t), block) for t in initialized]
    )
    ticks = {}
    for t, answer in zip(initialized, answers, strict=True):
        gross, net, *_ = decode(_TICKS_RESULT, bytes.fromhex(answer[2:]))
        if gross == 0:
            raise DevnetRpcError(f"pool {pool.address}: bitmap bit set for empty tick {t}")
        ticks[t] = (gross, net)
    return words, ticks
