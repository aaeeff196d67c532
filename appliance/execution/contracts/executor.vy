#pragma version 0.4.3
#pragma evm-version paris
"""
@title arb-appliance executor
@notice Runs one cycle of Uniswap V2-style pair swaps atomically, calling the pairs directly.
@dev Each leg's output is computed here from the pair's current reserves with the pair's own
     formula (not taken from the off-chain plan): when the state moved since the plan, the legs
     still satisfy K, and the final check (balance >= start + min_profit) decides. A dislocation
     removed earlier in the block therefore reverts the whole cycle; the loss is the gas.
     Funding: inventory (this contract pays the first pair) or flash (the first pair lends its
     output through uniswapV2Call and is repaid from the last leg).
     Every call carries a deadline block: a signed trade that lingers (a press after signing, a
     stuck mempool) reverts instead of executing on a later, different state.
     evm-version paris: no PUSH0/transient storage, so it runs on pre-Shanghai chains too.
"""

MAX_HOPS: constant(uint256) = 4
FEE_DENOM: constant(uint256) = 10000

struct Hop:
    pool: address
    zero_for_one: bool  # token_in is the pair's token0
    fee_bps: uint256

interface IPair:
    def getReserves() -> (uint112, uint112, uint32): view
    def swap(amount0Out: uint256, amount1Out: uint256, to: address, data: Bytes[1024]): nonpayable

interface IERC20:
    def balanceOf(owner: address) -> uint256: view

event Executed:
    base: indexed(address)
    amount_in: uint256
    amount_out: uint256
    profit: uint256
    flash: bool

owner: public(immutable(address))
# The pair a flash swap is expected to call back from; self when none is in flight (a non-zero
# sentinel keeps the SSTOREs cheap, and this contract never calls its own uniswapV2Call).
_flash_pair: address


@deploy
def __init__():
    owner = msg.sender
    self._flash_pair = self


@payable
@external
def __default__():
    pass


@external
def execute(base: address, amount_in: uint256, min_profit: uint256, hops: DynArray[Hop, MAX_HOPS], flash: bool, deadline: uint256) -> uint256:
    """
    @param base the token the cycle starts and ends in
    @param amount_in base tokens put into the first pair
    @param min_profit revert unless the base balance grew by at least this much
    @param hops the legs; hops[0] takes base, the last leg returns base
    @param flash borrow the first leg's output from hops[0].pool instead of paying from inventory
    @param deadline last block number this may run in (required: a stale signed trade can never
           execute later)
    @return the profit in base tokens (what a simulation reports as the fill)
    """
    assert msg.sender == owner, "executor: not owner"
    assert block.number <= deadline, "executor: deadline passed"
    assert len(hops) >= 2, "executor: need at least 2 hops"
    start: uint256 = staticcall IERC20(base).balanceOf(self)
    if flash:
        first: Hop = hops[0]
        out0: uint256 = self._amount_out(first, amount_in)
        self._flash_pair = first.pool
        data: Bytes[1024] = abi_encode(base, amount_in, min_profit, hops)
        if first.zero_for_one:
            extcall IPair(first.pool).swap(0, out0, self, data)
        else:
            extcall IPair(first.pool).swap(out0, 0, self, data)
        assert self._flash_pair == self, "executor: no callback"
    else:
        self._transfer(base, hops[0].pool, amount_in)
        self._run_legs(hops, 0, amount_in)
    final: uint256 = staticcall IERC20(base).balanceOf(self)
    assert final >= start + min_profit, "executor: profit below minimum"
    log Executed(base=base, amount_in=amount_in, amount_out=amount_in + final - start, profit=final - start, flash=flash)
    return final - start


@external
def uniswapV2Call(sender: address, amount0: uint256, amount1: uint256, data: Bytes[1024]):
    """
    @notice The flash swap callback: only the pair this contract is borrowing from, and only for
            a swap this contract started.
    """
    assert msg.sender == self._flash_pair and msg.sender != self, "executor: unexpected pair"
    assert sender == self, "executor: unexpected sender"
    self._flash_pair = self
    base: address = empty(address)
    amount_in: uint256 = 0
    min_profit: uint256 = 0
    hops: DynArray[Hop, MAX_HOPS] = []
    base, amount_in, min_profit, hops = abi_decode(data, (address, uint256, uint256, DynArray[Hop, MAX_HOPS]))
    borrowed: uint256 = amount0 + amount1
    # The borrowed tokens are here: pass them to the second pair and run the rest of the cycle
    # (the last leg pays this contract), then repay the first pair with base tokens.
    self._transfer(self._token_out(hops[0]), hops[1].pool, borrowed)
    amount_out: uint256 = self._run_legs(hops, 1, borrowed)
    assert amount_out >= amount_in + min_profit, "executor: profit below minimum"
    self._transfer(base, hops[0].pool, amount_in)


@external
def withdraw(token: address, to: address, amount: uint256):
    assert msg.sender == owner, "executor: not owner"
    self._transfer(token, to, amount)


