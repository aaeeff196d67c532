"""The executor's V3 guards on the real chain: a V3 callback is honoured only from the factory pool
it is swapping on right now; a pool the factory did not create is never called; a cycle below its
minimum profit reverts whole (inventory and flash, V2 or V3 first leg); the deadline holds."""

from __future__ import annotations

import dataclasses

import pytest
from exec_v3_helpers import CYCLES, make_candidate, plant

from appliance.devnet._abi import calldata, decode_words
from appliance.devnet._v3 import load_v3_artifact
from appliance.events import Candidate, Leg
from appliance.execution.calldata import encode_execute
from appliance.market.v3math import get_sqrt_ratio_at_tick

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(300)]

# A contract posing as a V2 pair that, when the executor swaps on it, asks the executor for
# tokens through the V3 callback (as a pool would). Compiled here: vyper is a dev dependency.
_POSER = """
#pragma version 0.4.3
interface IExecutor:
    def uniswapV3SwapCallback(amount0Delta: int256, amount1Delta: int256, data: Bytes[1024]): nonpayable

executor: address
token: address

@deploy
def __init__(executor: address, token: address):
    self.executor = executor
    self.token = token

@view
@external
def getReserves() -> (uint112, uint112, uint32):
    r: uint112 = 1000000000000000000000000
    return r, r, 0

@external
def swap(amount0Out: uint256, amount1Out: uint256, to: address, data: Bytes[1024]):
    amount: uint256 = 1000000000000000000
    extcall IExecutor(self.executor).uniswapV3SwapCallback(convert(amount, int256), -1, abi_encode(self.token, amount))
"""


async def _call(dn, sender: str, to: str, data: str) -> tuple[str, str]:
    """(result, error text) of an eth_call on the latest block."""
    try:
        return await dn.call("eth_call", [{"from": sender, "to": to, "data": data}, "latest"]), ""
    except Exception as exc:  # the devnet's RPC error carries the revert message
        return "", str(exc)


def _execute(cand, *, min_profit: int, flash: bool, deadline: int) -> str:
    return "0x" + encode_execute(cand, min_profit=min_profit, flash=flash, deadline=deadline).hex()


def _owner(dn) -> str:
    return dn.accounts["appliance"].address


def _callback(token: str, amount: int) -> str:
    return calldata(
        "uniswapV3SwapCallback(int256,int256,bytes)",
        amount,
        -1,
        bytes.fromhex(calldata("f(address,uint256)", token, amount)[10:]),
    )


