#pragma version 0.4.3
#pragma evm-version paris
"""
@title arb-appliance executor
@notice Runs one cycle of Uniswap V2 pair swaps and Uniswap V3 pool swaps atomically, calling
        the pools directly.
@dev Each leg's input is the previous leg's actual output (exact input all the way): a V2 leg's
     output is computed here from the pair's current reserves with the pair's own formula, a V3
     leg's is what the pool's own swap loop gives. When the state moved since the plan, the legs
     still settle, and the final check (balance >= start + min_profit) decides. A dislocation
     removed earlier in the block therefore reverts the whole cycle; the loss is the gas.
     Routing: a leg sends its output straight into the next leg's V2 pair; a V3 pool pulls its
     input from this contract in uniswapV3SwapCallback, so a leg before a V3 leg pays here.
     Funding: inventory (this contract pays the first leg) or flash (the first leg pays out
     first and is repaid from the last leg: a V2 flash swap through uniswapV2Call, or a V3 swap
     whose callback runs the rest of the cycle before it pays the pool).
     Callbacks: exactly one is expected at a time, recorded before the call (`_callback`: the
     pool and its kind), and cleared by the callback itself; a callback from any other sender,
     or outside an execute of ours, reverts. A V3 pool is called only when it is the one the V3
     factory deploys for (token0, token1, fee) (CREATE2 with the pool init-code hash), so only a
     genuine factory pool can ever be expected.
     Every call carries a deadline block: a signed trade that lingers (a press after signing, a
     stuck mempool) reverts instead of executing on a later, different state.
     evm-version paris: no PUSH0/transient storage, so it runs on pre-Shanghai chains too.
"""

MAX_HOPS: constant(uint256) = 4
FEE_DENOM: constant(uint256) = 10000
UNISWAP_V2: constant(uint8) = 0
UNISWAP_V3: constant(uint8) = 1
# the price limits of an unlimited V3 exact-input swap (TickMath MIN_SQRT_RATIO + 1, MAX - 1)
MIN_SQRT_LIMIT: constant(uint160) = 4295128740
MAX_SQRT_LIMIT: constant(uint160) = 1461446703485210103287273052203988822378723970341
# `_callback` when no callback is expected: non-zero keeps the SSTOREs cheap, and no contract
# calls from address 1 (a precompile)
IDLE: constant(uint256) = 1
V3_FLAG: constant(uint256) = 1 << 160  # `_callback` of a V3 pool: pool | V3_FLAG
PLAIN_V3_DATA: constant(uint256) = 64  # abi_encode(token_in, max_in): a plain (non-flash) V3 leg

struct Hop:
    pool: address
    kind: uint8  # UNISWAP_V2 or UNISWAP_V3
    zero_for_one: bool  # token_in is the pool's token0
    fee_bps: uint256  # V2: the pair's fee; V3: the pool's fee / 100 (fee tier 3000 -> 30)
    token_out: address  # the leg's output token; the last leg's is the base token

interface IPair:
    def getReserves() -> (uint112, uint112, uint32): view
    def swap(amount0Out: uint256, amount1Out: uint256, to: address, data: Bytes[1024]): nonpayable

interface IV3Pool:
    def swap(recipient: address, zeroForOne: bool, amountSpecified: int256, sqrtPriceLimitX96: uint160, data: Bytes[1024]) -> (int256, int256): nonpayable

interface IERC20:
    def balanceOf(owner: address) -> uint256: view

event Executed:
    base: indexed(address)
    amount_in: uint256
    amount_out: uint256
    profit: uint256
    flash: bool

owner: public(immutable(address))
# the V3 factory whose pools V3 legs may use (zero: no V3 legs) and its pool init-code hash
v3_factory: public(immutable(address))
v3_pool_init_code_hash: public(immutable(bytes32))
# the one callback expected now: the pool (| V3_FLAG for a V3 pool), IDLE when none
_callback: uint256


@deploy
def __init__(v3_factory_: address, v3_pool_init_code_hash_: bytes32):
    owner = msg.sender
    v3_factory = v3_factory_
    v3_pool_init_code_hash = v3_pool_init_code_hash_
    self._callback = IDLE


@payable
@external
def __default__():
    """Plain ETH transfers only: calldata for a function this version does not have (an
    appliance speaking another version's ABI) reverts instead of succeeding as a no-op."""
    assert len(msg.data) == 0, "executor: unknown function"


@external
def execute(base: address, amount_in: uint256, min_profit: uint256, hops: DynArray[Hop, MAX_HOPS], flash: bool, deadline: uint256) -> (uint256, uint256):
    """
    @param base the token the cycle starts and ends in
    @param amount_in base tokens put into the first leg
    @param min_profit revert unless the base balance grew by at least this much
    @param hops the legs; hops[0] takes base, the last leg returns base
    @param flash the first leg pays out before it is paid (from the last leg) instead of being
           paid from inventory
    @param deadline last block number this may run in (required: a stale signed trade can never
           execute later)
    @return the profit in base tokens (what a simulation reports as the fill), and the gas this
            call used from its first statement to its return, before refunds (what the
            appliance derives the transaction's gas limit from: one execution, no estimate)
    """
    gas_start: uint256 = msg.gas
    assert msg.sender == owner, "executor: not owner"
    assert block.number <= deadline, "executor: deadline passed"
    profit: uint256 = self._execute(base, amount_in, min_profit, hops, flash)
    return profit, gas_start - msg.gas


