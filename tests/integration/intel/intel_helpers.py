"""Block intelligence read from a devnet the way the appliance reads it: the tracked pools'
Swap logs through the real RPC pool, the production reader's decoding and batched receipts."""

from __future__ import annotations

from appliance.chain import open_rpc_pool
from appliance.config import load_config
from appliance.devnet._abi import calldata
from appliance.events import SwapLogsSeen
from appliance.intel import SWAP_V2_TOPIC, classify_block
from appliance.intel.task import IntelReader

ETH = 10**18
TRIANGLE = ("WETH", "USDC", "DAI", "WETH")


async def send_router_triangle(dn, account: str = "competitor", amount_in: int = 5 * ETH) -> dict:
    """``account`` runs WETH -> USDC -> DAI -> WETH through the uniswap router's multi-hop path
    (one transaction, mined); returns its receipt. Profitable after a WETH-dear dislocation."""
    path = [dn.token(symbol).address for symbol in TRIANGLE]
    return await dn.send_tx(
        account,
        dn.dex("uniswap").router,
        calldata(
            "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
            amount_in,
            0,
            path,
            dn.address_of(account),
            2**63,
        ),
        gas=600_000,
    )


async def swap_logs(rpc, dn, number: int) -> SwapLogsSeen:
    logs = await rpc.get_logs(
        address=[p.address for p in dn.pools],
        topics=[SWAP_V2_TOPIC],
        from_block=number,
        to_block=number,
    )
    return SwapLogsSeen(number, logs)


async def block_intel(dn, number: int, *, ours=()):
    cfg = load_config(dn.config_path, check_key=False)
    async with open_rpc_pool(cfg.chain) as rpc:
        reader = IntelReader(rpc, dn.pools, ours)
        swaps, rejected = reader.decode((await swap_logs(rpc, dn, number)).logs)
        assert rejected == 0
        txs = await reader.tx_infos(sorted({s.tx_hash for s in swaps}))
    return classify_block(swaps, txs, ours=ours)


async def intel_event(dn, number: int, *, ours=()):
    """The MarketIntelSeen the intel task would send for block ``number``."""
    cfg = load_config(dn.config_path, check_key=False)
    async with open_rpc_pool(cfg.chain) as rpc:
        return await IntelReader(rpc, dn.pools, ours).read(await swap_logs(rpc, dn, number))
