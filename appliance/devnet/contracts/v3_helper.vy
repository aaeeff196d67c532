# pragma version ~=0.4.3
"""
@title Devnet Uniswap V3 helper
@notice Mints positions on and swaps through Uniswap V3 pools for the local devnet, paying
        the pool from the caller (who approved this contract) inside the pool's callback.
        Positions belong to the caller, so the caller burns and collects on the pool itself.
        A callback is honoured only from the pool this contract is calling right now.
"""

from ethereum.ercs import IERC20

interface IUniswapV3Pool:
    def token0() -> address: view
    def token1() -> address: view
    def mint(
        recipient: address, tickLower: int24, tickUpper: int24, amount: uint128, data: Bytes[32]
    ) -> (uint256, uint256): nonpayable
    def swap(
        recipient: address,
        zeroForOne: bool,
        amountSpecified: int256,
        sqrtPriceLimitX96: uint160,
        data: Bytes[32],
    ) -> (int256, int256): nonpayable

active_pool: address
payer: address


@internal
def _pay(pool: address, token: address, amount: uint256):
    if amount > 0:
        assert extcall IERC20(token).transferFrom(self.payer, pool, amount), "payment failed"


@external
def mint(pool: address, tick_lower: int24, tick_upper: int24, amount: uint128) -> (uint256, uint256):
    """@notice Add `amount` liquidity in [tick_lower, tick_upper) for the caller."""
    self.active_pool = pool
    self.payer = msg.sender
    paid0: uint256 = 0
    paid1: uint256 = 0
    paid0, paid1 = extcall IUniswapV3Pool(pool).mint(msg.sender, tick_lower, tick_upper, amount, b"")
    self.active_pool = empty(address)
    return paid0, paid1


@external
def swap(
    pool: address, zero_for_one: bool, amount_specified: int256, sqrt_price_limit_x96: uint160
) -> (int256, int256):
    """@notice The pool's swap for the caller (exact input if `amount_specified` > 0)."""
    self.active_pool = pool
    self.payer = msg.sender
    delta0: int256 = 0
    delta1: int256 = 0
    delta0, delta1 = extcall IUniswapV3Pool(pool).swap(
        msg.sender, zero_for_one, amount_specified, sqrt_price_limit_x96, b""
    )
    self.active_pool = empty(address)
    return delta0, delta1


@external
def uniswapV3MintCallback(amount0Owed: uint256, amount1Owed: uint256, data: Bytes[1024]):
    assert msg.sender == self.active_pool, "callback from a pool not in call"
    self._pay(msg.sender, staticcall IUniswapV3Pool(msg.sender).token0(), amount0Owed)
    self._pay(msg.sender, staticcall IUniswapV3Pool(msg.sender).token1(), amount1Owed)


@external
def uniswapV3SwapCallback(amount0Delta: int256, amount1Delta: int256, data: Bytes[1024]):
    assert msg.sender == self.active_pool, "callback from a pool not in call"
    if amount0Delta > 0:
        self._pay(msg.sender, staticcall IUniswapV3Pool(msg.sender).token0(), convert(amount0Delta, uint256))
    if amount1Delta > 0:
        self._pay(msg.sender, staticcall IUniswapV3Pool(msg.sender).token1(), convert(amount1Delta, uint256))
