# pragma version ~=0.4.3
"""
@title Hostile-token probe
@notice Never deployed: its runtime code is placed at a throwaway address through eth_call's
        state override, and ``probe`` is eth_call'ed. It flash-borrows a tiny amount of a token
        out of a V2 pair, measures what arrived, sends half on to a sink, measures again, and
        reverts with the measurements (so nothing is ever owed or kept). ``probe`` returns the
        revert data; the caller decodes it (appliance.strategy.hostile).
"""

from ethereum.ercs import IERC20

interface IPair:
    def getReserves() -> (uint112, uint112, uint32): view
    def token0() -> address: view

SINK: constant(address) = 0x000000000000000000000000000000000000dEaD
MAGIC: constant(bytes4) = 0x70726f62  # "prob"

token: address
pair_reserve: uint256
pair_balance: uint256


@external
def probe(pair: address, token: address, amount: uint256) -> Bytes[400]:
    self.token = token
    r0: uint112 = 0
    r1: uint112 = 0
    ts: uint32 = 0
    r0, r1, ts = staticcall IPair(pair).getReserves()
    is0: bool = staticcall IPair(pair).token0() == token
    out0: uint256 = 0
    out1: uint256 = 0
    if is0:
        self.pair_reserve = convert(r0, uint256)
        out0 = amount
    else:
        self.pair_reserve = convert(r1, uint256)
        out1 = amount
    self.pair_balance = staticcall IERC20(token).balanceOf(pair)
    ok: bool = False
    resp: Bytes[400] = b""
    ok, resp = raw_call(
        pair,
        abi_encode(out0, out1, self, b"\x01", method_id=method_id("swap(uint256,uint256,address,bytes)")),
        max_outsize=400,
        revert_on_failure=False,
    )
    return resp


@internal
def _measure(expected: uint256):
    tok: address = self.token
    received: uint256 = staticcall IERC20(tok).balanceOf(self)
    amount: uint256 = received // 2
    sink_before: uint256 = staticcall IERC20(tok).balanceOf(SINK)
    ok: bool = False
    ret: Bytes[32] = b""
    ok, ret = raw_call(
        tok,
        abi_encode(SINK, amount, method_id=method_id("transfer(address,uint256)")),
        max_outsize=32,
        revert_on_failure=False,
    )
    if ok and len(ret) == 32:
        ok = convert(ret, uint256) != 0
    self_after: uint256 = staticcall IERC20(tok).balanceOf(self)
    sink_after: uint256 = staticcall IERC20(tok).balanceOf(SINK)
    raw_revert(
        concat(
            MAGIC,
            abi_encode(
                expected,
                received,
                amount,
                self_after,
                sink_before,
                sink_after,
                ok,
                self.pair_reserve,
                self.pair_balance,
            ),
        )
    )


@external
def uniswapV2Call(sender: address, amount0: uint256, amount1: uint256, data: Bytes[64]):
    self._measure(amount0 + amount1)


@external
def __default__():
    # Forks name the flash-swap callback differently (pancakeCall, ...) but keep its arguments:
    # (address sender, uint256 amount0, uint256 amount1, bytes data) after the 4-byte selector.
    assert len(msg.data) >= 100, "probe: not a swap callback"
    amount0: uint256 = convert(slice(msg.data, 36, 32), uint256)
    amount1: uint256 = convert(slice(msg.data, 68, 32), uint256)
    self._measure(amount0 + amount1)
