"""End-to-end bench (issue 14.16): block mined on Anvil -> order signed -> sent, p50/p99, at 500
and 2,000 pools, through the real supervisor (``appliance.supervisor.run_supervisor``, in
process) in live mode: chain follower, market state, strategy, risk gate, execution with the
simulation of the exact calldata on the pending block and the node's gas estimate, the
write-ahead journal row through the store task (fsync) — everything production does.

Each round: a simulator swap that dislocates two pools is sent unmined; the clock starts right
before ``anvil_mine``; the stamps are taken when execution logs the order as ``signed`` (after
its write-ahead row is durable) and ``sent`` (after ``eth_sendRawTransaction`` returned). Then
the trade is mined and the next round starts. A round without an order within 30 s is counted
as missed. Prints figures, asserts nothing.

Usage: python tests/bench/bench_e2e.py [--quick] [--minutes M] [--pools 500 2000]
       (BENCH_MINUTES sets --minutes: time per pool count, default 1; --quick: 5 rounds each)
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import trio
from gpiozero.pins.mock import MockFactory

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/integration/supervisor"))

ORDER_TIMEOUT_S = 30.0


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


class Stamps(logging.Handler):
    """Stamps execution's per-trade log lines (``trade <order> <status> ...``) as they happen."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen: list[tuple[float, str, str]] = []  # (perf_counter, order_id, status)
        self.drop_reasons: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("trade ") and record.args and len(record.args) >= 2:
            self.seen.append((time.perf_counter(), str(record.args[0]), str(record.args[1])))
            if str(record.args[1]) == "dropped":
                self.drop_reasons.append(str(record.args[-1]).split(":", 1)[0])

    def after(self, t0: float, status: str) -> tuple[float, str] | None:
        for at, order, st in self.seen:
            if at >= t0 and st == status:
                return at, order
        return None

    def of(self, order: str, statuses: set[str]) -> tuple[float, str] | None:
        for at, o, st in self.seen:
            if o == order and st in statuses:
                return at, st
        return None


async def _wait(predicate, timeout: float):
    with trio.move_on_after(timeout):
        while True:
            got = predicate()
            if got is not None:
                return got
            await trio.sleep(0.001)
    return None


def bench(pools: int, minutes: float, quick: bool) -> None:
    from sup_helpers import appliance_config

    from appliance.commands.devnet import CORE_POOLS
    from appliance.config import load_config
    from appliance.devnet import start_devnet
    from appliance.supervisor import run_supervisor

    stamps = Stamps()
    exec_log = logging.getLogger("appliance.execution.service")
    exec_log.addHandler(stamps)
    exec_log.setLevel(logging.INFO)
    exec_log.propagate = False  # the figures, not the trade lines
    signed: list[float] = []
    sent: list[float] = []
    missed = 0
    t_build = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_devnet(seed=1, n_pools_extra=max(0, pools - CORE_POOLS)) as dn,
    ):
        build_s = time.perf_counter() - t_build

        async def main() -> None:
            nonlocal missed
            cfg = load_config(await appliance_config(dn, Path(tmp), live=True))
            async with trio.open_nursery() as nursery:
                sup = await nursery.start(
                    lambda task_status: run_supervisor(
                        cfg, pin_factory=MockFactory(), task_status=task_status
                    )
                )
                await sup.ready.wait()
                await trio.sleep(2.0)  # let the first refreshes settle
                end = time.perf_counter() + minutes * 60
                rounds = 0
                while (rounds < 5) if quick else (time.perf_counter() < end and rounds < 500):
                    rounds += 1
                    await dn.swap("uniswap", "WETH", "USDC", 60 * 10**18, mine=False)
                    t0 = time.perf_counter()
                    await dn.mine()
                    got = await _wait(lambda t0=t0: stamps.after(t0, "sent"), ORDER_TIMEOUT_S)
                    sig = None if got is None else stamps.of(got[1], {"signed"})
                    if got is None or sig is None:
                        missed += 1
                        await dn.mine()
                        continue
                    sent.append(got[0] - t0)
                    signed.append(sig[0] - t0)
                    await dn.mine()  # our trade lands; the pools are back in line
                    await _wait(
                        lambda o=got[1]: stamps.of(o, {"mined", "reverted", "dropped"}),
                        ORDER_TIMEOUT_S,
                    )
                nursery.cancel_scope.cancel()

        trio.run(main)
    exec_log.removeHandler(stamps)
    ms = lambda v: f"{v * 1e3:8.1f} ms"  # noqa: E731
    print(f"{pools} pools (devnet built in {build_s:.0f} s): {len(sent)} orders, {missed} missed")
    if sent:
        print(
            f"  block mined -> order signed (journaled): p50 {ms(pct(signed, 50))}  p99 {ms(pct(signed, 99))}"
        )
        print(
            f"  block mined -> order sent:               p50 {ms(pct(sent, 50))}  p99 {ms(pct(sent, 99))}"
        )
    if stamps.drop_reasons:
        kinds = {k: stamps.drop_reasons.count(k) for k in sorted(set(stamps.drop_reasons))}
        print(f"  orders dropped by execution's pre-signing checks: {kinds}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 rounds per pool count")
    ap.add_argument(
        "--minutes",
        type=float,
        default=float(os.environ.get("BENCH_MINUTES", 1)),
        help="time per pool count (default: BENCH_MINUTES or 1)",
    )
    ap.add_argument("--pools", type=int, nargs="+", default=[500, 2000])
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    print("end-to-end: block mined on Anvil -> signed -> sent, real supervisor, live mode")
    t0 = time.perf_counter()
    for pools in args.pools:
        bench(pools, args.minutes, args.quick)
    print(
        f"bench wall time {time.perf_counter() - t0:.0f} s; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