@external
def uniswapV2Call(sender: address, amount0: uint256, amount1: uint256, data: Bytes[1024]):
    """
    @notice The V2 flash swap callback: only the pair this contract is borrowing from, and only
            for a swap this contract started.
    """
    assert self._callback == convert(msg.sender, uint256) and msg.sender != self, "executor: unexpected pair"
    assert sender == self, "executor: unexpected sender"
    self._callback = IDLE
    base: address = empty(address)
    amount_in: uint256 = 0
    min_profit: uint256 = 0
    hops: DynArray[Hop, MAX_HOPS] = []
    base, amount_in, min_profit, hops = abi_decode(data, (address, uint256, uint256, DynArray[Hop, MAX_HOPS]))
    borrowed: uint256 = amount0 + amount1
    # The borrowed tokens are here: hand them to the second leg (a V2 pair holds its input, a
    # V3 pool pulls it), run the rest of the cycle (the last leg pays this contract), then repay
    # the first pair with base tokens.
    if hops[1].kind == UNISWAP_V2:
        self._transfer(hops[0].token_out, hops[1].pool, borrowed)
    amount_out: uint256 = self._run_legs(hops, 1, borrowed)
    assert amount_out >= amount_in + min_profit, "executor: profit below minimum"
    self._transfer(base, hops[0].pool, amount_in)


@external
def uniswapV3SwapCallback(amount0Delta: int256, amount1Delta: int256, data: Bytes[1024]):
    """
    @notice A V3 pool asks for its input: only the factory pool this contract is swapping on
            now. A plain leg pays at once; the flash leg first runs the rest of the cycle.
    """
    assert self._callback == convert(msg.sender, uint256) | V3_FLAG, "executor: unexpected pool"
    self._callback = IDLE
    owed: uint256 = 0
    received: uint256 = 0
    if amount0Delta > 0:
        owed = convert(amount0Delta, uint256)
        received = convert(-amount1Delta, uint256)
    else:
        owed = convert(amount1Delta, uint256)
        received = convert(-amount0Delta, uint256)
    if len(data) == PLAIN_V3_DATA:
        token_in: address = empty(address)
        max_in: uint256 = 0
        token_in, max_in = abi_decode(data, (address, uint256))
        assert owed <= max_in, "executor: pool asks too much"
        self._transfer(token_in, msg.sender, owed)
        return
    base: address = empty(address)
    amount_in: uint256 = 0
    min_profit: uint256 = 0
    hops: DynArray[Hop, MAX_HOPS] = []
    base, amount_in, min_profit, hops = abi_decode(data, (address, uint256, uint256, DynArray[Hop, MAX_HOPS]))
    assert owed <= amount_in, "executor: pool asks too much"
    # the first leg's output went to the second leg's pair (V2) or here (V3): run the rest
    amount_out: uint256 = self._run_legs(hops, 1, received)
    assert amount_out >= owed + min_profit, "executor: profit below minimum"
    self._transfer(base, msg.sender, owed)


@external
def withdraw(token: address, to: address, amount: uint256):
    assert msg.sender == owner, "executor: not owner"
    self._transfer(token, to, amount)


@external
def withdraw_eth(to: address, amount: uint256):
    assert msg.sender == owner, "executor: not owner"
    send(to, amount)


@internal
def _execute(base: address, amount_in: uint256, min_profit: uint256, hops: DynArray[Hop, MAX_HOPS], flash: bool) -> uint256:
    """The cycle, funded from inventory or by the first leg; checks the base balance grew by
    ``min_profit``, logs ``Executed`` and returns the profit. The caller checks who and when."""
    n: uint256 = len(hops)
    assert n >= 2, "executor: need at least 2 hops"
    assert hops[n - 1].token_out == base, "executor: cycle does not return base"
    start: uint256 = staticcall IERC20(base).balanceOf(self)
    first: Hop = hops[0]
    if not flash:
        if first.kind == UNISWAP_V2:
            self._transfer(base, first.pool, amount_in)
        self._run_legs(hops, 0, amount_in)  # a V3 first leg takes base in its callback
    elif first.kind == UNISWAP_V2:
        out0: uint256 = self._amount_out(first, amount_in)
        self._callback = convert(first.pool, uint256)
        data: Bytes[1024] = abi_encode(base, amount_in, min_profit, hops)
        if first.zero_for_one:
            extcall IPair(first.pool).swap(0, out0, self, data)
        else:
            extcall IPair(first.pool).swap(out0, 0, self, data)
        assert self._callback == IDLE, "executor: no callback"
    else:
        self._v3_swap(first, base, self._recipient(hops, 0), amount_in, abi_encode(base, amount_in, min_profit, hops))
    final: uint256 = staticcall IERC20(base).balanceOf(self)
    assert final >= start + min_profit, "executor: profit below minimum"
    log Executed(base=base, amount_in=amount_in, amount_out=amount_in + final - start, profit=final - start, flash=flash)
    return final - start


