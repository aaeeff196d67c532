"""Mainnet-like gas on the devnet: a base-fee floor, and traders that pay a priority fee.

Why: Anvil's blocks are nearly empty, so EIP-1559 lowers the base fee by 12.5 % a block and it
decays to about 0 within minutes; an opportunity then costs almost nothing to take and the
demo's net is about its gross. On mainnet the base fee of the recorded USDC/WETH series
(January 2024) sat at 10-40 gwei, and a trader tips 0.05-2 gwei on top.

:class:`DevnetGas` is the setting (``start_devnet(gas=...)``; ``None`` keeps Anvil's own
behaviour, as the integration tests use it). With it, Anvil starts at the floor
(``--base-fee``) and :func:`run_base_fee_floor` sets the next block's base fee back to the floor
(``anvil_setNextBlockBaseFeePerGas``) after every head, so it never decays below it; the noise
traders pay a seeded tip (:meth:`DevnetGas.trader_fees`), and the appliance prices its own gas
at the head's base fee plus its ``execution.tip_gwei`` as on a real chain.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

import trio

from appliance.devnet.errors import DevnetError, DevnetRpcError

__all__ = [
    "DEMO_BASE_FEE_GWEI",
    "DEMO_GAS",
    "GWEI",
    "DevnetGas",
    "FloorStats",
    "reach_floor",
    "run_base_fee_floor",
]

log = logging.getLogger(__name__)

GWEI = 10**9


@dataclass(frozen=True, slots=True)
class DevnetGas:
    """A base-fee floor and the noise traders' tip range (wei)."""

    base_fee_wei: int
    tip_min_wei: int = GWEI // 20  # 0.05 gwei
    tip_max_wei: int = 2 * GWEI

    def __post_init__(self) -> None:
        if self.base_fee_wei <= 0:
            raise DevnetError(f"the base-fee floor must be > 0 wei, not {self.base_fee_wei!r}")
        if not 0 <= self.tip_min_wei <= self.tip_max_wei:
            raise DevnetError(
                f"the traders' tip range must be 0 <= min <= max, not "
                f"{self.tip_min_wei!r}..{self.tip_max_wei!r}"
            )

    @classmethod
    def of_gwei(cls, base_fee_gwei: float) -> DevnetGas:
        return cls(round(base_fee_gwei * GWEI))

    def owner_limits(self) -> dict[str, int]:
        """The ``[risk]`` limits an owner would set for this gas (the devnet's config carries
        them): trades up to 10 WETH (the demo executor holds 50), and a net of at least
        0.0005 WETH after gas, so small opportunities are refused by name (``min_profit``)."""
        return {"max_trade_wei": 10 * 10**18, "min_profit_wei": 5 * 10**14}

    def anvil_args(self) -> tuple[str, ...]:
        """Anvil flags: the genesis base fee at the floor."""
        return ("--base-fee", str(self.base_fee_wei))

    def wallet_fees(self) -> dict[str, str]:
        """The fee fields of the devnet's own set-up sends (deployments, approvals, funding):
        a 1 gwei tip, and a max fee that holds however low the base fee was when they were
        signed (Anvil's default is priced on the latest block, which may predate the floor)."""
        return {
            "maxPriorityFeePerGas": hex(GWEI),
            "maxFeePerGas": hex(2 * self.base_fee_wei + GWEI),
        }

    def trader_fees(self, rng: random.Random) -> dict[str, str]:
        """The fee fields of one noise trade: a log-uniform tip, a max fee of twice the floor
        plus the tip (a wallet's usual margin), as JSON-RPC hex."""
        lo, hi = max(self.tip_min_wei, 1), max(self.tip_max_wei, 1)
        tip = round(lo * (hi / lo) ** rng.random())
        return {
            "maxPriorityFeePerGas": hex(tip),
            "maxFeePerGas": hex(2 * self.base_fee_wei + tip),
        }


@dataclass(slots=True)
class FloorStats:
    """What :func:`run_base_fee_floor` did (read it; the task writes it)."""

    head: int = -1  # the last head after which the next block's base fee was set
    sets: int = 0


# The demo's default: mainnet's base fee around the recorded series (January 2024) was 10-40
# gwei; the floor sits at the low end, so gas takes a real bite and the demo still trades.
DEMO_BASE_FEE_GWEI = 10.0
DEMO_GAS = DevnetGas.of_gwei(DEMO_BASE_FEE_GWEI)


async def run_base_fee_floor(
    dn, gas: DevnetGas, *, poll_s: float = 0.1, task_status=trio.TASK_STATUS_IGNORED
) -> None:
    """After every new head, set the next block's base fee to the floor (until cancelled).

    A block mined before the call lands (a head seen late) decays by at most one step (12.5 %)
    and is put back at the next one. A failed call is retried at the next poll.
    ``task_status.started(stats)`` hands back the live :class:`FloorStats`.
    """
    stats = FloorStats()
    target = hex(gas.base_fee_wei)
    async with dn.client() as rpc:
        task_status.started(stats)
        while True:
            try:
                head = int(await rpc.call("eth_blockNumber"), 16)
                if head != stats.head:
                    await rpc.call("anvil_setNextBlockBaseFeePerGas", [target])
                    stats.head, stats.sets = head, stats.sets + 1
            except DevnetRpcError as exc:
                log.debug("base-fee floor: %s", exc)
            await trio.sleep(poll_s)


async def reach_floor(dn, gas: DevnetGas, *, timeout_s: float = 60.0) -> None:
    """Return once the latest block's base fee is at the floor (mining one on a manual-mining
    devnet): a sender that prices its fees on the latest block, as the appliance's own signer
    does (twice the base fee plus the tip), is then priced for the blocks that follow.

    Raises :class:`DevnetRpcError` when no such block comes within ``timeout_s``.
    """
    target = hex(gas.base_fee_wei)
    with trio.move_on_after(timeout_s):
        while True:
            head = await dn.call("eth_getBlockByNumber", ["latest", False])
            if int(head.get("baseFeePerGas") or "0x0", 16) >= gas.base_fee_wei:
                return
            await dn.call("anvil_setNextBlockBaseFeePerGas", [target])
            if dn.block_time is None:
                await dn.mine()
            else:
                await trio.sleep(0.1)
    raise DevnetRpcError(
        f"no block at the base-fee floor {gas.base_fee_wei} wei within {timeout_s:g} s"
    )
