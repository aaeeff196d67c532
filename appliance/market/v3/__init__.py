"""Uniswap V3 pool arithmetic, one library per module; the public face is ``appliance.market.v3math``.

Layout (each a port of the contract library of the same name, bit for bit):
``_tickmath`` TickMath, ``_fullmath`` FullMath + SqrtPriceMath, ``_swapmath`` SwapMath,
``_pool`` the pool's swap loop and the Quoter's view of it, ``_errors`` the reverts.
"""

__all__: list[str] = []
