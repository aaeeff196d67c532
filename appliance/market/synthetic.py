"""An in-memory V2 market for tests, the benchmark and dry runs: no node, exact integer swaps.

Every token has a "true" price in the native coin; each pool starts at that price with a random
depth, so the market starts balanced (no cycle beats its fees). ``NoiseMarket.step`` lets noise
traders swap random amounts through random pools with the pools' own integer arithmetic and
reports the block as a :class:`ReservesUpdated`, like the chain layer would; ``execute`` applies a
candidate's swaps the way the pair contracts would (K check included).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from eth_utils import keccak, to_checksum_address

from appliance.config import AppConfig
from appliance.events import Candidate, PoolInfo, PoolsDiscovered, ReservesUpdated, TokenInfo
from appliance.market.v2math import check_k, get_amount_out

__all__ = ["NoiseMarket", "fake_address"]


def fake_address(label: str) -> str:
    """A deterministic checksummed address derived from ``label``."""
    return to_checksum_address(keccak(text=label)[-20:])


class NoiseMarket:
    """Pools of ``n_tokens`` tokens on ``len(dex_fees)`` DEXes.

    Tokens ``0..n_base-1`` are base tokens (token 0 is the wrapped native coin); every other
    token has a pool against each base token on each DEX, and ``extra_pairs`` random
    token-token pairs add longer cycles.
    """

    def __init__(
        self,
        *,
        n_tokens: int = 20,
        n_base: int = 2,
        dex_fees: Sequence[int] = (30, 30, 25),
        extra_pairs: int = 10,
        seed: int = 0,
        depth: tuple[float, float] = (50.0, 5000.0),
        decimals: Sequence[int] = (18, 6, 8),
    ) -> None:
        rng = random.Random(seed)
        self.rng = rng
        self.tokens = [
            TokenInfo(fake_address(f"token{i}"), f"T{i}", 18 if i < 1 else rng.choice(decimals))
            for i in range(n_tokens)
        ]
        # native value of one smallest unit of each token
        self.price = [1.0] + [
            rng.uniform(0.01, 100.0) * 10 ** (18 - t.decimals) for t in self.tokens[1:]
        ]
        self.base = [t.address for t in self.tokens[:n_base]]
        self.dexes = [(f"dex{d}", fee) for d, fee in enumerate(dex_fees)]
        pairs = [(b, t) for b in range(n_base) for t in range(b + 1, n_tokens)]
        seen = set(pairs)
        others = n_tokens - n_base
        extra_pairs = min(extra_pairs, others * (others - 1) // 2)
        target = len(pairs) + extra_pairs
        while len(pairs) < target:
            a, b = sorted(rng.sample(range(n_base, n_tokens), 2))
            if (a, b) not in seen:
                seen.add((a, b))
                pairs.append((a, b))
        self.pools: list[PoolInfo] = []
        self.reserves: dict[str, list[int]] = {}
        for a, b in pairs:
            for name, fee in self.dexes:
                ta, tb = self.tokens[a].address, self.tokens[b].address
                t0, t1 = (ta, tb) if ta.lower() < tb.lower() else (tb, ta)
                pool = PoolInfo(fake_address(f"pool{a}-{b}-{name}"), name, t0, t1, fee)
                self.pools.append(pool)
                value = rng.uniform(*depth) * 1e18  # native wei on each side
                self.reserves[pool.address] = [self._units(t0, value), self._units(t1, value)]
        self.block = 0
        self._dirty: set[str] = set()  # pools swapped since the last reported block

    def _units(self, token: str, native_value: float) -> int:
        idx = next(i for i, t in enumerate(self.tokens) if t.address == token)
        return max(int(native_value / self.price[idx]), 1000)

    def app_config(self, **strategy: object) -> AppConfig:
        """A configuration for this market (its DEXes and base tokens, no size limit)."""
        from appliance.config import (
            ChainConfig,
            DexConfig,
            ExecutionConfig,
            RiskConfig,
            StrategyConfig,
            TokensConfig,
        )

        return AppConfig(
            chain=ChainConfig(chain_id=31337, rpc=("http://127.0.0.1:8545",)),
            dex=tuple(DexConfig(name=n, factory=fake_address(n), fee_bps=f) for n, f in self.dexes),
            tokens=TokensConfig(base=tuple(self.base)),
            strategy=StrategyConfig(**strategy),
            execution=ExecutionConfig(tip_gwei=1.0),
            risk=RiskConfig(max_trade_wei=10**30),
        )

    def discovered(self) -> PoolsDiscovered:
        return PoolsDiscovered(tuple(self.tokens), tuple(self.pools))

    def snapshot(self, *, full: bool = True) -> ReservesUpdated:
        reserves = {a: (r[0], r[1]) for a, r in self.reserves.items()}
        return ReservesUpdated(self.block, f"0x{self.block:064x}", reserves, full)

    def swap(self, pool: PoolInfo, zero_for_one: bool, amount_in: int) -> int:
        r = self.reserves[pool.address]
        i, o = (0, 1) if zero_for_one else (1, 0)
        out = get_amount_out(amount_in, r[i], r[o], pool.fee_bps)
        new = [0, 0]
        new[i], new[o] = r[i] + amount_in, r[o] - out
        ins = (amount_in, 0) if zero_for_one else (0, amount_in)
        check_k(new[0], new[1], ins[0], ins[1], r[0], r[1], pool.fee_bps)
        r[0], r[1] = new
        self._dirty.add(pool.address)
        return out

    def step(self, trades: int = 5, max_fraction: float = 0.01) -> ReservesUpdated:
        """One block of noise trades; returns the reserves changed since the last block."""
        self.block += 1
        for _ in range(trades):
            pool = self.rng.choice(self.pools)
            zfo = self.rng.random() < 0.5
            r = self.reserves[pool.address]
            amount = int(r[0 if zfo else 1] * self.rng.uniform(0.0, max_fraction)) + 1
            self.swap(pool, zfo, amount)
        reserves = {a: (self.reserves[a][0], self.reserves[a][1]) for a in sorted(self._dirty)}
        self._dirty.clear()
        return ReservesUpdated(self.block, f"0x{self.block:064x}", reserves)

    def execute(self, candidate: Candidate) -> int:
        """Apply ``candidate``'s swaps; returns the amount that came back."""
        by_address = {p.address: p for p in self.pools}
        amount = candidate.amount_in
        for leg in candidate.legs:
            pool = by_address[leg.pool]
            amount = self.swap(pool, leg.token_in == pool.token0, amount)
        return amount
