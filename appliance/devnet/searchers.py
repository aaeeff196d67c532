"""Rival searchers on the devnet: they compete with the appliance for the same dislocations.

Three of them, each its own account (a key derived from its name, as the dev accounts; Anvil
auto-impersonates it), so a leaderboard has others on it and tests have ground truth:

* ``router`` runs triangles WETH -> X -> Y -> WETH through one DEX's router (a multi-hop path);
* ``contract`` has its own contract (``contracts/searcher.vy``) and runs 2-pool cycles across
  two DEXes (buy on one router, sell on the other, revert unless it gained) — after each head,
  and as a *back-runner*: it watches the pending pool for others' router swaps, sizes the cycle
  on the reserves those swaps will leave and sends it priced just below them, so it lands in the
  same block right after them (as on a real chain, most dislocations never reach a block head;
  it misses a seeded share ``BACKRUN_MISS`` of the rounds: its speed);
* ``sandwicher`` watches the pending pool (``txpool_content``) for others' router swaps and
  wraps a big one in a front-run (a higher tip) and a back-run (a lower tip) in the same block.

Each sizes exactly with the pools' integer math (:mod:`appliance.market.v2math`) from one
batched reserves read per block, and sends only when the expected profit beats its gas at the
head's base fee plus its tip — after its own reaction latency, so that, as on a real chain, the
appliance wins some dislocations and loses others.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import trio
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from appliance.devnet._abi import calldata
from appliance.devnet._contracts import load_contract
from appliance.devnet.devnet import Devnet
from appliance.devnet.errors import DevnetRpcError
from appliance.events import PoolInfo
from appliance.market.errors import MarketError
from appliance.market.v2math import Hop, get_amount_out, get_amounts_out

__all__ = [
    "SEARCHER_NAMES",
    "SearcherStats",
    "Searchers",
    "open_searchers",
    "run_searchers",
    "searcher_address",
]

log = logging.getLogger(__name__)

SEARCHER_NAMES = ("router", "contract", "sandwicher")
MAX_UINT = 2**256 - 1
GWEI = 10**9
_DEADLINE = 2**63
_SWAP_SELECTOR = "0x38ed1739"  # swapExactTokensForTokens(uint256,uint256,address[],address,uint256)
_GAS = {"router": 260_000, "contract": 240_000, "sandwich_leg": 140_000}
_TIP_GWEI = {"router": 1, "contract": 1, "sandwicher": 0}  # they bid as the appliance does
_LATENCY_S = {"router": 0.15, "contract": 0.05}
BACKRUN_MISS = 0.15  # the share of pending rounds the back-runner is too slow for
_FUND_WETH = 2_000 * 10**18
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


class Searchers:
    """The three rivals of one devnet; build with :func:`open_searchers` (funds and approves)."""

    def __init__(self, dn: Devnet, contract: str) -> None:
        self.dn = dn
        self.contract = contract
        self.addresses = {name: searcher_address(name) for name in SEARCHER_NAMES}
        self.stats = SearcherStats()
        self._pair = {(p.dex, frozenset((p.token0, p.token1))): p for p in dn.pools}
        self._core = [dn.token(s).address for s in dn.core_symbols]
        self._routers = {d.name: d.router for d in dn.dexes}
        self._seen_pending: set[str] = set()
        self._seen_backrun: set[str] = set()
        self._rng = random.Random(f"backrun:{contract}")

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
        """(amount in, gross profit) maximising out - in over [1, cap] (concave: ternary)."""
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

        lo, hi = 1, cap
        while hi - lo > 2:
            m1, m2 = lo + (hi - lo) // 3, hi - (hi - lo) // 3
            if gain(m1) < gain(m2):
                lo = m1 + 1
            else:
                hi = m2
        best = max(range(lo, hi + 1), key=gain)
        return best, gain(best)

    def plan_router(self, reserves, gas_price: int) -> _Plan | None:
        """The best triangle through one DEX's router, net of gas; None when none pays."""
        weth, best = self.dn.weth, None
        cost = _GAS["router"] * gas_price
        others = [t for t in self._core if t != weth]
        for dex in self._routers:
            for x, y in itertools.permutations(others, 2):
                path = (weth, x, y, weth)
                hops = self._hops(reserves, path, (dex,) * 3)
                if hops is None:
                    continue
                amount, gross = self._best_input(hops, _FUND_WETH // 4)
                if gross - cost > 0 and (best is None or gross - cost > best.profit):
                    best = _Plan(gross - cost, amount, self._pools(path, (dex,) * 3), path)
        return best

    def plan_contract(self, reserves, gas_price: int) -> _Plan | None:
        """The best WETH -> X -> WETH across two DEXes, net of gas; None when none pays."""
        weth, best = self.dn.weth, None
        cost = _GAS["contract"] * gas_price
        for x in self._core:
            if x == weth:
                continue
            for buy, sell in itertools.permutations(self._routers, 2):
                path = (weth, x, weth)
                hops = self._hops(reserves, path, (buy, sell))
                if hops is None:
                    continue
                amount, gross = self._best_input(hops, _FUND_WETH // 4)
                if gross - cost > 0 and (best is None or gross - cost > best.profit):
                    best = _Plan(gross - cost, amount, self._pools(path, (buy, sell)), path)
        return best

    # ------------------------------------------------------------------ acting
    async def act_router(self, reserves, base_fee: int) -> str | None:
        tip = _TIP_GWEI["router"] * GWEI
        plan = self.plan_router(reserves, base_fee + tip)
        if plan is None:
            return None
        dex = plan.hops[0].dex
        data = calldata(
            "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
            plan.amount_in,
            plan.amount_in + _GAS["router"] * (base_fee + tip),  # revert unless it pays
            list(plan.tokens),
            self.addresses["router"],
            _DEADLINE,
        )
        return await self._send("router", self._routers[dex], data, _GAS["router"] + 100_000, tip)

    async def act_contract(self, reserves, base_fee: int) -> str | None:
        tip = _TIP_GWEI["contract"] * GWEI
        plan = self.plan_contract(reserves, base_fee + tip)
        if plan is None:
            return None
        buy, sell = (self._routers[p.dex] for p in plan.hops)
        data = calldata(
            "arb(address,address,address,address,uint256,uint256)",
            plan.tokens[0],
            plan.tokens[1],
            buy,
            sell,
            plan.amount_in,
            _GAS["contract"] * (base_fee + tip),
        )
        return await self._send("contract", self.contract, data, _GAS["contract"] + 100_000, tip)

    async def act_backrunner(self, reserves, base_fee: int) -> str | None:
        """Back-run the pending router swaps of others: the best one-DEX triangle and the best
        2-DEX cycle on the reserves they will leave, priced one wei below the cheapest of them
        (ordered right after)."""
        me = {a.lower() for a in self.addresses.values()}
        pending = await self.dn.call("txpool_content")
        victims = []
        for by_nonce in (pending.get("pending") or {}).values():
            for tx in by_nonce.values():
                if tx["hash"] in self._seen_backrun or tx["from"].lower() in me:
                    continue
                self._seen_backrun.add(tx["hash"])
                victim = self._decode_victim(tx)
                if victim is not None:
                    victims.append(victim)
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
        triangle = self.plan_router(after, base_fee + tip)
        if triangle is not None:  # one DEX's triangle, through its router, in the same block
            data = calldata(
                "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
                triangle.amount_in,
                triangle.amount_in + _GAS["router"] * (base_fee + tip),  # revert unless it pays
                list(triangle.tokens),
                self.addresses["router"],
                _DEADLINE,
            )
            router = self._routers[triangle.hops[0].dex]
            await self._send("router", router, data, _GAS["router"] + 100_000, tip, fee)
        plan = self.plan_contract(after, base_fee + tip)
        if plan is None:
            return None
        buy, sell = (self._routers[p.dex] for p in plan.hops)
        data = calldata(
            "arb(address,address,address,address,uint256,uint256)",
            plan.tokens[0],
            plan.tokens[1],
            buy,
            sell,
            plan.amount_in,
            _GAS["contract"] * (base_fee + tip),
        )
        gas = _GAS["contract"] + 100_000
        return await self._send("contract", self.contract, data, gas, tip, fee)

    async def act_sandwicher(self, reserves) -> list[str]:
        """Front- and back-run the most profitable pending router swap of someone else."""
        me = self.addresses["sandwicher"].lower()
        pending = await self.dn.call("txpool_content")
        victims = []
        for by_nonce in (pending.get("pending") or {}).values():
            for tx in by_nonce.values():
                if tx["hash"] in self._seen_pending or tx["from"].lower() == me:
                    continue
                self._seen_pending.add(tx["hash"])
                victim = self._decode_victim(tx)
                if victim is not None:
                    victims.append(victim)
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
            data = calldata(
                "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
                amount,
                0,
                leg_path,
                me_addr,
                _DEADLINE,
            )
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


async def open_searchers(dn: Devnet) -> Searchers:
    """Fund the three searchers, deploy the contract searcher's contract, approve the routers."""
    weth, tokens = dn.weth, [dn.token(s).address for s in dn.core_symbols]
    addresses = {name: searcher_address(name) for name in SEARCHER_NAMES}
    routers = [d.router for d in dn.dexes]
    for addr in addresses.values():
        await dn.call("anvil_setBalance", [addr, hex(10**24)])
    _, code = load_contract("searcher")
    contract = await dn.deploy(addresses["contract"], code)
    sends: list[tuple[str, str, str, int]] = []  # (from, to, data, value): all in one block
    for addr in addresses.values():
        sends.append((addr, weth, calldata("deposit()"), 2 * _FUND_WETH))
    fund = calldata("transfer(address,uint256)", contract, _FUND_WETH)
    sends.append((addresses["contract"], weth, fund, 0))
    for token, router in itertools.product(tokens, routers):
        sends.append(
            (
                addresses["contract"],
                contract,
                calldata("approve(address,address)", token, router),
                0,
            )
        )
        for name in ("router", "sandwicher"):
            approve = calldata("approve(address,uint256)", router, MAX_UINT)
            sends.append((addresses[name], token, approve, 0))
    for token in tokens:  # the sandwicher front-runs in whatever the victim pays with
        if token != weth:
            amount = 10**6 * 10 ** dn.token(token).decimals
            mint = calldata("mint(address,uint256)", addresses["sandwicher"], amount)
            sends.append((dn.address_of("deployer"), token, mint, 0))
    await _send_all(dn, sends)
    return Searchers(dn, contract)


async def _send_all(dn: Devnet, sends: Sequence[tuple[str, str, str, int]]) -> None:
    """Send every (from, to, data, value) at once, then wait until all are mined (or raise)."""
    hashes = []
    for sender, to, data, value in sends:
        tx = {"from": sender, "to": to, "data": data, "value": hex(value), "gas": hex(200_000)}
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
    """Fund the searchers, then let each react to every new head (and the pending pool)."""
    searchers = await open_searchers(dn)
    active = set(names)
    task_status.started(searchers)

    # A failed read or send is the searcher's loss, never the devnet's: it retries next round
    # (a dead Anvil is reported by the devnet's own watch, with Anvil's last words).
    async def on_head(name: str, act) -> None:
        last = None
        while True:
            try:
                head = await dn.call("eth_getBlockByNumber", ["latest", False])
                if head["number"] == last:
                    await trio.sleep(poll_s)
                    continue
                last = head["number"]
                await trio.sleep(_LATENCY_S[name])
                await act(await dn.all_reserves(), int(head.get("baseFeePerGas") or "0x0", 16))
            except DevnetRpcError as exc:
                log.debug("searcher %s: %s", name, exc)
                await trio.sleep(_RETRY_S)

    async def backrunning() -> None:
        while True:
            try:
                head = await dn.call("eth_getBlockByNumber", ["latest", False])
                base_fee = int(head.get("baseFeePerGas") or "0x0", 16)
                await searchers.act_backrunner(await dn.all_reserves(), base_fee)
                await trio.sleep(poll_s * 2)
            except DevnetRpcError as exc:
                log.debug("searcher contract (back-run): %s", exc)
                await trio.sleep(_RETRY_S)

    async def sandwiching() -> None:
        while True:
            try:
                await searchers.act_sandwicher(await dn.all_reserves())
                await trio.sleep(poll_s * 2)
            except DevnetRpcError as exc:
                log.debug("searcher sandwicher: %s", exc)
                await trio.sleep(_RETRY_S)

    async with trio.open_nursery() as nursery:
        if "router" in active:
            nursery.start_soon(on_head, "router", searchers.act_router)
        if "contract" in active:
            nursery.start_soon(on_head, "contract", searchers.act_contract)
            nursery.start_soon(backrunning)
        if "sandwicher" in active:
            nursery.start_soon(sandwiching)
