"""Helpers shared by the V3 math tests."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext


def encode_price_sqrt(reserve1: int, reserve0: int) -> int:
    """v3-core's test helper: sqrt(reserve1/reserve0)·2^96 in bignumber.js (40 places, half up)."""
    places = Decimal(1).scaleb(-40)
    with localcontext() as ctx:
        ctx.prec = 200
        ratio = (Decimal(reserve1) / Decimal(reserve0)).quantize(places, ROUND_HALF_UP)
        root = ratio.sqrt().quantize(places, ROUND_HALF_UP)
        return int(root * (Decimal(2) ** 96))
