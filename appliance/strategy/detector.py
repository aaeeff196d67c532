"""The detector: market state + cycles + screening + exact re-check behind four calls.

Pure and synchronous (no I/O, no clock except ``seen_at`` defaults), so the supervisor task, the
backtest and the tests drive the very same object::

    det = Detector(cfg, size_caps={WETH: 10**18})
    det.on_pools(pools_discovered)
    found = det.on_reserves(reserves_updated, base_fee)   # CandidatesFound | None
    det.on_pool_states(pool_states_updated)                # V3 pools: applied, evaluated with
                                                           # the block's ReservesUpdated
    det.on_reorg(reorg_detected)
    det.deny(token, "fee_on_transfer")
    det.mark_filled(candidate)                              # a paper fill (see below)

Paper fills: nothing moves the chain in paper mode, so :meth:`mark_filled` lays the fill's
swaps over the pools' reserves (a *paper overlay*): the detector then sees the market a real fill
would have left, and offers what that fill did not consume (e.g. the rest of a dislocation larger
than the size cap) and every later change of the pools exactly as in live mode, where the fill
would be on the chain. The chain's own reserves stay underneath, and the overlay follows them:

* a fill stays laid while the chain (without it) still offers the cycle it took; once the chain
  itself closes that cycle (someone else took the opportunity, as they would not have after a
  real fill), the fill is lifted;
* a candidate through overlaid pools is offered only if it pays at least as much on the chain's
  own reserves, where the paper fill is simulated (a cycle only the overlay opened would fail
  that simulation);
* a reorg, or pools removed, lift every fill.

A log-driven pool (Uniswap V3) has no reserves to shift: its kind applies our swap to the
pool's exact state instead (:meth:`PoolKind.paper_swap`: the pool's own swap loop, so the
overlay's price, tick and in-range liquidity are what the chain would hold after a real fill),
and the screen sees the overlaid state's virtual reserves. The chain's state stays underneath
and follows its logs; the fill's swaps are applied again over it whenever it changes, and they
are lifted by the same rule as reserve deltas.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

import numpy as np

from appliance.events import (
    Candidate,
    CandidatesFound,
    PoolsDiscovered,
    PoolStatesUpdated,
    ReorgDetected,
    ReservesUpdated,
)
from appliance.market.errors import ReorgTooDeep
from appliance.market.state import MarketState
from appliance.market.v2math import get_amount_out
from appliance.strategy.cycles import CycleSet, build_cycles
from appliance.strategy.exact import (
    MAX_EVALS,
    OptimumMemo,
    candidate_of,
    gas_in_base,
)
from appliance.strategy.piecewise import recheck_piecewise
from appliance.strategy.ranking import disjoint_best
from appliance.strategy.screen import Screen

__all__ = ["Detector", "DetectorStats", "PaperFill"]

GWEI = 10**9


MAX_PAPER_FILLS = 256  # the oldest paper fill is lifted beyond this many
_NONE = np.zeros(0, dtype=np.int64)


@dataclasses.dataclass(frozen=True, slots=True)
class PaperFill:
    """What one paper fill moved: pool id -> (change of reserve0, change of reserve1) for the
    constant-product pools, its swaps (pool id, token in is token0, amount in) through the
    log-driven ones, and its cycle: (pool id, token in is token0, fee bps) per leg."""

    deltas: dict[int, tuple[int, int]]
    legs: tuple[tuple[int, bool, int], ...] = ()
    swaps: tuple[tuple[int, bool, int], ...] = ()
    # the pools it moved, computed once: every block asks each fill in force (up to
    # MAX_PAPER_FILLS) whether the block touched it
    pids: frozenset[int] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pids = frozenset(self.deltas).union(pid for pid, _, _ in self.swaps)
        object.__setattr__(self, "pids", pids)


def _union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.union1d(a, b)`` (sorted unique pool ids) of a block's few ids: the same array, without
    numpy's fixed cost of sorting a concatenation."""
    return np.array(sorted(set(a.tolist()).union(b.tolist())), dtype=np.int64)


