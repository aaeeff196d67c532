"""Block intelligence read from a devnet the way the appliance reads it: one getLogs for the
tracked pools' Swap topic, the block's transactions and their receipts, then classification."""

from __future__ import annotations

from appliance.chain.values import log_from_json
from appliance.intel import SWAP_V2_TOPIC, TxInfo, classify_block, decode_v2_swap


async def block_intel(dn, number: int, *, ours=()):
    pools = {p.address.lower(): p for p in dn.pools}
    logs = await dn.call(
        "eth_getLogs",
        [
            {
                "fromBlock": hex(number),
                "toBlock": hex(number),
                "topics": [SWAP_V2_TOPIC],
                "address": [p.address for p in dn.pools],
            }
        ],
    )
    entries = [log_from_json("devnet", "eth_getLogs", e) for e in logs]
    swaps = [s for s in (decode_v2_swap(e, pools[e.address.lower()]) for e in entries) if s]
    block = await dn.call("eth_getBlockByNumber", [hex(number), True])
    txs = {}
    for t in block["transactions"]:
        receipt = await dn.call("eth_getTransactionReceipt", [t["hash"]])
        gas = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
        txs[t["hash"].lower()] = TxInfo(t["hash"].lower(), t["from"], t.get("to"), gas)
    return classify_block(swaps, txs, ours=ours)
