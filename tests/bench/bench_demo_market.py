"""How believable the demo market is (issue 24). Prints figures, asserts nothing.

What ``make demo`` runs, without the screen: a devnet (Anvil, real Uniswap V2 and V3 pools, 1 s
blocks, mainnet-like gas: a 10 gwei base-fee floor and tipping traders), its noise traders, the
rival searchers and the real mainnet USDC/WETH price series on the lead pool; then ``arb-appliance run`` (paper mode, journal on, simulation on) as
a process for the chosen time. Then, from the journal and the appliance's own commands
(``why --json``, ``competitors --json``):

* our paper fills per minute, median and p90 gross / gas / net per fill (WETH), gas's share of
  gross, net per fill in basis points of its input;
* opportunities seen, their fates, the top rejection reasons;
* the rivals' share of the arbitrage profit realized on the pools and our capture rate
  (``competitors``' capture), each rival's arbitrages;
* the CPU-seconds of this process and of ``run``, and the load average.

Usage: python tests/bench/bench_demo_market.py [--minutes 3] [--quick] [--seed 1]
       (``--quick``: 40 s, the length of the run the issue quoted; ``BENCH_MINUTES=5`` for the
       5-minute run issue 24 asks for; ``--base-fee-gwei 0`` for Anvil's decaying base fee)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parents[2]
SERIES = ROOT.parent / "shared" / "data" / "uniswap-v2-usdc-weth-reserves.csv.gz"
CLI = [sys.executable, "-m", "appliance"]
WEI = 10**18


def _json(*args: str) -> dict:
    out = subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"error": (out.stderr or out.stdout).strip()[:200]}


def _eth(wei: float) -> str:
    return f"{wei / WEI:.6f}"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _run(dn, seconds: float, seed: int, tmp: Path, series) -> None:
    from appliance.devnet.executor import install_executor
    from appliance.devnet.service import run_devnet_market

    await install_executor(dn)
    if True:
        async with trio.open_nursery() as nursery:
            await nursery.start(
                lambda task_status: run_devnet_market(
                    dn,
                    seed=seed,
                    simulator=True,
                    searchers=True,
                    real_prices=series,
                    task_status=task_status,
                )
            )
            log = open(tmp / "run.log", "wb")  # noqa: SIM115 - closed below
            proc = subprocess.Popen(
                [*CLI, "run", "--config", str(dn.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            t0 = time.monotonic()
            try:
                await trio.sleep(seconds)
            finally:
                proc.send_signal(signal.SIGTERM)
                with trio.move_on_after(30):
                    while proc.poll() is None:
                        await trio.sleep(0.1)
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                log.close()
            elapsed = time.monotonic() - t0
            load = os.getloadavg()
            report(dn.config_path, elapsed, series is not None)
            own = resource.getrusage(resource.RUSAGE_SELF)
            child = resource.getrusage(resource.RUSAGE_CHILDREN)  # run, and the CLI reports
            print(
                f"  CPU                   run + reports {child.ru_utime + child.ru_stime:.1f} s, "
                f"market (this process) {own.ru_utime + own.ru_stime:.1f} s, over {elapsed:.0f} s;"
                f" load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
            )
            nursery.cancel_scope.cancel()


def report(config: Path, elapsed: float, real_prices: bool) -> None:
    from appliance.config import load_config

    cfg = load_config(config, check_key=False)
    journal = cfg.storage.data_dir / "journal.sqlite"
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        fills = db.execute(
            "SELECT CAST(realized_profit AS REAL), CAST(gas_cost AS REAL), "
            "CAST(net_profit AS REAL), CAST(amount_in AS REAL) FROM trades "
            "WHERE status = 'paper' AND reason = '' AND realized_profit IS NOT NULL"
        ).fetchall()
        base_fee = db.execute(
            "SELECT avg(CAST(base_fee AS REAL)) FROM blocks WHERE base_fee IS NOT NULL"
        ).fetchone()
        failed = db.execute(
            "SELECT count(*) FROM trades WHERE status = 'paper' AND reason != ''"
        ).fetchone()[0]
        opportunities = db.execute("SELECT count(*) FROM opportunities").fetchone()[0]
        blocks = db.execute("SELECT count(*) FROM blocks").fetchone()[0]
        late = db.execute(
            "SELECT count(*) FROM trades WHERE status = 'paper' AND created_at >= ?",
            (time.time() - elapsed / 2,),
        ).fetchone()[0]
        hops = db.execute(
            "SELECT json_array_length(o.path), count(*) FROM trades t JOIN opportunities o "
            "ON o.order_id = t.order_id WHERE t.status = 'paper' GROUP BY 1"
        ).fetchall()
    finally:
        db.close()
    minutes = elapsed / 60
    print(
        f"demo market: {elapsed:.0f} s, {blocks} blocks, real prices {'on' if real_prices else 'off'}"
    )
    print(f"  paper fills           {len(fills)} ({len(fills) / minutes:.1f}/min), {failed} failed")
    print(
        f"  fills, second half    {late} ({late / (minutes / 2):.1f}/min: after the start's backlog)"
    )
    print(f"  fills by cycle legs   {dict(hops)}")
    if base_fee and base_fee[0]:
        print(f"  base fee, mean        {base_fee[0] / 1e9:.2f} gwei")
    if fills:
        gross = [f[0] for f in fills]
        gas = [f[1] for f in fills]
        net = [f[2] for f in fills]
        bps = [f[2] / f[3] * 1e4 for f in fills if f[3]]
        for name, values in (("gross", gross), ("gas", gas), ("net", net)):
            print(
                f"  {name + ' / fill':<21} median {_eth(statistics.median(values))}, "
                f"p90 {_eth(_pct(values, 0.9))} WETH"
            )
        if bps:
            print(
                f"  net / input           median {statistics.median(bps):.1f} bps, "
                f"p90 {_pct(bps, 0.9):.1f} bps"
            )
        print(
            f"  total gross/gas/net   {_eth(sum(gross))} / {_eth(sum(gas))} / {_eth(sum(net))} WETH"
            f"  (gas {sum(gas) / sum(gross):.0%} of gross, net/gross {sum(net) / sum(gross):.0%})"
        )
    why = _json("why", "--json", "--config", str(config), "--since", "1h")
    print(f"  opportunities         {opportunities} ({opportunities / minutes:.1f}/min)")
    print(f"  fates                 {why.get('fates', why)}")
    top = list((why.get("rejections") or {}).items())[:5]
    print(f"  top rejections        {top}")
    comp = _json("competitors", "--json", "--config", str(config), "--since", "1h")
    weth = cfg.tokens.base[0] if cfg.tokens.base else None
    for token, c in (comp.get("capture") or {}).items():
        if weth is None or token.lower() == weth.lower():
            total = c["ours_wei"] + max(c["others_wei"], 0)
            rivals = max(c["others_wei"], 0) / total if total > 0 else float("nan")
            rate = c.get("rate")
            print(
                f"  arbitrage profit      ours {_eth(c['ours_wei'])} WETH, rivals "
                f"{_eth(c['others_wei'])} WETH: rivals' share {rivals:.0%}, our capture "
                + ("n/a" if rate is None else f"{rate:.0%}")
            )
    from appliance.devnet.searchers import SEARCHER_NAMES, searcher_address

    names = {searcher_address(n).lower(): n for n in SEARCHER_NAMES}
    board = comp.get("leaderboard") or []
    for entry in board[:6]:
        who = (
            "us" if entry["ours"] else names.get(entry["searcher"].lower(), entry["searcher"][:10])
        )
        print(
            f"    {who:<16} {entry['arbitrages']:>4} arbs {entry['sandwiches']:>3} sandwiches "
            f"profit {_eth(entry['profit_wei'])} gas {_eth(entry['gas_wei'])}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("BENCH_MINUTES", 3)))
    parser.add_argument("--quick", action="store_true", help="40 s (the issue's run)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="keep the devnet/journal here")
    parser.add_argument(
        "--base-fee-gwei",
        type=float,
        default=None,
        help="the base-fee floor (default: the demo's; 0: Anvil's decaying base fee)",
    )
    args = parser.parse_args()
    seconds = 40.0 if args.quick else args.minutes * 60
    from appliance.devnet import start_devnet
    from appliance.devnet.gas import DEMO_GAS, DevnetGas
    from appliance.devnet.price_follower import load_price_series

    if args.base_fee_gwei is None:
        gas = DEMO_GAS
    else:
        gas = DevnetGas.of_gwei(args.base_fee_gwei) if args.base_fee_gwei > 0 else None

    series = load_price_series(SERIES) if SERIES.exists() else None
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        with start_devnet(
            seed=args.seed, block_time=1.0, data_dir=where / "devnet", with_v3=True, gas=gas
        ) as dn:
            trio.run(_run, dn, seconds, args.seed, where, series)


if __name__ == "__main__":
    main()
