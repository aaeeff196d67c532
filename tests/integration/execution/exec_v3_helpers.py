"""Helpers of the V3 execution tests: a devnet with the real npm Uniswap V3 beside the V2 market,
executors trusting its factory, planted dislocations and exact candidates of mixed V2/V3 cycles
computed from ``v2math`` and ``v3math`` over the pools' state read back from the chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from exec_helpers import candidate_at_head, deploy_executors

from appliance.devnet import Devnet
from appliance.devnet._v3_market import V3PoolInfo
from appliance.events import Candidate, Leg
from appliance.market.v2math import get_amount_out
from appliance.market.v3math import V3PoolState, V3SwapError, quote_exact_input

WETH_UNIT = 10**18


@dataclass(frozen=True, slots=True)
class HopSpec:
    """One leg of a test cycle: ``dex`` is a V2 DEX name, or ``v3:<fee>`` for the V3 pool."""

    dex: str
    token_in: str
    token_out: str


@dataclass(frozen=True, slots=True)
class Plant:
    """A dislocation: ``amount`` whole ``token_in`` swapped on the V3 pool ``a``/``b``/``fee``."""

    a: str
    b: str
    fee: int
    token_in: str
    whole: int


@dataclass(frozen=True, slots=True)
class Cycle:
    name: str
    hops: tuple[HopSpec, ...]
    plant: Plant


def _h(dex: str, path: str) -> HopSpec:
    a, b = path.split(">")
    return HopSpec(dex, a, b)


# every cycle starts and ends in WETH; each plant makes it pay (a V3 pool moved across ticks)
CYCLES = {
    c.name: c
    for c in (
        # WETH dumped on V3: buy it back there with USDC sold on V2
        Cycle(
            "v2_v3",
            (_h("uniswap", "WETH>USDC"), _h("v3:500", "USDC>WETH")),
            Plant("WETH", "USDC", 500, "WETH", 30),
        ),
        # WETH bought up on V3: sell it there, buy it back on V2
        Cycle(
            "v3_v2",
            (_h("v3:500", "WETH>USDC"), _h("uniswap", "USDC>WETH")),
            Plant("WETH", "USDC", 500, "USDC", 150_000),
        ),
        # two fee tiers of the same pair
        Cycle(
            "v3_v3",
            (_h("v3:3000", "WETH>USDC"), _h("v3:500", "USDC>WETH")),
            Plant("WETH", "USDC", 500, "WETH", 30),
        ),
        # triangles: V3 first, V3 in the middle
        Cycle(
            "v3_v2_v2",
            (_h("v3:500", "WETH>USDC"), _h("uniswap", "USDC>DAI"), _h("sushiswap", "DAI>WETH")),
            Plant("WETH", "USDC", 500, "USDC", 150_000),
        ),
        Cycle(
            "v2_v3_v2",
            (_h("uniswap", "WETH>USDC"), _h("v3:500", "USDC>DAI"), _h("sushiswap", "DAI>WETH")),
            Plant("DAI", "USDC", 500, "DAI", 37_500),
        ),
        # the longest cycle the executor takes (MAX_HOPS = 4), alternating kinds
        Cycle(
            "v3_v2_v3_v2",
            (
                _h("v3:3000", "WETH>WBTC"),
                _h("uniswap", "WBTC>USDC"),
                _h("v3:500", "USDC>DAI"),
                _h("sushiswap", "DAI>WETH"),
            ),
            Plant("WBTC", "WETH", 3000, "WBTC", 1),
        ),
    )
}


# ------------------------------------------------------------------ chain setup
async def deploy_v3_executors(
    dn: Devnet, *, inventory_weth: int = 50 * WETH_UNIT
) -> tuple[str, str]:
    """(inventory executor holding ``inventory_weth``, empty flash executor), both trusting the
    devnet's V3 factory."""
    assert dn.v3 is not None
    return await deploy_executors(dn, inventory_weth=inventory_weth, v3_factory=dn.v3.factory)


