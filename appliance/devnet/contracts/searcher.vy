# pragma version 0.4.3
"""
@title Devnet competitor: a cross-DEX arbitrage contract of a rival searcher
@notice Buys `mid` with `token` on one router and sells it back on another in one transaction
        (`arb`), or trades a Uniswap V2 router against a Uniswap V3 pool (`arb_v3`, the pool paid
        from this contract's balance in its callback); reverts unless the contract's `token`
        balance grew by at least `min_profit`. Owner only. A competitor for the appliance on the
        devnet, never deployed anywhere else.
"""

interface Router:
    def swapExactTokensForTokens(
        amountIn: uint256,
        amountOutMin: uint256,
        path: DynArray[address, 2],
        to: address,
        deadline: uint256,
    ) -> DynArray[uint256, 2]: nonpayable

interface ERC20:
    def approve(spender: address, amount: uint256) -> bool: nonpayable
    def balanceOf(owner: address) -> uint256: view
    def transfer(to: address, amount: uint256) -> bool: nonpayable

interface V3Pool:
    def token0() -> address: view
    def token1() -> address: view
    def swap(
        recipient: address,
        zeroForOne: bool,
        amountSpecified: int256,
        sqrtPriceLimitX96: uint160,
        data: Bytes[32],
    ) -> (int256, int256): nonpayable

MIN_SQRT_RATIO: constant(uint160) = 4295128739
MAX_SQRT_RATIO: constant(uint160) = 1461446703485210103287273052203988822378723970342

owner: public(address)
active_pool: address


@deploy
def __init__():
    self.owner = msg.sender


@external
def approve(token: address, spender: address):
    assert msg.sender == self.owner, "owner only"
    extcall ERC20(token).approve(spender, max_value(uint256))


@external
def arb(
    token: address,
    mid: address,
    router_buy: address,
    router_sell: address,
    amount_in: uint256,
    min_profit: uint256,
):
    assert msg.sender == self.owner, "owner only"
    before: uint256 = staticcall ERC20(token).balanceOf(self)
    bought: DynArray[uint256, 2] = extcall Router(router_buy).swapExactTokensForTokens(
        amount_in, 0, [token, mid], self, block.timestamp
    )
    extcall Router(router_sell).swapExactTokensForTokens(
        bought[1], 0, [mid, token], self, block.timestamp
    )
    assert staticcall ERC20(token).balanceOf(self) >= before + min_profit, "unprofitable"


@internal
def _v3_swap(pool: address, token_in: address, amount_in: uint256) -> uint256:
    zero_for_one: bool = token_in == staticcall V3Pool(pool).token0()
    limit: uint160 = MIN_SQRT_RATIO + 1
    if not zero_for_one:
        limit = MAX_SQRT_RATIO - 1
    self.active_pool = pool
    delta0: int256 = 0
    delta1: int256 = 0
    delta0, delta1 = extcall V3Pool(pool).swap(
        self, zero_for_one, convert(amount_in, int256), limit, b""
    )
    self.active_pool = empty(address)
    if zero_for_one:
        return convert(-delta1, uint256)
    return convert(-delta0, uint256)


@external
def arb_v3(
    token: address,
    mid: address,
    router: address,
    pool: address,
    v2_first: bool,
    amount_in: uint256,
    min_profit: uint256,
):
    assert msg.sender == self.owner, "owner only"
    before: uint256 = staticcall ERC20(token).balanceOf(self)
    if v2_first:
        bought: DynArray[uint256, 2] = extcall Router(router).swapExactTokensForTokens(
            amount_in, 0, [token, mid], self, block.timestamp
        )
        self._v3_swap(pool, mid, bought[1])
    else:
        got: uint256 = self._v3_swap(pool, token, amount_in)
        extcall Router(router).swapExactTokensForTokens(got, 0, [mid, token], self, block.timestamp)
    assert staticcall ERC20(token).balanceOf(self) >= before + min_profit, "unprofitable"


@external
def uniswapV3SwapCallback(amount0Delta: int256, amount1Delta: int256, data: Bytes[1024]):
    assert msg.sender == self.active_pool, "callback from a pool not in call"
    if amount0Delta > 0:
        token0: address = staticcall V3Pool(msg.sender).token0()
        assert extcall ERC20(token0).transfer(msg.sender, convert(amount0Delta, uint256))
    if amount1Delta > 0:
        token1: address = staticcall V3Pool(msg.sender).token1()
        assert extcall ERC20(token1).transfer(msg.sender, convert(amount1Delta, uint256))
