"""Who did what in a block: arbitrages (ours and others'), sandwiches, plain swaps.

Why junction leftovers. An arbitrage is a chain of swaps in one transaction, each swap's output
token the next one's input, ending in the token it started with. Where the profit shows depends
on how the searcher funded it: bought with inventory, the amounts pass on exactly and the whole
profit is left at the closing junction (last output − first input, in the start token); funded
by a flash swap, the borrowing pool logs *last* (its ``Swap`` is emitted after the callback),
and the profit is left at another junction, in another token. So every junction's leftover —
what one swap put out minus what the next took in — is computed; the token where the leftover
is is the start token, and the leftover is the profit. Several non-zero leftovers (dust, a
split route) are reported at the closing junction.

A sandwich: in one block, a searcher's transaction swaps X→Y on a pool, a victim's swaps X→Y on
the same pool after it, and the same searcher's later transaction swaps Y→X there. Its profit is
the X the back-run returned minus the X the front-run spent. Transactions that are part of a
sandwich or an arbitrage are not plain swaps; everything else is.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from appliance.intel.swaps import SwapEvent

__all__ = [
    "Arbitrage",
    "BlockIntel",
    "Kind",
    "Sandwich",
    "TxInfo",
    "classify_block",
    "find_cycles",
    "txs_to_describe",
]


class Kind(enum.StrEnum):
    OURS = "ours"  # an arbitrage of this appliance (sent by our account or to our executor)
    ARBITRAGE = "arbitrage"  # someone else's
    SANDWICH = "sandwich"
    SWAP = "swap"  # a plain swap (including a sandwich's victim)


@dataclass(frozen=True, slots=True)
class TxInfo:
    """What the block and the receipt say about one transaction."""

    tx_hash: str
    sender: str  # tx.from: the searcher
    to: str | None  # tx.to: the contract called
    gas_wei: int  # gasUsed × effectiveGasPrice, from the receipt


@dataclass(frozen=True, slots=True)
class Arbitrage:
    kind: Kind  # OURS or ARBITRAGE
    tx_hash: str
    block: int
    searcher: str
    contract: str | None
    start_token: str
    profit_wei: int  # in start_token; negative for a losing "arbitrage"
    gas_wei: int
    pools: tuple[str, ...]
    swaps: tuple[SwapEvent, ...]


@dataclass(frozen=True, slots=True)
class Sandwich:
    block: int
    searcher: str
    pool: str
    token: str  # X: what the front-run spent and the back-run returned
    front_tx: str
    back_tx: str
    victim_txs: tuple[str, ...]
    profit_wei: int  # in token
    gas_wei: int  # both legs


@dataclass(frozen=True, slots=True)
class BlockIntel:
    block: int
    arbitrages: tuple[Arbitrage, ...]
    sandwiches: tuple[Sandwich, ...]
    swaps: tuple[SwapEvent, ...]  # plain swaps

    def kind_of(self, tx_hash: str) -> Kind:
        for arb in self.arbitrages:
            if arb.tx_hash == tx_hash:
                return arb.kind
        if any(tx_hash in (s.front_tx, s.back_tx) for s in self.sandwiches):
            return Kind.SANDWICH
        return Kind.SWAP


def find_cycles(swaps: Sequence[SwapEvent]) -> list[tuple[SwapEvent, ...]]:
    """The closed token chains among one transaction's swaps, in log order."""
    cycles: list[tuple[SwapEvent, ...]] = []
    current: list[SwapEvent] = []
    for swap in sorted(swaps, key=lambda s: s.log_index):
        if current and swap.token_in == current[-1].token_out:
            current.append(swap)
        else:
            current = [swap]
        if len(current) >= 2 and current[-1].token_out == current[0].token_in:
            cycles.append(tuple(current))
            current = []
    return cycles


def txs_to_describe(swaps: Iterable[SwapEvent]) -> set[str]:
    """The transactions whose sender and gas matter: those with a cycle, and those on a pool
    with three or more transactions in the block (a sandwich needs three). Plain swaps need no
    receipt: in a busy block this is a few of the 200."""
    by_tx: dict[str, list[SwapEvent]] = defaultdict(list)
    by_pool: dict[str, set[str]] = defaultdict(set)
    for swap in swaps:
        by_tx[swap.tx_hash].append(swap)
        by_pool[swap.pool].add(swap.tx_hash)
    wanted = {tx for tx, group in by_tx.items() if len(group) >= 2 and find_cycles(group)}
    for txs in by_pool.values():
        if len(txs) >= 3:
            wanted |= txs
    return wanted


