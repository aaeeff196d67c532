"""The backtest loop: a replayed market through the live strategy, risk engine and paper fills.

Same code as live, block by block: the market's changes go to the real
:class:`~appliance.strategy.detector.Detector`; its candidates to the real
:class:`~appliance.risk.engine.RiskEngine` (breakers, sizing, limits, modes — on the replayed
clock, so a daily reset happens at the replayed day's hour); each approved order races the
rivals of the fill model; a win is accounted by the paper path's own
:func:`~appliance.execution.accounting.fill_from_simulation` (gas: the candidate's estimate at
the block's base fee plus the configured tip) and fed back to the risk engine as the live
supervisor would; a win or a loss (a rival's fill) is laid over the market exactly as a paper
fill is (:meth:`Detector.mark_filled`): what it did not consume, and every later change, is
offered again.

The per-block optimum (for capture) is the best candidate of each block whose cycle touches a
pool that changed in that block, on the chain or under the previous block's fills: a lasting
opportunity counts once, not once per block, and what a capped fill left of it counts again.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from appliance.backtest.fills import AlwaysFirst, FillModel
from appliance.backtest.metrics import BacktestTrade, Summary, summarize
from appliance.backtest.sources import MarketBlock
from appliance.events import (
    BlockSeen,
    Candidate,
    CandidatesFound,
    PoolsDiscovered,
    ReservesUpdated,
    RiskUpdated,
    TradeStatus,
    TradeUpdated,
)
from appliance.execution.accounting import candidate_rate, fill_from_simulation
from appliance.execution.pipeline import fill_update, order_update
from appliance.risk.engine import RiskEngine
from appliance.safety import SafetyLatch
from appliance.strategy.detector import Detector
from appliance.supervisor.inventory import INVENTORY_EVERY_S

__all__ = ["Backtest", "BacktestRun"]

GWEI = 10**9


@dataclass
class BacktestRun:
    """One run's outcome: its summary, its trades, and the equity after every block."""

    summary: Summary
    trades: list[BacktestTrade]
    equity: list[tuple[int, int]] = field(default_factory=list)  # (block, cumulative net wei)
    rejections: dict[str, int] = field(default_factory=dict)  # risk refusals by reason
    lost_races: int = 0
    risk: RiskUpdated | None = None  # the risk engine's picture after the last block


