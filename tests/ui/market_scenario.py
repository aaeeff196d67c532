"""A status-screen scenario with market intelligence: the usual paper session
(:mod:`ui_scenario`) plus what the intel task would have reported over the last day — rivals'
arbitrages and a sandwich, one of ours, a losing one — and the hour's rejections, all through
the store's own Recorder (the journal the screen reads is written the way production writes it).
"""

from __future__ import annotations

from pathlib import Path

import ui_scenario
from ui_scenario import DAI, POOLS, T0, USDC, WETH, addr, tx_hash

from appliance.events import (
    ArbitrageSeen,
    Candidate,
    CandidatesFound,
    Leg,
    MarketIntelSeen,
    OrderRejected,
    SwapRecord,
    SwapsSeen,
    TradeStatus,
    TradeUpdated,
)
from appliance.modes import Mode

__all__ = ["RIVAL", "ROUTER_BOT", "SANDWICHER", "US", "build", "market_events"]

E18 = 10**18
RIVAL, ROUTER_BOT, SANDWICHER, US = addr(901), addr(902), addr(903), addr(904)
PAIR = (POOLS[0].address, POOLS[1].address)


def _arb(block, n, kind, who, profit, token=WETH, pools=PAIR, victims=()):
    return ArbitrageSeen(
        block, tx_hash(0x5000 + n), kind, who, addr(950), token, profit, 10**14, pools, victims
    )


def market_events(t0: float = T0) -> list[tuple[float, object]]:
    """``(now, event)`` pairs: a day of others' arbitrages and the last hour's rejections."""
    out: list[tuple[float, object]] = []
    seen = [  # (seconds before t0, arbitrage)
        (20 * 3600, _arb(900, 1, "arbitrage", RIVAL, 2 * 10**17)),
        (5 * 3600, _arb(950, 2, "arbitrage", ROUTER_BOT, 9 * 10**16)),
        (3 * 3600, _arb(960, 3, "arbitrage", RIVAL, -3 * 10**15)),  # a losing one
        (1800, _arb(990, 4, "arbitrage", RIVAL, 4 * 10**16)),
        (900, _arb(995, 5, "ours", US, 10**16)),
        (600, _arb(998, 6, "arbitrage", ROUTER_BOT, 5 * 10**15)),
        (
            300,
            _arb(999, 7, "sandwich", SANDWICHER, 1_500 * 10**6, USDC, (PAIR[0],), (tx_hash(7),)),
        ),
    ]
    for before, arb in seen:
        out.append((t0 - before, MarketIntelSeen(arb.block, (arb,), 3)))
    swap = SwapRecord(tx_hash(0x5004), 0, PAIR[0], RIVAL, RIVAL, True, E18, 3000 * 10**6, RIVAL)
    out.append((t0 - 1800, SwapsSeen(990, (swap,))))
    # our paper fill of the hour, in WETH: what the capture rate counts as ours
    out.append(
        (
            t0 - 900,
            TradeUpdated(
                "m1",
                TradeStatus.PAPER,
                Mode.NORMAL,
                tx_hash=tx_hash(0x5005),
                amount_in=E18 // 2,
                expected_profit=10**16,
                realized_profit=10**16,
                base_token=WETH,
            ),
        )
    )
    tri = (
        Leg(POOLS[0].address, WETH, USDC, 30),
        Leg(POOLS[2].address, USDC, DAI, 30),
        Leg(POOLS[3].address, DAI, WETH, 30),
    )
    reasons = ["max_gas_price"] * 3 + ["stale_head"] * 2 + ["hostile_token"]
    for i, reason in enumerate(reasons):
        c = Candidate(1001, tri, WETH, E18 // 8 + i, E18 // 8 + i + 10**14, 165_000, 10**14)
        out.append((t0 - 100 + i, CandidatesFound(1001, (c,), 0.0)))
        out.append((t0 - 100 + i, OrderRejected(c, reason, "")))
    return out


def build(base: Path, **kwargs) -> ui_scenario.Scenario:
    events = sorted(ui_scenario.scenario_events() + market_events(), key=lambda pair: pair[0])
    return ui_scenario.build(base, events, **kwargs)
