"""Gas of mixed V2/V3 trades through the executor (plain script): 2-, 3- and 4-hop cycles,
inventory and flash funding, at the best size (crossing initialized ticks) and at a small size
(within the current tick), on the real devnet (Anvil + npm Uniswap V2 and V3).

Each figure is the ``gasUsed`` of a mined trade sent as the pipeline sends it (the exact
``encode_execute`` calldata from the appliance key to its executor), in a block 12 s after the
previous one like on a real chain (timestamps set, so every run gives the same figures) (so the pools write their price accumulators / oracle slots,
as they do on the first swap of a block). Amounts realized are checked against the exact
v2math + v3math expectation.

Run: .venv/bin/python tests/bench/bench_exec_v3.py [--quick]   (BENCH_QUICK=1 also: 2 cycles)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "execution"))

from exec_v3_helpers import CYCLES, WETH_UNIT, deploy_v3_executors, make_candidate, plant

from appliance.devnet import start_devnet
from appliance.execution.calldata import encode_execute

SMALL_IN = WETH_UNIT // 20  # 0.05 WETH: stays within the current tick on every pool here


async def _trade(dn, executor: str, cycle, *, flash: bool, small: bool) -> tuple[int, int, int]:
    """(gas used, profit, V3 legs) of one mined trade on a fresh snapshot."""
    snap = await dn.snapshot()
    try:
        latest = await dn.call("eth_getBlockByNumber", ["latest", False])
        t0 = int(latest["timestamp"], 16)
        await dn.call("evm_setNextBlockTimestamp", [t0 + 12])
        await plant(dn, cycle.plant)
        cand = await make_candidate(dn, cycle, amount_in=SMALL_IN if small else None)
        assert cand.gross_profit > 0, (cycle.name, cand)
        head = await dn.block_number()
        data = encode_execute(cand, min_profit=1, flash=flash, deadline=head + 2)
        await dn.call("evm_setNextBlockTimestamp", [t0 + 24])
        before = await dn.balance("WETH", executor)
        receipt = await dn.send_tx("appliance", executor, "0x" + data.hex(), gas=1_500_000)
        realized = await dn.balance("WETH", executor) - before
        assert realized == cand.gross_profit, (cycle.name, realized, cand.gross_profit)
        v3 = sum(1 for leg in cand.legs if leg.kind == "uniswap_v3")
        return int(receipt["gasUsed"], 16), realized, v3
    finally:
        await dn.revert(snap)


async def _bench(dn, names: list[str]) -> None:
    inv, flash = await deploy_v3_executors(dn)
    await dn.set_automine(True)
    print(f"{'cycle':10} {'hops':>4} {'V3':>3} {'size':>5} {'inventory':>10} {'flash':>10}")
    for name in names:
        cycle = CYCLES[name]
        for small in (False, True):
            gas_inv, _, v3 = await _trade(dn, inv, cycle, flash=False, small=small)
            gas_flash, _, _ = await _trade(dn, flash, cycle, flash=True, small=small)
            size = "small" if small else "best"
            print(
                f"{name:10} {len(cycle.hops):>4} {v3:>3} {size:>5} {gas_inv:>10,} {gas_flash:>10,}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two cycles only")
    args = parser.parse_args()
    quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    names = ["v2_v3", "v3_v2_v2"] if quick else list(CYCLES)
    with start_devnet(seed=1, with_v3=True) as dn:
        trio.run(_bench, dn, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
