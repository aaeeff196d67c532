"""Seeded noise traders: random swaps through the real routers every block.

Each new block, the simulator sends ``swaps_per_block`` swaps picked by a ``random.Random(seed)``
(pool, direction, size as a log-uniform fraction of the pool's *initial* reserve). Prices
drift, pools of the same pair drift apart (dislocations appear) and later swaps or the
appliance close them again (they vanish). The sequence depends only on the seed and the pool
list — never on chain state — so the same seed gives the same swaps (:func:`plan_swaps`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import trio

from appliance.devnet._abi import calldata, decode_words
from appliance.devnet._deploy import MAX_UINT
from appliance.devnet._v3_traders import V3Traders
from appliance.devnet.devnet import SWAP_GAS, Devnet
from appliance.devnet.errors import DevnetError, DevnetRpcError
from appliance.events import PoolInfo

__all__ = ["SimulatedSwap", "SimulatorStats", "plan_swaps", "run_simulator", "swap_stream"]

# Sizes as on a real venue: most swaps are a small share of the pool (a 1.5 % swap moves the
# price by 3 %, a dislocation no real pair shows every block; issue 24's demo calibration).
MIN_FRACTION = 0.0002  # 0.02 % of the pool's initial reserve of the input token
MAX_FRACTION = 0.0025  # 0.25 %: a move of at most 0.5 %, under the fees of a 2-pool cycle
_DEADLINE = 2**63


@dataclass(frozen=True, slots=True)
class SimulatedSwap:
    dex: str
    pool: str
    token_in: str
    token_out: str
    amount_in: int


@dataclass(slots=True)
class SimulatorStats:
    """Counters the simulator updates as it goes (read them; do not write them)."""

    rounds: int = 0
    sent: int = 0
    failed: int = 0
    last_block: int = 0


def swap_stream(
    pools: Sequence[PoolInfo], initial_reserves: dict[str, tuple[int, int]], seed: int
) -> Iterator[SimulatedSwap]:
    """The endless, deterministic swap sequence for ``seed``."""
    if not pools:
        raise DevnetError("the simulator needs at least one pool")
    rng = random.Random(seed)
    lo, hi = MIN_FRACTION, MAX_FRACTION
    while True:
        pool = pools[rng.randrange(len(pools))]
        zero_for_one = rng.random() < 0.5
        fraction = lo * (hi / lo) ** rng.random()
        r0, r1 = initial_reserves[pool.address]
        reserve_in = r0 if zero_for_one else r1
        token_in, token_out = (
            (pool.token0, pool.token1) if zero_for_one else (pool.token1, pool.token0)
        )
        amount = max(1, int(reserve_in * fraction))
        yield SimulatedSwap(pool.dex, pool.address, token_in, token_out, amount)


def plan_swaps(dn: Devnet, seed: int, n: int) -> list[SimulatedSwap]:
    """The first ``n`` swaps :func:`run_simulator` would send for ``seed`` on ``dn``."""
    stream = swap_stream(dn.pools, dn.initial_reserves, seed)
    return [next(stream) for _ in range(n)]


async def run_simulator(
    dn: Devnet,
    *,
    seed: int,
    swaps_per_block: int = 3,
    account: str = "simulator",
    mine: bool = False,
    max_rounds: int | None = None,
    poll_s: float | None = None,
    v3_swaps_per_block: int = 1,
    task_status=trio.TASK_STATUS_IGNORED,
) -> SimulatorStats:
    """Send ``swaps_per_block`` swaps after each new block until cancelled.

    Args:
        mine: mine a block after each round (drives a manual-mining devnet by itself).
        max_rounds: return after that many rounds (tests); ``None`` runs until cancelled.
        poll_s: head poll interval (default: a quarter of the block time, at most 0.25 s).
        v3_swaps_per_block: swaps on the V3 pools per round too, when the devnet has V3
            (:mod:`appliance.devnet._v3_traders`).

    ``task_status.started(stats)`` hands back the live :class:`SimulatorStats`.
    """
    if swaps_per_block < 1:
        raise DevnetError(f"swaps_per_block must be >= 1, not {swaps_per_block!r}")
    stream = swap_stream(dn.pools, dn.initial_reserves, seed)
    sender = dn.address_of(account)
    routers = {d.name: d.router for d in dn.dexes}
    approved: set[tuple[str, str]] = set()
    v3 = (
        V3Traders(
            dn.v3, dn.plan, seed=seed, sender=sender, per_round=v3_swaps_per_block, gas=dn.gas
        )
        if dn.v3 is not None
        else None
    )
    # mainnet-like gas: each noise trade tips (a seeded draw, apart from the swaps' own seed)
    fee_rng = random.Random(f"fees:{seed}")
    fees = (lambda: dn.gas.trader_fees(fee_rng)) if dn.gas is not None else dict
    stats = SimulatorStats()
    interval = poll_s if poll_s is not None else min(0.25, (dn.block_time or 0.2) / 4)
    async with dn.client() as rpc:
        stats.last_block = int(await rpc.call("eth_blockNumber"), 16)
        task_status.started(stats)
        while max_rounds is None or stats.rounds < max_rounds:
            if not mine:
                head = int(await rpc.call("eth_blockNumber"), 16)
                if head == stats.last_block:
                    await trio.sleep(interval)
                    continue
                stats.last_block = head
            for _ in range(swaps_per_block):
                swap = next(stream)
                try:
                    await _send_swap(rpc, sender, routers[swap.dex], swap, approved, fees())
                    stats.sent += 1
                except DevnetRpcError:
                    stats.failed += 1
            if v3 is not None:
                sent, failed = await v3.send_round(rpc)
                stats.sent, stats.failed = stats.sent + sent, stats.failed + failed
            stats.rounds += 1
            if mine:
                await rpc.call("evm_mine")
                stats.last_block = int(await rpc.call("eth_blockNumber"), 16)
    return stats


async def _send_swap(
    rpc,
    sender: str,
    router: str,
    swap: SimulatedSwap,
    approved: set[tuple[str, str]],
    fees: dict[str, str],
) -> str:
    key = (swap.token_in, router)
    if key not in approved:
        answer = await rpc.call(
            "eth_call",
            [
                {
                    "to": swap.token_in,
                    "data": calldata("allowance(address,address)", sender, router),
                },
                "latest",
            ],
        )
        if decode_words(["uint256"], answer)[0] < MAX_UINT // 2:
            await rpc.call(
                "eth_sendTransaction",
                [
                    {
                        "from": sender,
                        "to": swap.token_in,
                        "gas": hex(100_000),
                        "data": calldata("approve(address,uint256)", router, MAX_UINT),
                    }
                    | fees
                ],
            )
        approved.add(key)
    data = calldata(
        "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
        swap.amount_in,
        0,
        [swap.token_in, swap.token_out],
        sender,
        _DEADLINE,
    )
    tx = {"from": sender, "to": router, "gas": hex(SWAP_GAS), "data": data} | fees
    return await rpc.call("eth_sendTransaction", [tx])