@external
def withdraw_eth(to: address, amount: uint256):
    assert msg.sender == owner, "executor: not owner"
    send(to, amount)


@internal
def _run_legs(hops: DynArray[Hop, MAX_HOPS], first: uint256, amount_in: uint256) -> uint256:
    """Swap legs first..end; the input of leg ``first`` is already in its pair. Returns the
    last leg's output (paid to this contract)."""
    amount: uint256 = amount_in
    n: uint256 = len(hops)
    for i: uint256 in range(first, first + MAX_HOPS, bound=MAX_HOPS):
        if i >= n:
            break
        hop: Hop = hops[i]
        out: uint256 = self._amount_out(hop, amount)
        to: address = self
        if i + 1 < n:
            to = hops[i + 1].pool
        if hop.zero_for_one:
            extcall IPair(hop.pool).swap(0, out, to, b"")
        else:
            extcall IPair(hop.pool).swap(out, 0, to, b"")
        amount = out
    return amount


@view
@internal
def _amount_out(hop: Hop, amount_in: uint256) -> uint256:
    r0: uint112 = 0
    r1: uint112 = 0
    ts: uint32 = 0
    r0, r1, ts = staticcall IPair(hop.pool).getReserves()
    reserve_in: uint256 = convert(r0, uint256)
    reserve_out: uint256 = convert(r1, uint256)
    if not hop.zero_for_one:
        reserve_in = convert(r1, uint256)
        reserve_out = convert(r0, uint256)
    with_fee: uint256 = amount_in * (FEE_DENOM - hop.fee_bps)
    out: uint256 = with_fee * reserve_out // (reserve_in * FEE_DENOM + with_fee)
    assert out > 0, "executor: zero output"
    return out


@view
@internal
def _token_out(hop: Hop) -> address:
    token: address = empty(address)
    if hop.zero_for_one:
        token = abi_decode(raw_call(hop.pool, method_id("token1()"), max_outsize=32, is_static_call=True), address)
    else:
        token = abi_decode(raw_call(hop.pool, method_id("token0()"), max_outsize=32, is_static_call=True), address)
    return token


@internal
def _transfer(token: address, to: address, amount: uint256):
    """ERC-20 transfer that accepts tokens returning nothing (USDT-style) and rejects false."""
    response: Bytes[32] = raw_call(
        token,
        abi_encode(to, amount, method_id=method_id("transfer(address,uint256)")),
        max_outsize=32,
    )
    if len(response) > 0:
        assert convert(response, bool), "executor: transfer failed"


# ---------------------------------------------------------------- coinbase payment (bundles)
interface IWETH:
    def withdraw(wad: uint256): nonpayable

event CoinbasePaid:
    coinbase: indexed(address)
    amount: uint256


@external
def execute_paying(base: address, amount_in: uint256, min_profit: uint256, hops: DynArray[Hop, MAX_HOPS], flash: bool, deadline: uint256, coinbase_wei: uint256) -> uint256:
    """
    @notice ``execute``, then pay the block's builder ``coinbase_wei`` out of the profit (a bundle's
            bid). Only when the cycle succeeded and its profit covers ``min_profit`` plus the
            payment: otherwise the whole transaction reverts and nothing is paid.
    @dev The base token must be the wrapped native coin (WETH9-style ``withdraw``): the payment is
         ``coinbase_wei`` of the base-token profit unwrapped and sent to ``block.coinbase``. Any
         other base token reverts at the unwrap (the appliance bids by priority fee then).
         The profit returned and logged in ``Executed`` is the cycle's, before the payment.
    """
    assert msg.sender == owner, "executor: not owner"
    assert block.number <= deadline, "executor: deadline passed"
    assert len(hops) >= 2, "executor: need at least 2 hops"
    start: uint256 = staticcall IERC20(base).balanceOf(self)
    if flash:
        first: Hop = hops[0]
        out0: uint256 = self._amount_out(first, amount_in)
        self._flash_pair = first.pool
        data: Bytes[1024] = abi_encode(base, amount_in, min_profit + coinbase_wei, hops)
        if first.zero_for_one:
            extcall IPair(first.pool).swap(0, out0, self, data)
        else:
            extcall IPair(first.pool).swap(out0, 0, self, data)
        assert self._flash_pair == self, "executor: no callback"
    else:
        self._transfer(base, hops[0].pool, amount_in)
        self._run_legs(hops, 0, amount_in)
    final: uint256 = staticcall IERC20(base).balanceOf(self)
    assert final >= start + min_profit + coinbase_wei, "executor: profit below minimum and payment"
    log Executed(base=base, amount_in=amount_in, amount_out=amount_in + final - start, profit=final - start, flash=flash)
    if coinbase_wei > 0:
        extcall IWETH(base).withdraw(coinbase_wei)
        send(block.coinbase, coinbase_wei)
        log CoinbasePaid(coinbase=block.coinbase, amount=coinbase_wei)
    return final - start