@internal
def _run_legs(hops: DynArray[Hop, MAX_HOPS], first: uint256, amount_in: uint256) -> uint256:
    """Swap legs first..end. The input of leg ``first`` is already in its pair (V2) or here
    (V3). Returns the last leg's output (paid to this contract)."""
    amount: uint256 = amount_in
    n: uint256 = len(hops)
    for i: uint256 in range(first, first + MAX_HOPS, bound=MAX_HOPS):
        if i >= n:
            break
        hop: Hop = hops[i]
        to: address = self._recipient(hops, i)
        if hop.kind == UNISWAP_V2:
            out: uint256 = self._amount_out(hop, amount)
            if hop.zero_for_one:
                extcall IPair(hop.pool).swap(0, out, to, b"")
            else:
                extcall IPair(hop.pool).swap(out, 0, to, b"")
            amount = out
        else:
            token_in: address = hops[(i + n - 1) % n].token_out  # the last leg's is base
            amount = self._v3_swap(hop, token_in, to, amount, abi_encode(token_in, amount))
    return amount


@internal
def _v3_swap(hop: Hop, token_in: address, to: address, amount: uint256, data: Bytes[1024]) -> uint256:
    """Exact input ``amount`` on a factory pool, unlimited price; returns the output (to ``to``).
    The pool pays out, then takes its input in uniswapV3SwapCallback."""
    assert hop.kind == UNISWAP_V3, "executor: unknown pool kind"
    token0: address = token_in
    token1: address = hop.token_out
    if not hop.zero_for_one:
        token0 = hop.token_out
        token1 = token_in
    salt: bytes32 = keccak256(abi_encode(token0, token1, hop.fee_bps * 100))
    pool: bytes32 = keccak256(concat(b"\xff", convert(v3_factory, bytes20), salt, v3_pool_init_code_hash))
    expected: address = convert(convert(convert(pool, uint256) & convert(max_value(uint160), uint256), uint160), address)
    assert v3_factory != empty(address) and expected == hop.pool, "executor: not a factory pool"
    limit: uint160 = MAX_SQRT_LIMIT
    if hop.zero_for_one:
        limit = MIN_SQRT_LIMIT
    self._callback = convert(hop.pool, uint256) | V3_FLAG
    delta0: int256 = 0
    delta1: int256 = 0
    delta0, delta1 = extcall IV3Pool(hop.pool).swap(to, hop.zero_for_one, convert(amount, int256), limit, data)
    assert self._callback == IDLE, "executor: no callback"
    if hop.zero_for_one:
        return convert(-delta1, uint256)
    return convert(-delta0, uint256)


@view
@internal
def _recipient(hops: DynArray[Hop, MAX_HOPS], i: uint256) -> address:
    """Where leg ``i`` sends its output: into the next leg's V2 pair, else here."""
    if i + 1 < len(hops) and hops[i + 1].kind == UNISWAP_V2:
        return hops[i + 1].pool
    return self


@view
@internal
def _amount_out(hop: Hop, amount_in: uint256) -> uint256:
    assert hop.kind == UNISWAP_V2, "executor: unknown pool kind"
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
def execute_paying(base: address, amount_in: uint256, min_profit: uint256, hops: DynArray[Hop, MAX_HOPS], flash: bool, deadline: uint256, coinbase_wei: uint256) -> (uint256, uint256):
    """
    @notice ``execute``, then pay the block's builder ``coinbase_wei`` out of the profit (a bundle's
            bid). Only when the cycle succeeded and its profit covers ``min_profit`` plus the
            payment: otherwise the whole transaction reverts and nothing is paid.
    @dev The base token must be the wrapped native coin (WETH9-style ``withdraw``): the payment is
         ``coinbase_wei`` of the base-token profit unwrapped and sent to ``block.coinbase``. Any
         other base token reverts at the unwrap (the appliance bids by priority fee then).
         The profit returned and logged in ``Executed`` is the cycle's, before the payment; the
         gas returned is ``execute``'s measure, the payment included.
    """
    gas_start: uint256 = msg.gas
    assert msg.sender == owner, "executor: not owner"
    assert block.number <= deadline, "executor: deadline passed"
    profit: uint256 = self._execute(base, amount_in, min_profit + coinbase_wei, hops, flash)
    if coinbase_wei > 0:
        extcall IWETH(base).withdraw(coinbase_wei)
        send(block.coinbase, coinbase_wei)
        log CoinbasePaid(coinbase=block.coinbase, amount=coinbase_wei)
    return profit, gas_start - msg.gas