async def plant(dn: Devnet, p: Plant) -> None:
    """Swap ``p.whole`` whole ``p.token_in`` on the V3 pool (mined): the V3 price moves away."""
    assert dn.v3 is not None
    pool = dn.v3.pool(p.a, p.b, p.fee)
    amount = p.whole * 10 ** dn.token(p.token_in).decimals
    await dn.v3.swap(pool, dn.token(p.token_in).address == pool.token0, amount)


# ------------------------------------------------------------------ exact cycles
def v3_pool(dn: Devnet, spec: HopSpec) -> V3PoolInfo:
    assert dn.v3 is not None
    return dn.v3.pool(spec.token_in, spec.token_out, int(spec.dex.removeprefix("v3:")))


def leg_of(dn: Devnet, spec: HopSpec) -> Leg:
    t_in, t_out = dn.token(spec.token_in).address, dn.token(spec.token_out).address
    if spec.dex.startswith("v3:"):
        pool = v3_pool(dn, spec)
        return Leg(pool.address, t_in, t_out, pool.fee // 100, kind="uniswap_v3")
    v2 = dn.pool(spec.dex, spec.token_in, spec.token_out)
    return Leg(v2.address, t_in, t_out, v2.fee_bps)


Quote = Callable[[int], int]


async def leg_quotes(dn: Devnet, cycle: Cycle) -> list[Quote]:
    """Per leg, amount in -> amount out from the pool's state at the head: ``get_amount_out``
    over the V2 reserves, ``quote_exact_input`` over the whole V3 pool (every bitmap word)."""
    assert dn.v3 is not None
    out: list[Quote] = []
    for spec in cycle.hops:
        leg = leg_of(dn, spec)
        zero_for_one = int(leg.token_in, 16) < int(leg.token_out, 16)
        if leg.kind == "uniswap_v3":
            state = await dn.v3.read_state(v3_pool(dn, spec))
            out.append(_v3_quote(state, zero_for_one))
        else:
            r0, r1 = await dn.reserves(leg.pool)
            r_in, r_out = (r0, r1) if zero_for_one else (r1, r0)
            out.append(
                lambda x, r_in=r_in, r_out=r_out, fee=leg.fee_bps: get_amount_out(
                    x, r_in, r_out, fee
                )
            )
    return out


def _v3_quote(state: V3PoolState, zero_for_one: bool) -> Quote:
    return lambda x: quote_exact_input(state, zero_for_one, x)


def cycle_amounts(amount_in: int, quotes: list[Quote]) -> list[int]:
    amounts, amount = [], amount_in
    for quote in quotes:
        amount = quote(amount)
        amounts.append(amount)
    return amounts


def _profit(quotes: list[Quote], x: int) -> int:
    try:
        return cycle_amounts(x, quotes)[-1] - x
    except (V3SwapError, ValueError, ZeroDivisionError):
        return -(2**255)


def best_amount(quotes: list[Quote], hi: int = 40 * WETH_UNIT) -> int:
    """A good integer input by ternary search (exact optimality is the strategy's job), at
    most ``hi`` (below the inventory executor's 50 WETH)."""
    lo = 10**12
    while hi - lo > 2 * 10**9:
        m1, m2 = lo + (hi - lo) // 3, hi - (hi - lo) // 3
        if _profit(quotes, m1) < _profit(quotes, m2):
            lo = m1
        else:
            hi = m2
    return lo


async def make_candidate(dn: Devnet, cycle: Cycle, *, amount_in: int | None = None) -> Candidate:
    """The exact candidate of ``cycle`` at the head (amounts from v2math + v3math)."""
    quotes = await leg_quotes(dn, cycle)
    amount_in = amount_in or best_amount(quotes)
    legs = tuple(leg_of(dn, s) for s in cycle.hops)
    return await candidate_at_head(dn, legs, amount_in, cycle_amounts(amount_in, quotes))