async def _foreign_pool(dn) -> str:
    """A genuine UniswapV3Pool (npm) for WETH/USDC 0.05 %, with liquidity, but created by a
    second factory: not the one the executors trust."""
    _, factory_code = load_v3_artifact("v3-core", "UniswapV3Factory.sol/UniswapV3Factory")
    await dn.set_automine(True)
    factory = await dn.deploy("deployer", factory_code)
    usdc = dn.token("USDC").address
    await dn.send_tx(
        "deployer",
        factory,
        calldata("createPool(address,address,uint24)", dn.weth, usdc, 500),
        gas=6_500_000,
    )
    (pool,) = decode_words(
        ["address"],
        await dn.eth_call(factory, calldata("getPool(address,address,uint24)", dn.weth, usdc, 500)),
    )
    real = dn.v3.pool("WETH", "USDC", 500)
    price, tick, _ = await dn.v3.read_head(real)
    await dn.send_tx("deployer", pool, calldata("initialize(uint160)", price))
    lower, upper = (tick // 10 - 500) * 10, (tick // 10 + 500) * 10
    assert get_sqrt_ratio_at_tick(lower) < price < get_sqrt_ratio_at_tick(upper)
    await dn.send_tx(
        "deployer",
        dn.v3.helper,
        calldata("mint(address,int24,int24,uint128)", pool, lower, upper, 10**18),
        gas=1_000_000,
    )
    await dn.set_automine(False)
    return pool


async def test_a_v3_callback_outside_an_execute_is_refused(v3_chain):
    dn, inv, _ = v3_chain
    data = _callback(dn.weth, 10**18)
    stranger = dn.accounts["competitor"].address
    real_pool = dn.v3.pool("WETH", "USDC", 500).address
    for sender in (stranger, real_pool, _owner(dn), inv):
        _, error = await _call(dn, sender, inv, data)
        assert "executor: unexpected pool" in error, (sender, error)
    receipt = await dn.send_tx("competitor", inv, data, gas=200_000, check=False)
    assert int(receipt["status"], 16) == 0
    assert await dn.balance("WETH", inv) == 50 * 10**18


async def test_a_pool_the_factory_did_not_create_is_never_called(v3_chain):
    """A real V3 pool of a second factory: the executor refuses before calling it, and the pool
    calling the callback itself is refused too."""
    dn, inv, flash = v3_chain
    foreign = await _foreign_pool(dn)
    await plant(dn, CYCLES["v3_v2"].plant)
    cand = await make_candidate(dn, CYCLES["v3_v2"])
    assert cand.gross_profit > 0
    first = cand.legs[0]
    assert first.kind == "uniswap_v3"
    head = await dn.block_number()
    foreign_leg = Leg(foreign, first.token_in, first.token_out, 5, kind="uniswap_v3")
    swapped = dataclasses.replace(cand, legs=(foreign_leg, *cand.legs[1:]))
    for executor, flash_mode in ((inv, False), (flash, True)):
        data = _execute(swapped, min_profit=0, flash=flash_mode, deadline=head + 5)
        _, error = await _call(dn, _owner(dn), executor, data)
        assert "executor: not a factory pool" in error, error
        # the genuine pool passes where the foreign one did not: the check, not the cycle, refused
        ok, error = await _call(
            dn,
            _owner(dn),
            executor,
            _execute(cand, min_profit=0, flash=flash_mode, deadline=head + 5),
        )
        assert error == "" and int(ok[:66], 16) == cand.gross_profit  # (profit, gas)
    # the real pool under a wrong fee tier is not that tier's factory pool either
    wrong_leg = dataclasses.replace(first, fee_bps=30)  # the 0.3 % tier's pool is another
    wrong_fee = dataclasses.replace(cand, legs=(wrong_leg, *cand.legs[1:]))
    _, error = await _call(
        dn, _owner(dn), inv, _execute(wrong_fee, min_profit=0, flash=False, deadline=head + 5)
    )
    assert "executor: not a factory pool" in error
    _, error = await _call(dn, foreign, inv, _callback(dn.weth, 10**18))
    assert "executor: unexpected pool" in error


@pytest.mark.parametrize("flash_mode", [False, True])
async def test_a_v2_pool_in_flight_cannot_take_the_v3_callback(v3_chain, flash_mode):
    """During an execute, a contract on a V2 leg asking through the V3 callback is refused:
    the expected callback names its pool kind too."""
    import vyper

    dn, inv, flash = v3_chain
    executor = flash if flash_mode else inv
    out = vyper.compile_code(_POSER, output_formats=["abi", "bytecode"])
    await dn.set_automine(True)
    poser = await dn.deploy("deployer", out["bytecode"], out["abi"], (executor, dn.weth))
    await dn.set_automine(False)
    usdc = dn.token("USDC").address
    legs = (
        Leg(poser, dn.weth, usdc, 30),
        Leg(dn.pool("uniswap", "WETH", "USDC").address, usdc, dn.weth, 30),
    )
    cand = Candidate(
        block=1,
        legs=legs,
        base_token=dn.weth,
        amount_in=10**18,
        amount_out=0,
        gas_estimate=1,
        gas_cost=1,
    )
    head = await dn.block_number()
    _, error = await _call(
        dn, _owner(dn), executor, _execute(cand, min_profit=0, flash=flash_mode, deadline=head + 5)
    )
    assert "executor: unexpected pool" in error, error


@pytest.mark.parametrize("flash_mode", [False, True])
@pytest.mark.parametrize("name", ["v2_v3", "v3_v2", "v2_v3_v2"])
async def test_min_profit_is_enforced_to_the_wei(v3_chain, name, flash_mode):
    """The exact profit as the minimum passes; one wei more reverts the whole trade on chain
    (V2 flash, V3 flash and inventory: the check in the callback and at the end)."""
    dn, inv, flash = v3_chain
    executor = flash if flash_mode else inv
    await plant(dn, CYCLES[name].plant)
    cand = await make_candidate(dn, CYCLES[name])
    head = await dn.block_number()
    exact = _execute(cand, min_profit=cand.gross_profit, flash=flash_mode, deadline=head + 5)
    ok, error = await _call(dn, _owner(dn), executor, exact)
    assert error == "" and int(ok[:66], 16) == cand.gross_profit  # (profit, gas)
    greedy = _execute(cand, min_profit=cand.gross_profit + 1, flash=flash_mode, deadline=head + 5)
    _, error = await _call(dn, _owner(dn), executor, greedy)
    assert "executor: profit below minimum" in error, error
    before = await dn.balance("WETH", executor)
    receipt = await dn.send_tx("appliance", executor, greedy, gas=900_000, check=False)
    assert int(receipt["status"], 16) == 0
    assert await dn.balance("WETH", executor) == before


async def test_a_v3_cycle_past_its_deadline_reverts(v3_chain):
    dn, inv, _ = v3_chain
    await plant(dn, CYCLES["v3_v2"].plant)
    cand = await make_candidate(dn, CYCLES["v3_v2"])
    head = await dn.block_number()
    _, error = await _call(
        dn, _owner(dn), inv, _execute(cand, min_profit=1, flash=False, deadline=head - 1)
    )
    assert "executor: deadline passed" in error