class DetectorStats:
    """Counters for metrics and the bench (plain attributes, owned by the detector)."""

    def __init__(self) -> None:
        self.blocks = 0
        self.cycles_screened = 0
        self.rechecked = 0
        self.candidates = 0
        self.deep_reorgs = 0


class Detector:
    """Opportunity detection for one chain. ``cfg`` is an :class:`appliance.config.AppConfig`.

    Args:
        size_caps: largest input per base token (base-token wei), from the risk engine; a base
            token missing here is capped at ``cfg.risk.max_trade_wei``.
        inventory: base-token balances available to trade (None: unlimited, e.g. flash funding).
    """

    def __init__(
        self,
        cfg,
        *,
        size_caps: Mapping[str, int] | None = None,
        inventory: Mapping[str, int] | None = None,
    ) -> None:
        strategy = cfg.strategy
        self.base_tokens: tuple[str, ...] = tuple(cfg.tokens.base)
        self.native_token: str = strategy.native_token or self.base_tokens[0]
        self.max_hops: int = strategy.max_hops
        self.top_n: int = strategy.top_n
        self.gas_units = np.array(
            [strategy.gas_overhead + strategy.gas_per_hop * h for h in range(5)], dtype=np.int64
        )
        self.tip_wei: int = round(cfg.execution.tip_gwei * GWEI)
        self.fallback_gas_price: int = round(cfg.execution.max_fee_gwei * GWEI)
        self.default_cap: int = cfg.risk.max_trade_wei
        self.size_caps: dict[str, int] = dict(size_caps or {})
        self.inventory: dict[str, int] | None = None if inventory is None else dict(inventory)
        self.state = MarketState()
        self.stats = DetectorStats()
        # paper fills in force (see the module doc): lifted when the chain changes their pools
        self.fills: list[PaperFill] = []
        self._chain: dict[int, tuple[int, int]] = {}  # pool id -> chain reserves under an overlay
        self._total: dict[int, tuple[int, int]] = {}  # pool id -> the fills' summed deltas
        self._covering: dict[int, list[PaperFill]] = {}  # pool id -> the fills through it
        # log-driven (V3) pools under an overlay: pool id -> (the chain's state, its reserves as
        # the screen saw them), and the fills' swaps through each, in fill order
        self._chain_held: dict[int, tuple[object, int, int]] = {}
        self._swaps: dict[int, list[tuple[bool, int]]] = {}
        for token in cfg.tokens.deny:
            self.state.deny(token, "config")
        self._cycles: CycleSet | None = None
        self._screen: Screen | None = None
        self._optima = OptimumMemo()  # per cycle id: an unchanged cycle is not searched again
        self._plans: dict[int, tuple] = {}  # per cycle id: its legs and (pool, zero_for_one, fee)
        # the last evaluation, reused while nothing it depends on changed (a quiet block)
        self._last: tuple[int, tuple[Candidate, ...]] | None = None  # (gas price, candidates)
        self._value: np.ndarray | None = None  # the base tokens' values of that evaluation
        # (state version, base token -> ids of its pools against the native token)
        self._quote_pools: tuple[int, dict[str, list[int]]] = (-1, {})

    # ------------------------------------------------------------------ inputs
    def on_pools(self, event: PoolsDiscovered) -> list[int]:
        """Add pools; the cycle set is rebuilt lazily at the next reserves update."""
        return self.state.set_pools(event)

    def remove_pools(self, addresses) -> None:
        self._lift()  # pool ids are compacted: the paper fills cannot follow
        self.fills.clear()
        self._swaps.clear()
        self.state.remove_pools(addresses)

    def deny(self, token: str, reason: str) -> bool:
        """Deny-list ``token`` (its cycles disappear). False when it was denied already."""
        if token in self.base_tokens:
            return False  # base tokens are the operator's choice; config forbids denying them
        return self.state.deny(token, reason)

    def mark_filled(self, candidate: Candidate) -> bool:
        """A paper fill of ``candidate``: lay its swaps over the pools (see the module doc).

        False (nothing laid) when a pool is unknown or the swaps do not fit the pools as shown
        now (the market moved since): the next block is evaluated on the chain's figures as it is.
        """
        st = self.state
        amounts_in = (candidate.amount_in, *candidate.amounts[:-1])
        if len(candidate.amounts) != len(candidate.legs):
            return False
        deltas: dict[int, tuple[int, int]] = {}
        legs, swaps = [], []
        shown: dict[int, object] = {}  # log-driven pools after this fill's swaps so far
        for leg, a_in, a_out in zip(candidate.legs, amounts_in, candidate.amounts, strict=True):
            pid = st.pool_ids.get(leg.pool)
            if pid is None:
                return False
            zero_in = leg.token_in == st.pools[pid].token0
            legs.append((pid, zero_in, leg.fee_bps))
            kind = st.kinds[pid]
            if kind.hop(st, pid, zero_in) is None:  # log-driven: our swap on its exact state
                held = shown.get(pid, st.held.get(pid))
                after = None if held is None else kind.paper_swap(held, zero_in, a_in)
                if after is None:
                    return False
                shown[pid] = after
                swaps.append((pid, zero_in, a_in))
                continue
            d0, d1 = (a_in, -a_out) if zero_in else (-a_out, a_in)
            old0, old1 = deltas.get(pid, (0, 0))
            deltas[pid] = (old0 + d0, old1 + d1)
        for pid, (d0, d1) in deltas.items():
            if st.reserve0[pid] + d0 <= 0 or st.reserve1[pid] + d1 <= 0:
                return False
        before = self._lift()
        self.fills.append(PaperFill(deltas, tuple(legs), tuple(swaps)))
        del self.fills[:-MAX_PAPER_FILLS]
        self._refresh(self._lay(before))
        return True

    @property
    def filled(self) -> set[str]:
        """Addresses of the pools under a paper fill now."""
        return {self.state.pools[pid].address for fill in self.fills for pid in fill.pids}

    def set_size_caps(self, size_caps: Mapping[str, int]) -> None:
        if dict(size_caps) != self.size_caps:
            self.size_caps = dict(size_caps)
            self._last = None

    def set_inventory(self, inventory: Mapping[str, int] | None) -> None:
        inventory = None if inventory is None else dict(inventory)
        if inventory != self.inventory:
            self.inventory = inventory
            self._last = None

    def on_reorg(self, event: ReorgDetected) -> None:
        """Roll reserves back to ``event.common_ancestor`` (or forget them if too deep).

        Paper fills are lifted: the blocks they were laid on are gone."""
        before = self._lift()
        self.fills.clear()
        lifted = self._lay(before)
        try:
            touched = self.state.rollback(event.common_ancestor)
        except ReorgTooDeep:
            self.stats.deep_reorgs += 1
            self.state.clear_reserves()
            self._last = None
            if self._screen is not None:
                self._screen.update(None)
            return
        self._refresh(_union(touched, lifted))

    def on_pool_states(self, event: PoolStatesUpdated) -> np.ndarray:
        """Apply a block's log-driven pool states (V3); the block is evaluated when its
        ``ReservesUpdated`` follows. Returns the ids of the pools whose screened view changed.

        Under paper fills the logs go to the chain's own states (the overlays are lifted), the
        fills the chain itself closed are lifted, and the others' swaps applied again."""
        if not self._chain_held and not self._swaps:
            changed = self.state.apply_states(event)
            self._refresh(changed)
            return changed
        shown = self._lift_held()
        changed = self.state.apply_states(event)
        if self._drop_taken(changed):
            for pid, res in self._lift().items():
                shown.setdefault(pid, res)
            moved = self._lay(shown)
        else:
            self._lay_held()
            moved = self._moved(shown)
        changed = _union(changed, moved) if len(moved) else changed
        self._refresh(changed)
        return changed

    def on_reserves(
        self, event: ReservesUpdated, base_fee: int | None, *, seen_at: float | None = None
    ) -> CandidatesFound | None:
        """Apply a block's reserves and return its candidates (None when there are none)."""
        if self._chain or self._chain_held:
            changed, moved = self._apply_under_overlay(event)
        else:  # nothing laid now: fills in force (if any) may fit the new reserves
            changed = self.state.apply(event)
            self._drop_taken(changed)
            moved = self._lay({}) if self.fills else _NONE
        self._refresh(_union(changed, moved) if len(moved) else changed)
        self.stats.blocks += 1
        found = self.evaluate(event.block, base_fee)
        if self._chain or self._chain_held:
            found = tuple(c for c in found if self._holds_on_chain(c))
        if not found:
            return None
        self.stats.candidates += len(found)
        return CandidatesFound(
            block=event.block,
            candidates=found,
            seen_at=time.monotonic() if seen_at is None else seen_at,
        )

    # ------------------------------------------------------------------ internals
    def _drop_taken(self, changed: np.ndarray) -> bool:
        """Lift the fills whose cycle the chain itself closed (see the module doc). True when
        one was lifted."""
        if not self.fills or not len(changed):
            return False
        hit = set(changed.tolist())
        if hit.isdisjoint(self._total) and hit.isdisjoint(self._swaps):
            return False  # no fill covers a changed pool (``_total``, ``_swaps``: all they do)
        # the fills through a changed pool (``_covering``, laid with the fills like ``_total``):
        # a block touches a few of the many fills in force; the others stay as they are
        covering = {id(f): f for pid in hit for f in self._covering.get(pid, ())}
        taken = {key for key, fill in covering.items() if not self._chain_offers(fill)}
        if not taken:
            return False
        self.fills = [f for f in self.fills if id(f) not in taken]
        return True

    def _apply_under_overlay(self, event: ReservesUpdated) -> tuple[np.ndarray, np.ndarray]:
        """Apply ``event`` with fills laid: the chain's figures go back under the event's pools
        only (so apply() sees and undoes those), the overlay is laid again over them; only when a
        fill is lifted is the whole overlay laid afresh. Returns (changed, moved by the overlay).
        The same outcome as lifting and laying every fill, at the cost of the block's pools."""
        st, ids = self.state, self.state.pool_ids
        before: dict[int, tuple[int, int]] = {}
        for address in event.reserves:
            pid = ids.get(address)
            if pid is not None and pid in self._chain:
                before[pid] = (st.reserve0[pid], st.reserve1[pid])
                self._put(pid, *self._chain.pop(pid))
        changed = st.apply(event)
        if self._drop_taken(changed):
            before.update(self._lift())
            return changed, self._lay(before)
        moved = []
        for address in event.reserves:
            pid = ids.get(address)
            if pid is None:
                continue
            delta = self._total.get(pid)
            if delta is not None:  # lay it again over the chain's new figures, if they fit
                res0, res1 = st.reserve0[pid], st.reserve1[pid]
                if res0 + delta[0] > 0 and res1 + delta[1] > 0:
                    self._chain[pid] = (res0, res1)
                    self._put(pid, res0 + delta[0], res1 + delta[1])
            if (pid in before or pid in self._chain) and before.get(pid) != (
                st.reserve0[pid],
                st.reserve1[pid],
            ):
                moved.append(pid)
        return changed, np.array(sorted(set(moved)), dtype=np.int64)

    def _put(self, pid: int, res0: int, res1: int) -> None:
        """Set a pool's reserves outside the state's undo log (the overlay is not chain data)."""
        st = self.state
        st.reserve0[pid], st.reserve1[pid] = res0, res1
        st.r0[pid], st.r1[pid] = float(res0), float(res1)

    def _lift(self) -> dict[int, tuple[int, int]]:
        """Put the chain's reserves (and states) back under every overlaid pool; returns what
        was shown."""
        st = self.state
        shown: dict[int, tuple[int, int]] = self._lift_held()
        for pid, (res0, res1) in self._chain.items():
            if pid < st.n_pools:
                shown[pid] = (st.reserve0[pid], st.reserve1[pid])
                self._put(pid, res0, res1)
        self._chain.clear()
        return shown

    def _lift_held(self) -> dict[int, tuple[int, int]]:
        """Put the chain's own states back under the overlaid log-driven pools; returns the
        reserves shown before."""
        st = self.state
        shown: dict[int, tuple[int, int]] = {}
        for pid, (held, res0, res1) in self._chain_held.items():
            if pid < st.n_pools:
                shown[pid] = (st.reserve0[pid], st.reserve1[pid])
                st.held[pid] = held
                self._put(pid, res0, res1)
        self._chain_held.clear()
        return shown

    def _lay_held(self) -> None:
        """Apply the fills' swaps (in fill order) over the chain's states of the log-driven
        pools (lifted: nothing laid there now); a pool whose swaps no longer apply exactly (the
        chain moved beyond the state held) shows the chain's state."""
        st = self.state
        for pid, swaps in self._swaps.items():
            chain = st.held.get(pid)
            if chain is None or pid >= st.n_pools:
                continue
            kind = st.kinds[pid]
            shown = chain
            for zero_in, amount in swaps:
                shown = kind.paper_swap(shown, zero_in, amount)
                if shown is None:
                    break
            if shown is not None:
                self._chain_held[pid] = (chain, st.reserve0[pid], st.reserve1[pid])
                st.held[pid] = shown
                self._put(pid, *kind.reserves(shown))

    def _moved(self, before: dict[int, tuple[int, int]]) -> np.ndarray:
        """The pools whose shown reserves differ from ``before`` (overlaid now, or then)."""
        st = self.state
        moved = [
            pid
            for pid in set(before) | set(self._chain) | set(self._chain_held)
            if before.get(pid) != (st.reserve0[pid], st.reserve1[pid])
        ]
        return np.array(sorted(moved), dtype=np.int64)

    def _lay(self, before: dict[int, tuple[int, int]]) -> np.ndarray:
        """Lay the fills in force over the chain's reserves; returns the pools whose shown
        reserves differ from ``before`` (what :meth:`_lift` returned)."""
        st = self.state
        total: dict[int, tuple[int, int]] = {}
        for fill in self.fills:
            for pid, (d0, d1) in fill.deltas.items():
                old0, old1 = total.get(pid, (0, 0))
                total[pid] = (old0 + d0, old1 + d1)
        self._total = total  # valid until the fills change (every change lays them again)
        covering: dict[int, list[PaperFill]] = {}  # pool id -> the fills through it, in order
        for fill in self.fills:
            for pid in fill.pids:
                covering.setdefault(pid, []).append(fill)
        self._covering = covering
        for pid, (d0, d1) in total.items():
            res0, res1 = st.reserve0[pid], st.reserve1[pid]
            if res0 + d0 > 0 and res1 + d1 > 0:
                self._chain[pid] = (res0, res1)
                self._put(pid, res0 + d0, res1 + d1)
        swaps: dict[int, list[tuple[bool, int]]] = {}
        for fill in self.fills:
            for pid, zero_in, amount in fill.swaps:
                swaps.setdefault(pid, []).append((zero_in, amount))
        self._swaps = swaps
        self._lay_held()
        return self._moved(before)

    def _chain_offers(self, fill: PaperFill) -> bool:
        """Does the chain's own state (the overlay lifted) still pay for the fill's cycle at the
        margin? (exact: product of out/in reserves net of fees above 1)."""
        return self._chain_offers_legs(fill.legs)

    def _chain_offers_legs(self, legs) -> bool:
        """As :meth:`_chain_offers` for ``(pid, zero_in, fee_bps)`` legs; a log-driven pool's
        reserves here are the screen's view of its chain state (virtual reserves at its price)."""
        st = self.state
        num = den = 1
        for pid, zero_in, fee in legs:
            held = self._chain_held.get(pid)
            if held is not None:
                res0, res1 = held[1], held[2]
            else:
                res0, res1 = self._chain.get(pid) or (st.reserve0[pid], st.reserve1[pid])
            r_in, r_out = (res0, res1) if zero_in else (res1, res0)
            num *= r_out * (10_000 - fee)
            den *= r_in * 10_000
        return num > den

    def _holds_on_chain(self, candidate: Candidate) -> bool:
        """A candidate through overlaid pools must pay at least as much on the chain's own
        reserves: the paper fill's simulation runs on the chain, which never saw the paper
        fills (a cycle that only the overlay opened would fail it and trip the breaker)."""
        st, ids = self.state, self.state.pool_ids
        if not any(
            ids[leg.pool] in self._chain or ids[leg.pool] in self._chain_held
            for leg in candidate.legs
        ):
            # through no overlaid pool: the path below would quote the candidate's own pools as
            # they were when it was sized, giving its own amounts (all positive), and hold
            return True
        amount: int | None = candidate.amount_in
        touched = False
        for leg in candidate.legs:
            pid = st.pool_ids[leg.pool]
            zero_in = leg.token_in == st.pools[pid].token0
            if pid in self._chain:  # overlaid: the constant-product pair's chain reserves
                touched = True
                res0, res1 = self._chain[pid]
                r_in, r_out = (res0, res1) if zero_in else (res1, res0)
                if amount <= 0 or r_in <= 0 or r_out <= 0:
                    return False
                amount = get_amount_out(amount, r_in, r_out, leg.fee_bps)
            elif pid in self._chain_held:  # overlaid log-driven pool: its chain state's quote
                touched = True
                quote = st.kinds[pid].held_quoter(self._chain_held[pid][0], zero_in)
                amount = quote(amount) if amount is not None and amount > 0 else None
                if amount is None:
                    return False
            else:
                amount = st.kinds[pid].quoter(st, pid, zero_in)(amount)
                if amount is None:
                    return False
        return not touched or amount >= candidate.amount_out

    @property
    def cycles(self) -> CycleSet:
        self._ensure_cycles()
        assert self._cycles is not None
        return self._cycles

    def _ensure_cycles(self) -> bool:
        """Rebuild cycles and the whole screen when the pool set changed. True if rebuilt."""
        if self._cycles is not None and self._cycles.version == self.state.version:
            return False
        self._last = None
        self._optima.clear()
        self._plans.clear()
        self._cycles = build_cycles(self.state, self.base_tokens, self.max_hops)
        self._screen = Screen(self._cycles, self.state)
        self.stats.cycles_screened += self._screen.update(None)
        return True

    def _refresh(self, changed: np.ndarray) -> None:
        if self._ensure_cycles() or len(changed) == 0:
            return
        self._last = None
        assert self._cycles is not None and self._screen is not None
        self.stats.cycles_screened += self._screen.update(self._cycles.affected(changed))

    def gas_price(self, base_fee: int | None) -> int:
        """Native wei per gas: base fee + tip, or the fee cap on chains without a base fee."""
        if base_fee is None:
            return self.fallback_gas_price
        return base_fee + self.tip_wei

    def base_prices(self) -> dict[str, float]:
        """The base tokens' spot value now, in native wei per token wei (deepest pool against
        the native token; the native token is 1.0; tokens without a quote are left out): the
        risk engine's per-block price observation (volatility regime, correlations)."""
        # the last evaluation's values while nothing changed since (it set ``_last``)
        fresh = self._last is not None and self._cycles is not None
        value = self._value if fresh and self._cycles.version == self.state.version else None
        if value is None:
            value, _ = self._base_values()
        ids = self.state.token_ids
        return {t: float(value[ids[t]]) for t in self.base_tokens if t in ids and value[ids[t]] > 0}

    def _native_quotes(self, base_token: str) -> list[tuple[int, int, int]]:
        st = self.state
        quotes = []
        for pid in self._native_pools(base_token):
            res_base, res_native = st.reserves(pid, base_token)
            if res_base > 0 and res_native > 0:
                quotes.append((res_base, res_native, st.pools[pid].fee_bps))
        return quotes

    def _base_values(self) -> tuple[np.ndarray, dict[str, list[tuple[int, int, int]]]]:
        """Native value of one unit of each base token (spot, deepest pool), and the quotes."""
        value = np.zeros(max(len(self.state.tokens), 1))
        quotes: dict[str, list[tuple[int, int, int]]] = {}
        for token in self.base_tokens:
            tid = self.state.token_ids.get(token)
            if tid is None:
                continue
            if token == self.native_token:
                value[tid] = 1.0
                continue
            quotes[token] = q = self._native_quotes(token)
            if q:
                res_base, res_native, _ = max(q, key=lambda item: item[1])
                value[tid] = res_native / res_base
        return value, quotes

    def _cap(self, base_token: str) -> int:
        cap = self.size_caps.get(base_token, self.default_cap)
        if self.inventory is not None:
            cap = min(cap, self.inventory.get(base_token, 0))
        return cap

    def _recheck_piecewise(
        self, cid: int, route: tuple[tuple[int, bool, int], ...], common: dict
    ) -> Candidate | None:
        """A cycle through a pool that is not constant-product (V3): sized on the piecewise
        curve of the pools' own exact swaps (:mod:`.piecewise`), from the screen's estimate."""
        st = self.state
        assert self._screen is not None
        x_star = float(self._screen.x_star[cid])
        hint = int(min(x_star, float(common["cap"]))) if x_star >= 1 else None
        return recheck_piecewise(
            quoters=[st.kinds[pid].quoter(st, pid, zfo) for pid, zfo, _ in route],
            relaxations=[st.kinds[pid].relaxation(st, pid, zfo) for pid, zfo, _ in route],
            curves=[st.kinds[pid].curve(st, pid, zfo) for pid, zfo, _ in route],
            hint=hint,
            **common,
        )

    def evaluate(self, block: int, base_fee: int | None) -> tuple[Candidate, ...]:
        """Exact candidates of the current state, best first, pool-disjoint, net profit > 0."""
        self._ensure_cycles()
        cycles, screen, st = self._cycles, self._screen, self.state
        assert cycles is not None and screen is not None
        if len(cycles) == 0:
            return ()
        gas_price = self.gas_price(base_fee)
        if self._last is not None and self._last[0] == gas_price:
            return tuple(dataclasses.replace(c, block=block) for c in self._last[1])
        gas_native = self.gas_units * gas_price
        value, quotes = self._base_values()
        self._value = value
        ids = screen.top(self.top_n, value, gas_native.astype(np.float64))
        token_value = {
            t: float(value[st.token_ids[t]]) for t in self.base_tokens if t in st.token_ids
        }
        # (rank, pools, what makes the candidate, exact?), as rank_disjoint ranks candidates: a
        # constant-product cycle's candidate is built only if it is chosen, and a changed one is
        # searched only if the ranking reaches it with its pools free (see .ranking)
        ranked: list[tuple[float, tuple[str, ...], object, bool]] = []
        gas_cost_cache: dict[tuple[str, int], int | None] = {}
        caps: dict[str, int] = {}
        for cid in ids.tolist():
            plan = self._plans.get(cid) or self._plan(cid)
            hops_n, base_token = plan[3], plan[4]
            cap = caps.get(base_token)
            if cap is None:
                cap = caps[base_token] = self._cap(base_token)
            if cap <= 0:
                continue
            key = (base_token, hops_n)
            if key not in gas_cost_cache:
                gas_cost_cache[key] = gas_in_base(
                    int(gas_native[hops_n]),
                    base_token,
                    self.native_token,
                    quotes.get(base_token, []),
                )
            gas_cost = gas_cost_cache[key]
            if gas_cost is None:
                continue
            self.stats.rechecked += 1
            worth = token_value.get(base_token, 1.0)
            if plan[2]:
                entry = self._closed_entry(cid, plan, cap, gas_cost, worth)
                if entry is not None:
                    ranked.append(entry)
                continue
            common = dict(
                block=block,
                legs=plan[0],
                base_token=base_token,
                cap=cap,
                gas_estimate=plan[5],
                gas_cost=gas_cost,
            )
            cand = self._recheck_piecewise(cid, plan[1], common)
            if cand is not None and cand.net_profit > 0:
                ranked.append((cand.net_profit * worth, plan[6], cand, True))
        chosen = tuple(
            item if isinstance(item, Candidate) else self._candidate(item, block)
            for item in disjoint_best(ranked, self._size_closed)
        )
        self._last = (gas_price, chosen)
        return chosen

    # ------------------------------------------------------------------ the hot path's helpers
    # (kept apart from the paper-fill code above: they only make the per-block work cheaper)
    def _plan(self, cid: int) -> tuple:
        """What the re-check of cycle ``cid`` needs that never changes with the reserves:
        (legs, route = ((pool, zero_for_one, fee), ...), closed form?, hops, base token,
        gas units, pool addresses). Built once per cycle and cycle set."""
        cycles, st = self._cycles, self.state
        assert cycles is not None
        hops_n = int(cycles.hops[cid])
        route = tuple(
            (
                int(cycles.pools[cid, k]),
                bool(cycles.zero_for_one[cid, k]),
                int(st.fee_bps[int(cycles.pools[cid, k])]),
            )
            for k in range(hops_n)
        )
        # constant-product all through (every kind gives a hop): the closed form
        closed = all(st.kinds[pid].hop(st, pid, zfo) is not None for pid, zfo, _ in route)
        legs = cycles.legs(cid, st)
        plan = (
            legs,
            route,
            closed,
            hops_n,
            st.tokens[int(cycles.base[cid])],
            int(self.gas_units[hops_n]),
            tuple(leg.pool for leg in legs),
        )
        self._plans[cid] = plan
        return plan

    def _native_pools(self, base_token: str) -> list[int]:
        """``state.pools_between(base_token, native)``, kept while the pool set is the same
        (asked for at every evaluation: the gas price in each base token)."""
        st = self.state
        if self._quote_pools[0] != st.version:
            self._quote_pools = (st.version, {})
        known = self._quote_pools[1]
        pools = known.get(base_token)
        if pools is None:
            pools = known[base_token] = st.pools_between(base_token, self.native_token)
        return pools

    def _closed_entry(self, cid: int, plan: tuple, cap: int, gas_cost: int, worth: float):
        """The ranking's entry of a constant-product cycle (None: it cannot pay): exact when its
        memo holds these very reserves and cap (:func:`~.exact.recheck_optimum`'s answer
        without its plumbing), else its bound, to be searched by :meth:`_size_closed` if the
        ranking reaches it. The rank is the net profit times the base token's worth."""
        res0, res1 = self.state.reserve0, self.state.reserve1
        hops = tuple(
            [
                (res0[pid], res1[pid], fee) if zfo else (res1[pid], res0[pid], fee)
                for pid, zfo, fee in plan[1]
            ]
        )
        known = self._optima.known(cid, hops, cap, MAX_EVALS, 0)
        if known is not None:
            opt = known[0]
            # candidate_of's test: the candidate exists iff its net profit is positive
            if opt is None or opt.profit - gas_cost <= 0:
                return None
            return ((opt.profit - gas_cost) * worth, plan[6], (opt, plan, gas_cost), True)
        bound = self._optima.bound(cid, hops, cap)
        if bound is None or bound <= gas_cost:
            return None  # recheck_optimum's: no input can pay the gas, no search
        job = (cid, hops, cap, plan, gas_cost, worth)
        return ((bound - gas_cost) * worth, plan[6], job, False)

    def _size_closed(self, job: tuple) -> tuple[float, tuple] | None:
        """The search :meth:`_closed_entry` put off: ``(rank, (optimum, plan, gas cost))``, or
        None when the optimum does not pay the gas."""
        cid, hops, cap, plan, gas_cost, worth = job
        opt = self._optima.optimum(cid, hops, cap, max_evals=MAX_EVALS, tolerance=0)
        if opt is None or opt.profit - gas_cost <= 0:
            return None
        return ((opt.profit - gas_cost) * worth, (opt, plan, gas_cost))

    @staticmethod
    def _candidate(item: tuple, block: int) -> Candidate:
        """The candidate of a chosen constant-product cycle: (optimum, plan, gas cost)."""
        opt, plan, gas_cost = item
        cand = candidate_of(
            opt, block=block, legs=plan[0], base_token=plan[4], gas_estimate=plan[5],
            gas_cost=gas_cost,
        )  # fmt: skip
        assert cand is not None  # ranked only with a positive net profit
        return cand
