"""Rival searchers on the devnet: they compete with the appliance for the same dislocations.

Four of them, each its own account (a key derived from its name, as the dev accounts; Anvil
auto-impersonates it), so a leaderboard has others on it and tests have ground truth:

* ``router`` runs triangles WETH -> X -> Y -> WETH through one DEX's router (a multi-hop path);
* ``contract`` has its own contract (``contracts/searcher.vy``) and runs 2-pool cycles across
  two DEXes (buy on one router, sell on the other, revert unless it gained) — after each head,
  and as a *back-runner*: it watches the pending pool for others' router swaps, sizes the cycle
  on the reserves those swaps will leave and sends it priced just below them, so it lands in the
  same block right after them (as on a real chain, most dislocations never reach a block head;
  it misses a seeded share ``BACKRUN_MISS`` of the rounds: its speed);
* ``v3`` (a devnet with Uniswap V3) has its own deployment of the same contract and trades a
  V2 pool against a V3 pool of the same pair (``arb_v3``: WETH -> X on one, X -> WETH on the
  other, the V3 pool paid in its callback), sized exactly on the V3 pool's tick window
  (:mod:`appliance.market.v3state`) — so the appliance's V3 trades are contested too;
* ``sandwicher`` watches the pending pool (``txpool_content``) for others' router swaps and
  wraps a big one in a front-run (a higher tip) and a back-run (a lower tip) in the same block.

Each sizes exactly with the pools' integer math from one batched reserves read per block, and
sends only when the expected profit beats its gas at the head's base fee plus its tip — after
its own reaction latency, so that, as on a real chain, the appliance wins some dislocations and
loses others. One loop shape drives them all (:class:`_Rival`): after each new head, or every
poll of the pending pool.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

import trio
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from appliance.devnet._abi import calldata
from appliance.devnet._contracts import load_contract
from appliance.devnet._v3_market import V3PoolInfo
from appliance.devnet.devnet import Devnet
from appliance.devnet.errors import DevnetRpcError
from appliance.events import PoolInfo
from appliance.market.errors import MarketError
from appliance.market.v2math import Hop, get_amount_out, get_amounts_out
from appliance.market.v3state import V3PoolWindow

__all__ = [
    "SEARCHER_NAMES",
    "SearcherStats",
    "Searchers",
    "open_searchers",
    "run_searchers",
    "searcher_address",
]

log = logging.getLogger(__name__)

SEARCHER_NAMES = ("router", "contract", "sandwicher", "v3")
MAX_UINT = 2**256 - 1
GWEI = 10**9
_DEADLINE = 2**63
_SWAP = "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)"
_SWAP_SELECTOR = "0x38ed1739"  # of _SWAP
_ARB = "arb(address,address,address,address,uint256,uint256)"
_ARB_V3 = "arb_v3(address,address,address,address,bool,uint256,uint256)"
_GAS = {"router": 260_000, "contract": 240_000, "sandwich_leg": 140_000, "v3": 300_000}
_GAS_MARGIN = 100_000  # the gas limit over the expected use
_TIP_GWEI = {"router": 1, "contract": 1, "sandwicher": 0, "v3": 1}  # they bid as the appliance does
_LATENCY_S = {"router": 0.15, "contract": 0.05, "v3": 0.1}
BACKRUN_MISS = 0.15  # the share of pending rounds the back-runner is too slow for
_FUND_WETH = 2_000 * 10**18
_PROBE_WEI = 10**15  # a V2<->V3 cycle that loses on 0.001 WETH loses on any size (concave)
_RETRY_S = 0.5


def searcher_address(name: str) -> str:
    """The checksummed account of searcher ``name`` (derived from its name, like the dev accounts)."""
    key = "0x" + keccak(text=f"arb-appliance devnet searcher: {name}").hex()
    return Account.from_key(key).address


@dataclass(slots=True)
class SearcherStats:
    """Counters per searcher name (read them; the searchers write them)."""

    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEARCHER_NAMES, 0))
    failed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEARCHER_NAMES, 0))
    txs: list[tuple[str, str]] = field(default_factory=list)  # (searcher name, tx hash)


@dataclass(frozen=True, slots=True)
class _Plan:
    """A sized opportunity: what to send, and what the searcher expects to gain (WETH wei)."""

    profit: int
    amount_in: int
    hops: tuple[PoolInfo, ...]
    tokens: tuple[str, ...]  # token path, first == last for cycles


@dataclass(frozen=True, slots=True)
class _V3Plan:
    """A sized V2<->V3 cycle WETH -> mid -> WETH (``v2_first``: the V2 pool buys ``mid``)."""

    profit: int
    amount_in: int
    v2: PoolInfo
    v3: V3PoolInfo
    mid: str
    v2_first: bool


def _maximise(gain: Callable[[int], int], cap: int) -> tuple[int, int]:
    """(amount in, gain) maximising a concave ``gain`` over [1, cap] (ternary search)."""
    lo, hi = 1, cap
    while hi - lo > 2:
        m1, m2 = lo + (hi - lo) // 3, hi - (hi - lo) // 3
        if gain(m1) < gain(m2):
            lo = m1 + 1
        else:
            hi = m2
    best = max(range(lo, hi + 1), key=gain)
    return best, gain(best)


@dataclass(frozen=True, slots=True)
class _Rival:
    """One rival's loop: ``act(reserves, base_fee)`` after each new head (``per_head``, after
    ``latency_s``), or at every poll of the pending pool."""

    name: str
    act: Callable[[dict, int], Awaitable[object]]
    per_head: bool
    latency_s: float = 0.0


class Searchers:
    """The rivals of one devnet; build with :func:`open_searchers` (funds and approves)."""

    def __init__(self, dn: Devnet, contract: str, v3_contract: str | None = None) -> None:
        self.dn = dn
        self.contract = contract
        self.v3_contract = v3_contract
        self.addresses = {name: searcher_address(name) for name in SEARCHER_NAMES}
        self.stats = SearcherStats()
        self._pair = {(p.dex, frozenset((p.token0, p.token1))): p for p in dn.pools}
        self._core = [dn.token(s).address for s in dn.core_symbols]
        self._routers = {d.name: d.router for d in dn.dexes}
        self._seen_pending: set[str] = set()
        self._seen_backrun: set[str] = set()
        self._rng = random.Random(f"backrun:{contract}")
        weth = dn.weth
        # the V3 pools with WETH on one side that some V2 pool of the same pair faces
        self._v3_cycles = [
            (pool, v2)
            for pool in (dn.v3.pools if dn.v3 is not None else ())
            if weth in (pool.token0, pool.token1)
            for v2 in dn.pools
            if {v2.token0, v2.token1} == {pool.token0, pool.token1}
        ]

    # ------------------------------------------------------------------ sizing
    def _hops(self, reserves, path: Sequence[str], dexes: Sequence[str]) -> list[Hop] | None:
        hops = []
        for (a, b), dex in zip(itertools.pairwise(path), dexes, strict=True):
            pool = self._pair.get((dex, frozenset((a, b))))
            if pool is None:
                return None
            r0, r1 = reserves[pool.address]
            hops.append((r0, r1, pool.fee_bps) if a == pool.token0 else (r1, r0, pool.fee_bps))
        return hops

    def _pools(self, path: Sequence[str], dexes: Sequence[str]) -> tuple[PoolInfo, ...]:
        return tuple(
            self._pair[(dex, frozenset(ab))]
            for ab, dex in zip(itertools.pairwise(path), dexes, strict=True)
        )

    @staticmethod
    def _best_input(hops: Sequence[Hop], cap: int) -> tuple[int, int]:
        """(amount in, gross profit) maximising out - in over [1, cap]; (0, 0) when the cycle's
        marginal rate does not beat 1."""
        rate = 1.0
        for r_in, r_out, fee in hops:
            rate *= r_out / r_in * (10_000 - fee) / 10_000
        if rate <= 1.0:
            return 0, 0

        def gain(a: int) -> int:
            try:
                return get_amounts_out(a, hops)[-1] - a
            except MarketError:
                return -a

        return _maximise(gain, cap)

    def _best_cycle(self, reserves, gas_price: int, name: str, routes) -> _Plan | None:
        """The best of ``routes`` (``(path, dexes)`` pairs) net of ``name``'s gas, or None."""
        best, cost = None, _GAS[name] * gas_price
        for path, dexes in routes:
            hops = self._hops(reserves, path, dexes)
            if hops is None:
                continue
            amount, gross = self._best_input(hops, _FUND_WETH // 4)
            if gross - cost > 0 and (best is None or gross - cost > best.profit):
                best = _Plan(gross - cost, amount, self._pools(path, dexes), tuple(path))
        return best

    def plan_router(self, reserves, gas_price: int) -> _Plan | None:
        """The best triangle through one DEX's router, net of gas; None when none pays."""
        weth = self.dn.weth
        others = [t for t in self._core if t != weth]
        routes = [
            ((weth, x, y, weth), (dex,) * 3)
            for dex in self._routers
            for x, y in itertools.permutations(others, 2)
        ]
        return self._best_cycle(reserves, gas_price, "router", routes)

    def plan_contract(self, reserves, gas_price: int) -> _Plan | None:
        """The best WETH -> X -> WETH across two DEXes, net of gas; None when none pays."""
        weth = self.dn.weth
        routes = [
            ((weth, x, weth), (buy, sell))
            for x in self._core
            if x != weth
            for buy, sell in itertools.permutations(self._routers, 2)
        ]
        return self._best_cycle(reserves, gas_price, "contract", routes)

    def plan_v3(self, reserves, windows: dict[str, V3PoolWindow], gas_price: int) -> _V3Plan | None:
        """The best WETH -> X -> WETH across a V2 and a V3 pool, net of gas; None if none pays.

        ``windows``: each V3 pool's tick window by address (exact inside it; a size that would
        leave it counts as a loss)."""
        weth, best = self.dn.weth, None
        cost = _GAS["v3"] * gas_price
        for pool, v2 in self._v3_cycles:
            window = windows.get(pool.address)
            if window is None:
                continue
            mid = pool.token1 if pool.token0 == weth else pool.token0
            r0, r1 = reserves[v2.address]
            r_weth, r_mid = (r0, r1) if v2.token0 == weth else (r1, r0)
            for v2_first in (True, False):
                gain = _v3_cycle_gain(window, pool, weth, r_weth, r_mid, v2.fee_bps, v2_first)
                if gain(_PROBE_WEI) <= 0:
                    continue
                amount, gross = _maximise(gain, _FUND_WETH // 4)
                if gross - cost > 0 and (best is None or gross - cost > best.profit):
                    best = _V3Plan(gross - cost, amount, v2, pool, mid, v2_first)
        return best

    # ------------------------------------------------------------------ calldata
    def _tx_of(self, name: str, plan: _Plan | _V3Plan, min_gain: int) -> tuple[str, str]:
        """``(to, data)`` of ``plan`` for ``name``, reverting unless it gains ``min_gain``."""
        if isinstance(plan, _V3Plan):
            router = self._routers[plan.v2.dex]
            args = (self.dn.weth, plan.mid, router, plan.v3.address, plan.v2_first)
            assert self.v3_contract is not None
            return self.v3_contract, calldata(_ARB_V3, *args, plan.amount_in, min_gain)
        if name == "router":  # one DEX's multi-hop path: out >= in + gain
            data = calldata(
                _SWAP,
                plan.amount_in,
                plan.amount_in + min_gain,
                list(plan.tokens),
                self.addresses["router"],
                _DEADLINE,
            )
            return self._routers[plan.hops[0].dex], data
        buy, sell = (self._routers[p.dex] for p in plan.hops)
        data = calldata(_ARB, plan.tokens[0], plan.tokens[1], buy, sell, plan.amount_in, min_gain)
        return self.contract, data

    async def _send_plan(
        self,
        name: str,
        plan: _Plan | _V3Plan | None,
        base_fee: int,
        tip: int,
        max_fee: int | None = None,
    ) -> str | None:
        """Send ``plan`` as ``name``: it must at least pay its gas at ``base_fee + tip``."""
        if plan is None:
            return None
        to, data = self._tx_of(name, plan, _GAS[name] * (base_fee + tip))
        return await self._send(name, to, data, _GAS[name] + _GAS_MARGIN, tip, max_fee)

    # ------------------------------------------------------------------ acting
    async def act_router(self, reserves, base_fee: int) -> str | None:
        tip = _TIP_GWEI["router"] * GWEI
        plan = self.plan_router(reserves, base_fee + tip)
        return await self._send_plan("router", plan, base_fee, tip)

    async def act_contract(self, reserves, base_fee: int) -> str | None:
        tip = _TIP_GWEI["contract"] * GWEI
        plan = self.plan_contract(reserves, base_fee + tip)
        return await self._send_plan("contract", plan, base_fee, tip)

    async def act_v3(self, reserves, base_fee: int) -> str | None:
        """The best V2<->V3 cycle on this head's V3 tick windows (one read per pool)."""
        if self.dn.v3 is None or self.v3_contract is None:
            return None
        tip = _TIP_GWEI["v3"] * GWEI
        windows = {}
        for pool in {p for p, _ in self._v3_cycles}:
            windows[pool.address] = await self.dn.v3.read_window(pool)
        plan = self.plan_v3(reserves, windows, base_fee + tip)
        if plan is None:
            return None
        # a V3 leg's gas grows with the ticks it crosses: simulate, and send only if it pays
        to, data = self._tx_of("v3", plan, 0)
        call = {"from": self.addresses["v3"], "to": to, "data": data}
        try:
            gas = int(await self.dn.call("eth_estimateGas", [call]), 16)
        except DevnetRpcError:
            return None  # it would revert: someone was faster
        cost = gas * (base_fee + tip)
        if plan.profit + _GAS["v3"] * (base_fee + tip) <= cost:
            return None
        to, data = self._tx_of("v3", plan, cost)
        return await self._send("v3", to, data, gas + _GAS_MARGIN, tip)

    async def _pending_victims(self, seen: set[str], exclude: Iterable[str]):
        """Others' pending 2-token router swaps not seen before (decoded), each seen once."""
        me = {a.lower() for a in exclude}
        pending = await self.dn.call("txpool_content")
        victims = []
        for by_nonce in (pending.get("pending") or {}).values():
            for tx in by_nonce.values():
                if tx["hash"] in seen or tx["from"].lower() in me:
                    continue
                seen.add(tx["hash"])
                victim = self._decode_victim(tx)
                if victim is not None:
                    victims.append(victim)
        return victims

    async def act_backrunner(self, reserves, base_fee: int) -> str | None:
        """Back-run the pending router swaps of others: the best one-DEX triangle and the best
        2-DEX cycle on the reserves they will leave, priced one wei below the cheapest of them
        (ordered right after)."""
        victims = await self._pending_victims(self._seen_backrun, self.addresses.values())
        if not victims or self._rng.random() < BACKRUN_MISS:
            return None
        after = dict(reserves)
        for _, dex, amount_in, path in victims:
            pool = self._pair.get((dex, frozenset(path)))
            if pool is None:
                continue
            r0, r1 = after[pool.address]
            zero_for_one = path[0] == pool.token0
            r_in, r_out = (r0, r1) if zero_for_one else (r1, r0)
            try:
                out = get_amount_out(amount_in, r_in, r_out, pool.fee_bps)
            except MarketError:
                continue
            r_in, r_out = r_in + amount_in, r_out - out
            after[pool.address] = (r_in, r_out) if zero_for_one else (r_out, r_in)
        fee = min(v[0][0] for v in victims) - 1
        tip = max(0, min(min(v[0][1] for v in victims) - 1, fee - base_fee))
        # one DEX's triangle through its router, and a 2-DEX cycle, both in the same block
        await self._send_plan("router", self.plan_router(after, base_fee + tip), base_fee, tip, fee)
        plan = self.plan_contract(after, base_fee + tip)
        return await self._send_plan("contract", plan, base_fee, tip, fee)

    async def act_sandwicher(self, reserves, base_fee: int = 0) -> list[str]:
        """Front- and back-run the most profitable pending router swap of someone else."""
        victims = await self._pending_victims(self._seen_pending, (self.addresses["sandwicher"],))
        best = None
        for tip, dex, amount_in, path in victims:
            pool = self._pair.get((dex, frozenset(path)))
            if pool is None:
                continue
            r0, r1 = reserves[pool.address]
            r_in, r_out = (r0, r1) if path[0] == pool.token0 else (r1, r0)
            front, profit = self._size_sandwich(r_in, r_out, pool.fee_bps, amount_in)
            if front and (best is None or profit > best[0]):
                best = (profit, tip, dex, front, path, pool, r_in, r_out)
        if best is None or best[0] <= 0:
            return []
        _, tip, dex, front, path, pool, r_in, r_out = best
        bought = get_amount_out(front, r_in, r_out, pool.fee_bps)
        router = self._routers[dex]
        me_addr = self.addresses["sandwicher"]
        # Anvil orders a block by max fee per gas: one gwei above the victim, one below it.
        (fee, victim_tip) = tip
        legs = [
            (front, list(path), victim_tip + GWEI, fee + GWEI),
            (bought, [path[1], path[0]], min(victim_tip, fee - GWEI), fee - GWEI),
        ]
        sent = []
        for amount, leg_path, leg_tip, leg_fee in legs:
            data = calldata(_SWAP, amount, 0, leg_path, me_addr, _DEADLINE)
            tx = await self._send(
                "sandwicher", router, data, _GAS["sandwich_leg"] + 60_000, leg_tip, leg_fee
            )
            if tx is None:
                break
            sent.append(tx)
        return sent

    def _decode_victim(self, tx) -> tuple[tuple[int, int], str, int, tuple[str, str]] | None:
        to = (tx.get("to") or "").lower()
        dex = next((n for n, r in self._routers.items() if r.lower() == to), None)
        data = tx.get("input") or tx.get("data") or ""
        if dex is None or not data.startswith(_SWAP_SELECTOR):
            return None
        try:
            amount_in, _min_out, path, _to, _deadline = abi_decode(
                ["uint256", "uint256", "address[]", "address", "uint256"],
                bytes.fromhex(data[10:]),
            )
        except Exception:  # someone else's malformed calldata is their problem
            return None
        if len(path) != 2:
            return None
        fee = int(tx.get("maxFeePerGas") or tx.get("gasPrice") or "0x0", 16)
        tip = int(tx.get("maxPriorityFeePerGas") or hex(fee), 16)
        return (fee, tip), dex, amount_in, tuple(to_checksum_address(a) for a in path)

    @staticmethod
    def _size_sandwich(r_in: int, r_out: int, fee: int, victim_in: int) -> tuple[int, int]:
        """(front-run size, profit in the input token net of the legs' gas) — coarse grid."""
        best = (0, 0)
        for share in (0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0):
            front = int(victim_in * share)
            if front <= 0:
                continue
            try:  # a leg too small to buy anything: no sandwich at this share
                got = get_amount_out(front, r_in, r_out, fee)
                r_in2, r_out2 = r_in + front, r_out - got
                v_out = get_amount_out(victim_in, r_in2, r_out2, fee)
                r_in3, r_out3 = r_in2 + victim_in, r_out2 - v_out
                back = get_amount_out(got, r_out3, r_in3, fee)
            except MarketError:
                continue
            if back - front > best[1]:
                best = (front, back - front)
        return best

    async def _send(
        self, name: str, to: str, data: str, gas: int, tip: int, max_fee: int | None = None
    ) -> str | None:
        tx = {
            "from": self.addresses[name],
            "to": to,
            "data": data,
            "gas": hex(gas),
            "maxPriorityFeePerGas": hex(tip),
            "maxFeePerGas": hex(max_fee if max_fee is not None else 500 * GWEI + tip),
        }
        try:
            tx_hash = await self.dn.call("eth_sendTransaction", [tx])
        except DevnetRpcError as exc:
            self.stats.failed[name] += 1
            log.debug("searcher %s: send failed: %s", name, exc)
            return None
        self.stats.sent[name] += 1
        self.stats.txs.append((name, tx_hash))
        return tx_hash


def _v3_cycle_gain(
    window: V3PoolWindow,
    pool: V3PoolInfo,
    weth: str,
    r_weth: int,
    r_mid: int,
    v2_fee_bps: int,
    v2_first: bool,
) -> Callable[[int], int]:
    """WETH out - WETH in of the V2<->V3 cycle for an input (exact: V2 integer math, the V3
    pool's own swap loop on its window); a size the window cannot quote is a loss."""
    weth_is_0 = pool.token0 == weth

    def gain(amount: int) -> int:
        try:
            if v2_first:  # WETH -> mid on V2, mid -> WETH on V3
                mid = get_amount_out(amount, r_weth, r_mid, v2_fee_bps)
                _, out, _ = window.exact_input(not weth_is_0, mid)
            else:  # WETH -> mid on V3, mid -> WETH on V2
                paid, mid, _ = window.exact_input(weth_is_0, amount)
                if paid < amount:  # the pool ran dry: it would not take the whole input
                    return -amount
                out = get_amount_out(mid, r_mid, r_weth, v2_fee_bps)
        except MarketError:
            return -amount
        return out - amount

    return gain


async def open_searchers(dn: Devnet) -> Searchers:
    """Fund the searchers, deploy the contract searchers' contracts, approve the routers (the
    ``v3`` searcher only on a devnet with V3)."""
    weth, tokens = dn.weth, [dn.token(s).address for s in dn.core_symbols]
    addresses = {name: searcher_address(name) for name in SEARCHER_NAMES}
    routers = [d.router for d in dn.dexes]
    for addr in addresses.values():
        await dn.call("anvil_setBalance", [addr, hex(10**24)])
    _, code = load_contract("searcher")
    owners = ("contract", "v3") if dn.v3 is not None else ("contract",)
    contracts = {name: await dn.deploy(addresses[name], code) for name in owners}
    sends: list[tuple[str, str, str, int]] = []  # (from, to, data, value): all in one block
    for addr in addresses.values():
        sends.append((addr, weth, calldata("deposit()"), 2 * _FUND_WETH))
    for name, contract in contracts.items():
        sends.append(
            (addresses[name], weth, calldata("transfer(address,uint256)", contract, _FUND_WETH), 0)
        )
    for token, router in itertools.product(tokens, routers):
        for name, contract in contracts.items():
            approve = calldata("approve(address,address)", token, router)
            sends.append((addresses[name], contract, approve, 0))
        for name in ("router", "sandwicher"):
            approve = calldata("approve(address,uint256)", router, MAX_UINT)
            sends.append((addresses[name], token, approve, 0))
    for token in tokens:  # the sandwicher front-runs in whatever the victim pays with
        if token != weth:
            amount = 10**6 * 10 ** dn.token(token).decimals
            mint = calldata("mint(address,uint256)", addresses["sandwicher"], amount)
            sends.append((dn.address_of("deployer"), token, mint, 0))
    await _send_all(dn, sends)
    return Searchers(dn, contracts["contract"], contracts.get("v3"))


async def _send_all(dn: Devnet, sends: Sequence[tuple[str, str, str, int]]) -> None:
    """Send every (from, to, data, value) at once, then wait until all are mined (or raise)."""
    hashes = []
    for sender, to, data, value in sends:
        tx = {"from": sender, "to": to, "data": data, "value": hex(value), "gas": hex(200_000)}
        if dn.gas is not None:
            tx.update(dn.gas.wallet_fees())
        hashes.append(await dn.call("eth_sendTransaction", [tx]))
    if dn.block_time is None:
        await dn.mine()
    for tx_hash in hashes:
        receipt = None
        with trio.move_on_after(30):
            while (receipt := await dn.call("eth_getTransactionReceipt", [tx_hash])) is None:
                await trio.sleep(0.05)
        if receipt is None or int(receipt["status"], 16) != 1:
            raise DevnetRpcError(f"searcher set-up transaction {tx_hash} failed or was not mined")


async def run_searchers(
    dn: Devnet,
    *,
    names: Iterable[str] = SEARCHER_NAMES,
    poll_s: float = 0.05,
    task_status=trio.TASK_STATUS_IGNORED,
) -> None:
    """Fund the searchers, then let each react to every new head (or the pending pool)."""
    searchers = await open_searchers(dn)
    active = set(names)
    task_status.started(searchers)
    rivals = [
        _Rival("router", searchers.act_router, True, _LATENCY_S["router"]),
        _Rival("contract", searchers.act_contract, True, _LATENCY_S["contract"]),
        _Rival("contract", searchers.act_backrunner, False),  # its back-running side
        _Rival("v3", searchers.act_v3, True, _LATENCY_S["v3"]),
        _Rival("sandwicher", searchers.act_sandwicher, False),
    ]
    async with trio.open_nursery() as nursery:
        for rival in rivals:
            if rival.name in active and (rival.name != "v3" or searchers.v3_contract):
                nursery.start_soon(_run_rival, dn, rival, poll_s)


async def _run_rival(dn: Devnet, rival: _Rival, poll_s: float) -> None:
    """The one loop shape: wait for a new head (or the next poll), the rival's latency, act.

    A failed read or send is the searcher's loss, never the devnet's: it retries next round
    (a dead Anvil is reported by the devnet's own watch, with Anvil's last words)."""
    last = None
    while True:
        try:
            head = await dn.call("eth_getBlockByNumber", ["latest", False])
            if rival.per_head and head["number"] == last:
                await trio.sleep(poll_s)
                continue
            last = head["number"]
            await trio.sleep(rival.latency_s)
            await rival.act(await dn.all_reserves(), int(head.get("baseFeePerGas") or "0x0", 16))
            if not rival.per_head:
                await trio.sleep(poll_s * 2)
        except DevnetRpcError as exc:
            log.debug("searcher %s: %s", rival.name, exc)
            await trio.sleep(_RETRY_S)