class Backtest:
    """Replay ``blocks`` of the market ``discovered`` with ``cfg`` (an AppConfig)."""

    def __init__(
        self,
        cfg,
        discovered: PoolsDiscovered,
        *,
        denied: Iterable[tuple[str, str]] = (),
        fill_model: FillModel | None = None,
        seed: int = 0,
        block_time_s: float | None = None,
        inventory: Mapping[str, int] | None = None,
    ) -> None:
        self.cfg = cfg
        self.discovered = discovered
        self.denied = list(denied)
        self.fill_model = fill_model or AlwaysFirst()
        self.seed = seed
        self.block_time_s = block_time_s or cfg.chain.block_time_s
        self.tip_wei = round(cfg.execution.tip_gwei * GWEI)
        self.native = cfg.strategy.native_token or cfg.tokens.base[0]
        # What the executor holds, as the live inventory task would read it (paper fills move
        # nothing on chain, so it stays as given). Flash funding holds nothing and needs none.
        self.flash = cfg.execution.funding == "flash"
        self.inventory = None if self.flash else dict(inventory or {})

    def run(self, blocks: Iterable[MarketBlock]) -> BacktestRun:
        now = [0.0]
        with tempfile.TemporaryDirectory(prefix="arb-backtest-") as tmp:
            detector = Detector(self.cfg, inventory=self.inventory)
            detector.on_pools(self.discovered)
            for token, reason in self.denied:
                detector.deny(token, reason)
            engine = RiskEngine(
                self.cfg.risk,
                latch=SafetyLatch(Path(tmp)),  # never tripped: no kill switch in a backtest
                clock=lambda: now[0],
                monotonic=lambda: now[0],
                tip_wei=self.tip_wei,
                equity_token=self.native,
                flash=self.flash,
                inventory=self.inventory,
            )
            return self._loop(blocks, detector, engine, now)

    def _loop(self, blocks, detector: Detector, engine: RiskEngine, now: list[float]):
        rng = random.Random(self.seed)
        trades: list[BacktestTrade] = []
        equity: list[tuple[int, int]] = []
        rejections: dict[str, int] = {}
        lost = optimum = n_blocks = trips = 0
        first_ts = last_ts = None
        total = 0
        opened = set(_open_breakers(engine))
        synced = False
        read_at = None  # replayed time of the last inventory read
        now_filled: set[str] = set()  # pools a fill (ours or a rival's) moved in this block
        for block in blocks:
            ts = (
                float(block.timestamp)
                if block.timestamp is not None
                else block.number * self.block_time_s
            )
            now[0] = ts
            first_ts = ts if first_ts is None else first_ts
            last_ts = ts
            n_blocks += 1
            head = BlockSeen(block.number, "", "", int(ts), block.base_fee)
            engine.on_block(head)
            if not synced:  # the replayed chain is, by construction, in sync and healthy
                engine.on_health(True, True)
                synced = True
            if self.inventory and (read_at is None or ts - read_at >= INVENTORY_EVERY_S):
                # the inventory task's periodic read (paper fills move nothing on chain: the same
                # balances); the engine values them with the paper P&L: the drawdown's equity
                engine.on_inventory(self.inventory)
                read_at = ts
            detector.set_size_caps(engine.size_caps())  # as the live sizing feed does
            filled, now_filled = now_filled, set()
            found = detector.on_reserves(
                ReservesUpdated(block.number, "", block.reserves), block.base_fee, seen_at=ts
            )
            # the market task's per-block price observation, before the block's candidates
            # (volatility regime, correlations, valuation: they size and gate the trades)
            engine.on_prices(detector.base_prices())
            if found is not None:
                optimum += self._fresh_best(found, set(block.reserves) | filled, block)
                orders, records = engine.on_candidates(
                    CandidatesFound(found.block, found.candidates, seen_at=ts)
                )
                for record in records:
                    reason = getattr(record, "reason", None)
                    if type(record).__name__ == "OrderRejected" and reason:
                        rejections[reason] = rejections.get(reason, 0) + 1
                for order in orders:
                    cand = order.candidate
                    # ours or a rival's: the fill is laid over the market as paper mode does
                    detector.mark_filled(cand)
                    now_filled.update(cand.pools)
                    if not self.fill_model.first(rng):
                        lost += 1
                        engine.on_trade(self._dropped(order))
                        continue
                    update, trade = self._paper_fill(order, block, ts)
                    engine.on_trade(update)
                    trades.append(trade)
                    total += trade.net_wei
            now_open = set(_open_breakers(engine))
            trips += len(now_open - opened)
            opened = now_open
            equity.append((block.number, total))
        summary = summarize(
            trades,
            blocks=n_blocks,
            first_ts=first_ts or 0.0,
            last_ts=last_ts or 0.0,
            optimum_gross_wei=optimum,
            breaker_trips=trips,
        )
        return BacktestRun(summary, trades, equity, rejections, lost, engine.snapshot())

    def _gas_price(self, block: MarketBlock) -> int:
        if block.base_fee is None:
            return round(self.cfg.execution.max_fee_gwei * GWEI)
        return block.base_fee + self.tip_wei

    def _fresh_best(self, found: CandidatesFound, changed: set[str], block: MarketBlock) -> int:
        """Gross profit (reference wei) of the best candidate touching a pool changed now (by
        the chain, or by the last block's fills: what a fill left of a lasting opportunity is
        offered again, and counts again)."""
        best = 0
        for cand in found.candidates:
            if changed.isdisjoint(cand.pools):
                continue
            best = max(best, self._to_ref(cand, cand.gross_profit, self._gas_price(block)))
        return best

    def _to_ref(self, cand: Candidate, base_wei: int, price: int) -> int:
        rate = candidate_rate(self.native, cand, price)
        value = rate.value_ref(cand.base_token, base_wei, 0)
        return value if value is not None else 0

    def _paper_fill(self, order, block: MarketBlock, ts: float):
        cand = order.candidate
        price = self._gas_price(block)
        gas_to_base = candidate_rate(self.native, cand, price)
        fill = fill_from_simulation(
            profit=cand.gross_profit,
            gas_used=cand.gas_estimate,
            gas_price=price,
            base_token=cand.base_token,
            expected_profit=cand.gross_profit,
            gas_to_base=gas_to_base,
            block=block.number,
        )
        base = order_update(order, TradeStatus.PAPER)
        update = fill_update(base, fill, TradeStatus.PAPER, block_sent=block.number)
        net_ref = fill.value_ref if fill.value_ref is not None else 0
        trade = BacktestTrade(
            block=block.number,
            timestamp=ts,
            base_token=cand.base_token,
            amount_in=cand.amount_in,
            gross_wei=net_ref + fill.gas_cost,
            gas_wei=fill.gas_cost,
            net_wei=net_ref,
        )
        return update, trade

    @staticmethod
    def _dropped(order) -> TradeUpdated:
        return order_update(order, TradeStatus.DROPPED, reason="backtest: a rival was first")


def _open_breakers(engine: RiskEngine) -> list[str]:
    """Names of the breakers not closed now (for counting trips)."""
    states = getattr(getattr(engine, "breakers", None), "states", {}) or {}
    return [
        name for name, state in states.items() if getattr(state, "name", str(state)) != "CLOSED"
    ]
