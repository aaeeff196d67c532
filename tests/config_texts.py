"""The config files the config tests start from, as text built from one copy of each table.

Tests edit these (``str.replace``, ``+``) to make the bad file they need, so the texts are exact:
change one and the edits that match on it must change too."""

from __future__ import annotations

__all__ = ["CHAIN", "SUSHI_V2", "TOKENS", "TWO_V2_DEXES", "UNI_V2", "WETH"]

WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"  # mainnet WETH, a checksummed address

CHAIN = """
[chain]
chain_id = 1
rpc = ["https://rpc.example.org"]
"""

UNI_V2 = """
[[dex]]
name = "uni"
factory = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"
"""

SUSHI_V2 = """
[[dex]]
name = "sushi"
factory = "0xC0AEe478e3658e2610c5F7A4A2E1777cE9e4f2Ac"
"""

TOKENS = f"""
[tokens]
base = ["{WETH}"]
"""

# a whole valid file: chain 1, the Uniswap and Sushiswap V2 factories, WETH as the base token
TWO_V2_DEXES = CHAIN + UNI_V2 + SUSHI_V2 + TOKENS
