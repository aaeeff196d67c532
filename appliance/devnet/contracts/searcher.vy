# pragma version 0.4.3
"""
@title Devnet competitor: a cross-DEX arbitrage contract of a rival searcher
@notice Buys `mid` with `token` on one router and sells it back on another in one transaction;
        reverts unless the contract's `token` balance grew by at least `min_profit`. Owner only.
        A competitor for the appliance on the devnet, never deployed anywhere else.
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

owner: public(address)


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