def _profit(cycle: Sequence[SwapEvent]) -> tuple[str, int]:
    """(start token, profit in it) from the junction leftovers (module docstring)."""
    n = len(cycle)
    leftovers = [
        (cycle[i].token_out, cycle[i].amount_out - cycle[(i + 1) % n].amount_in) for i in range(n)
    ]
    nonzero = [(token, amount) for token, amount in leftovers if amount != 0]
    if len(nonzero) == 1:
        return nonzero[0]
    return leftovers[-1]  # the closing junction: back in the first swap's input token


def classify_block(
    swaps: Iterable[SwapEvent],
    txs: Mapping[str, TxInfo],
    *,
    ours: Collection[str] = (),
) -> BlockIntel:
    """Classify one block's swaps. ``txs`` describes every transaction that has a swap.

    ``ours`` holds our account and executor addresses (any case): a transaction from or to one
    of them is ours. A transaction missing from ``txs`` is treated as a stranger's with no gas
    known (0) — the caller logs that.
    """
    ours_lower = {a.lower() for a in ours}
    by_tx: dict[str, list[SwapEvent]] = defaultdict(list)
    ordered = sorted(swaps, key=lambda s: (s.block, s.log_index))  # log index: block order
    for swap in ordered:
        by_tx[swap.tx_hash].append(swap)
    block = ordered[0].block if ordered else 0

    arbitrages: list[Arbitrage] = []
    in_cycles: set[tuple[str, int]] = set()
    for tx_hash, tx_swaps in by_tx.items():
        info = txs.get(tx_hash) or TxInfo(tx_hash, "", None, 0)
        mine = info.sender.lower() in ours_lower or (info.to or "").lower() in ours_lower
        for cycle in find_cycles(tx_swaps):
            token, profit = _profit(cycle)
            in_cycles.update((s.tx_hash, s.log_index) for s in cycle)
            arbitrages.append(
                Arbitrage(
                    kind=Kind.OURS if mine else Kind.ARBITRAGE,
                    tx_hash=tx_hash,
                    block=cycle[0].block,
                    searcher=info.sender,
                    contract=info.to,
                    start_token=token,
                    profit_wei=profit,
                    gas_wei=info.gas_wei,
                    pools=tuple(s.pool for s in cycle),
                    swaps=cycle,
                )
            )

    loose = [s for s in ordered if (s.tx_hash, s.log_index) not in in_cycles]
    sandwiches = _sandwiches(loose, txs)
    legs = {tx for s in sandwiches for tx in (s.front_tx, s.back_tx)}
    plain = tuple(s for s in loose if s.tx_hash not in legs)
    return BlockIntel(block, tuple(arbitrages), tuple(sandwiches), plain)


def _sandwiches(swaps: Sequence[SwapEvent], txs: Mapping[str, TxInfo]) -> list[Sandwich]:
    def searcher(swap: SwapEvent) -> str:
        info = txs.get(swap.tx_hash)
        return info.sender.lower() if info else ""

    found: list[Sandwich] = []
    used: set[str] = set()
    by_pool: dict[str, list[SwapEvent]] = defaultdict(list)
    for swap in swaps:  # already in block order
        by_pool[swap.pool].append(swap)
    for pool, seq in by_pool.items():
        for i, front in enumerate(seq):
            who = searcher(front)
            if not who or front.tx_hash in used:
                continue
            victims: list[str] = []
            for later in seq[i + 1 :]:
                if later.tx_hash in used or later.tx_hash == front.tx_hash:
                    continue
                if searcher(later) == who:
                    if later.token_in == front.token_out and victims:
                        gas = sum(
                            (txs[t].gas_wei if t in txs else 0)
                            for t in (front.tx_hash, later.tx_hash)
                        )
                        found.append(
                            Sandwich(
                                block=front.block,
                                searcher=txs[front.tx_hash].sender,
                                pool=pool,
                                token=front.token_in,
                                front_tx=front.tx_hash,
                                back_tx=later.tx_hash,
                                victim_txs=tuple(victims),
                                profit_wei=later.amount_out - front.amount_in,
                                gas_wei=gas,
                            )
                        )
                        used.update((front.tx_hash, later.tx_hash))
                    break  # the searcher's next swap here ends this front-run's window
                if later.token_in == front.token_in:
                    victims.append(later.tx_hash)
    return found
