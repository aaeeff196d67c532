"""The order path's one request after the head, before and after the gas came from the simulation.

On loopback Anvil, a 3-hop Uniswap V2 cycle through the executor, simulated on the pending block:

* ``head + eth_call + eth_estimateGas``: the batch the order path sent until the executor returned
  its own gas (the estimate is a binary search: many EVM executions);
* ``head + eth_call``: the batch it sends now (one execution gives the profit and the gas);
* ``eth_createAccessList``: the other one-request way to a gas figure, for comparison (Anvil runs
  the transaction twice, and its ``gasUsed`` is after refunds: no limit can be read from it);
* ``head + eth_call`` over a warm WebSocket (:class:`WsClient`, the two calls as two messages on
  one connection) beside the same over HTTP (httpx, keep-alive).

Rounds alternate the cases so the box's load falls on all of them alike. Prints p50/p99 wall
time, the CPU-seconds of this process and the load average.

Usage: python tests/bench/bench_sim_roundtrip.py [--quick]   (BENCH_ROUNDS overrides: default 5)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/integration/execution"))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def measure(dn, rounds: int, per_round: int) -> None:
    from exec_helpers import deploy_executors, make_candidate, plant

    from appliance.chain.rpc import RpcClient
    from appliance.chain.ws import WsClient
    from appliance.execution.calldata import encode_execute

    inv, _flash = await deploy_executors(dn)
    await plant(dn, 3)
    cand = await make_candidate(dn, 3)
    head = await dn.block_number()
    data = encode_execute(cand, min_profit=1, flash=False, deadline=head + 5)
    sender = dn.accounts["appliance"].address
    tx = {"from": sender, "to": inv, "data": "0x" + data.hex(), "gas": hex(2_000_000)}
    latest = ("eth_getBlockByNumber", ["latest", False])
    cases = {
        "head + eth_call + eth_estimateGas (before)": [
            latest,
            ("eth_call", [tx, "pending"]),
            ("eth_estimateGas", [tx, "pending"]),
        ],
        "head + eth_call (now)": [latest, ("eth_call", [tx, "pending"])],
        "eth_createAccessList (for comparison)": [("eth_createAccessList", [tx, "pending"])],
    }
    now = [latest, ("eth_call", [tx, "pending"])]
    ws_name = "head + eth_call over a warm WebSocket (WsClient)"
    wall: dict[str, list[float]] = {name: [] for name in (*cases, ws_name)}
    cpu: dict[str, float] = dict.fromkeys(wall, 0.0)
    async with RpcClient(dn.rpc) as client, WsClient(dn.rpc.replace("http://", "ws://")) as ws:
        runs = {name: (client, requests) for name, requests in cases.items()}
        runs[ws_name] = (ws, now)
        for via, requests in runs.values():  # warm-up
            await via.batch(requests)
        for _ in range(rounds):
            for name, (via, requests) in runs.items():
                for _ in range(per_round):
                    c0, t0 = time.process_time(), time.perf_counter()
                    answers = await via.batch(requests)
                    wall[name].append(time.perf_counter() - t0)
                    cpu[name] += time.process_time() - c0
                    assert not any(isinstance(a, Exception) for a in answers), answers
    print("order path: the request after the head (loopback Anvil, 3-hop V2 cycle, pending)")
    for name, xs in wall.items():
        print(
            f"  {name:44s} p50 {_pct(xs, 50) * 1000:6.2f} ms  p99 {_pct(xs, 99) * 1000:6.2f} ms"
            f"  (n={len(xs)}, {cpu[name]:.2f} CPU-s in this process)"
        )
    one, five, fifteen = os.getloadavg()
    print(f"  load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores")


def main() -> None:
    import trio

    from appliance.devnet import start_devnet

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 rounds instead of 5")
    args = ap.parse_args()
    rounds = int(os.environ.get("BENCH_ROUNDS", 2 if args.quick else 5))
    with start_devnet(seed=1) as dn:
        trio.run(measure, dn, rounds, 40)


if __name__ == "__main__":
    main()
