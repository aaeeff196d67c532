"""Seeded noise traders on the devnet's Uniswap V3 pools, beside the V2 simulator.

The same idea as :mod:`appliance.devnet.simulator`, for V3: each round picks pools, directions
and sizes from a ``random.Random`` (a log-uniform fraction of the pool's planned depth per side,
:mod:`appliance.devnet._v3_plan`), independent of chain state, so a seed gives the same swaps
(:func:`v3_swap_stream`). The swaps are exact-input ``swap`` calls through the devnet's V3 helper
(``contracts/v3_helper.vy``), which pays the pool from the trader in the pool's callback; the
trader approves the helper once per token. V3 prices drift apart from the V2 pools of the same
pairs, so V2<->V3 dislocations come and go.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from appliance.devnet._abi import calldata, decode_words
from appliance.devnet._deploy import MAX_UINT
from appliance.devnet._market import MarketPlan
from appliance.devnet._rpc import DevnetRpc
from appliance.devnet._v3_market import V3Market, V3PoolInfo
from appliance.devnet._v3_plan import plan_v3
from appliance.devnet.errors import DevnetError, DevnetRpcError
from appliance.devnet.gas import DevnetGas
from appliance.market.v3math import MAX_SQRT_RATIO, MIN_SQRT_RATIO

__all__ = ["V3SimulatedSwap", "V3Traders", "plan_v3_swaps", "v3_swap_stream"]

MIN_FRACTION = 0.0005  # of the pool's planned depth (USD per side)
MAX_FRACTION = 0.004
V3_SWAP_GAS = 1_500_000  # a swap across many initialized ticks


@dataclass(frozen=True, slots=True)
class V3SimulatedSwap:
    pool: str
    zero_for_one: bool
    token_in: str
    amount_in: int


def v3_swap_stream(
    pools: Sequence[V3PoolInfo], plan: MarketPlan, seed: int
) -> Iterator[V3SimulatedSwap]:
    """The endless, deterministic V3 swap sequence for ``seed`` over ``pools``."""
    if not pools:
        raise DevnetError("the V3 traders need at least one V3 pool")
    depth = {(frozenset((p.a, p.b)), p.fee): p.depth_usd for p in plan_v3(plan)}
    rng = random.Random(f"v3-traders:{seed}")
    while True:
        pool = pools[rng.randrange(len(pools))]
        zero_for_one = rng.random() < 0.5
        fraction = MIN_FRACTION * (MAX_FRACTION / MIN_FRACTION) ** rng.random()
        symbol, token = (pool.symbol0, pool.token0) if zero_for_one else (pool.symbol1, pool.token1)
        spec = plan.token(symbol)
        usd = depth[(frozenset((pool.symbol0, pool.symbol1)), pool.fee)] * fraction
        amount = max(1, int(usd / spec.price_usd * 10**spec.decimals))
        yield V3SimulatedSwap(pool.address, zero_for_one, token, amount)


def plan_v3_swaps(v3: V3Market, plan: MarketPlan, seed: int, n: int) -> list[V3SimulatedSwap]:
    """The first ``n`` swaps :class:`V3Traders` sends for ``seed``."""
    stream = v3_swap_stream(v3.pools, plan, seed)
    return [next(stream) for _ in range(n)]


class V3Traders:
    """Sends the V3 swap stream, ``per_round`` swaps per call of :meth:`send_round`."""

    def __init__(
        self,
        v3: V3Market,
        plan: MarketPlan,
        *,
        seed: int,
        sender: str,
        per_round: int = 1,
        gas: DevnetGas | None = None,
    ) -> None:
        if per_round < 0:
            raise DevnetError(f"V3 swaps per round must be >= 0, not {per_round!r}")
        self.v3 = v3
        self.sender = sender
        self.per_round = per_round
        self._stream = v3_swap_stream(v3.pools, plan, seed) if per_round else None
        self._approved: set[str] = set()
        self._gas = gas  # mainnet-like gas: a seeded tip per trade (None: Anvil's default)
        self._fee_rng = random.Random(f"v3-fees:{seed}")

    def _fees(self) -> dict[str, str]:
        return {} if self._gas is None else self._gas.trader_fees(self._fee_rng)

    async def send_round(self, rpc: DevnetRpc) -> tuple[int, int]:
        """Send this round's swaps (not mined); ``(sent, failed)``."""
        sent = failed = 0
        for _ in range(self.per_round):
            assert self._stream is not None
            swap = next(self._stream)
            try:
                await self._send(rpc, swap)
                sent += 1
            except DevnetRpcError:
                failed += 1
        return sent, failed

    async def _send(self, rpc: DevnetRpc, swap: V3SimulatedSwap) -> str:
        helper = self.v3.helper
        if swap.token_in not in self._approved:
            allowance = await rpc.call(
                "eth_call",
                [
                    {
                        "to": swap.token_in,
                        "data": calldata("allowance(address,address)", self.sender, helper),
                    },
                    "latest",
                ],
            )
            if decode_words(["uint256"], allowance)[0] < MAX_UINT // 2:
                await rpc.call(
                    "eth_sendTransaction",
                    [
                        {
                            "from": self.sender,
                            "to": swap.token_in,
                            "gas": hex(100_000),
                            "data": calldata("approve(address,uint256)", helper, MAX_UINT),
                        }
                        | self._fees()
                    ],
                )
            self._approved.add(swap.token_in)
        limit = MIN_SQRT_RATIO + 1 if swap.zero_for_one else MAX_SQRT_RATIO - 1
        data = calldata(
            "swap(address,bool,int256,uint160)", swap.pool, swap.zero_for_one, swap.amount_in, limit
        )
        return await rpc.call(
            "eth_sendTransaction",
            [
                {"from": self.sender, "to": helper, "gas": hex(V3_SWAP_GAS), "data": data}
                | self._fees()
            ],
        )
