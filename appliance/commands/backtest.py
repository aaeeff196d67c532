"""``arb-appliance backtest``: a recorded market through the live strategy, risk and paper fills.

The market comes from the journal (its recorded reserves, base fees and timestamps) or from
reserves CSVs (``--csv POOL=FILE``, one per pool, ``blockNumber,reserve0,reserve1``; the pools
must be described in the journal). Every approved order races rivals when ``--fill race``
(``--latency-ms`` ours, ``--rival-latency-ms`` theirs, ``--rivals`` how many) and ``--runs N``
repeats the run with N seeds (Monte Carlo: P&L percentiles), shared by ``--jobs`` processes (one
per core by default; the runs are the same). ``--json`` prints one document; ``--report DIR``
writes an HTML page with plots (needs matplotlib: the ``report`` extra).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--journal",
        type=Path,
        default=None,
        metavar="PATH",
        help="journal to replay, or that describes the --csv pools "
        "(default: <storage.data_dir>/journal.sqlite)",
    )
    parser.add_argument(
        "--csv",
        action="append",
        default=[],
        metavar="POOL=FILE",
        help="a pool's per-block reserves (blockNumber,reserve0,reserve1; .gz ok); repeatable",
    )
    parser.add_argument(
        "--fetch",
        default=None,
        metavar="FROM:TO",
        help="first fetch blocks FROM..TO from chain.rpc (pools, Sync logs, headers) into "
        "--journal (default: <storage.data_dir>/backtest-FROM-TO.sqlite); resumable",
    )
    parser.add_argument("--from-block", type=int, default=0, metavar="N")
    parser.add_argument("--to-block", type=int, default=None, metavar="N")
    parser.add_argument("--fill", choices=("always", "race"), default="always")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="our reaction (median)")
    parser.add_argument("--rival-latency-ms", type=float, default=150.0, help="each rival's")
    parser.add_argument("--rivals", type=int, default=2, help="rivals racing each order")
    parser.add_argument("--runs", type=int, default=1, help="Monte Carlo runs (seeds 0..N-1)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="processes the Monte Carlo runs share (default: one per core, at most --runs); "
        "the runs are the same whatever N",
    )
    parser.add_argument(
        "--inventory",
        action="append",
        default=[],
        metavar="TOKEN=WEI",
        help="executor balance of a base token (inventory funding; default: enough that "
        "risk.max_trade_pct_inventory never binds before risk.max_trade_wei)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--report", type=Path, default=None, metavar="DIR", help="HTML + plots")


def _pairs(values: list[str], flag: str) -> list[tuple[str, str]]:
    from appliance.backtest import BacktestError

    out = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise BacktestError(f"{flag} takes KEY=VALUE, not {value!r}")
        out.append((key, rest))
    return out


def main(args: argparse.Namespace) -> int:
    from appliance.backtest import (
        AlwaysFirst,
        BacktestError,
        Competition,
        journal_market,
        merge_series,
        percentiles,
        read_reserves_csv,
    )
    from appliance.backtest.parallel import available_cores, run_seeds
    from appliance.config import load_config
    from appliance.store.errors import StoreError

    cfg = load_config(args.config, check_key=False)
    if args.runs < 1 or args.runs > 10_000:
        raise BacktestError(f"--runs must be between 1 and 10000, not {args.runs!r}")
    if args.jobs is not None and args.jobs < 1:
        raise BacktestError(f"--jobs must be at least 1, not {args.jobs!r}")
    journal = args.journal or cfg.storage.data_dir / "journal.sqlite"
    if args.fetch is not None:
        journal = _fetch(cfg, args)
    try:
        discovered, denied, recorded = journal_market(
            journal, from_block=args.from_block, to_block=args.to_block
        )
    except StoreError as exc:  # no journal, not a journal, nothing recorded: the user's input
        raise BacktestError(str(exc)) from None
    csvs = _pairs(args.csv, "--csv")
    if csvs:
        described = {p.address.lower(): p.address for p in discovered.pools}
        series = {}
        for pool, path in csvs:
            if pool.lower() not in described:
                raise BacktestError(f"--csv pool {pool} is not described in {journal}")
            series[described[pool.lower()]] = list(read_reserves_csv(Path(path)))
        hi = args.to_block if args.to_block is not None else 2**62

        def market():
            for block in merge_series(series):
                if args.from_block <= block.number <= hi:
                    yield block
    else:
        recorded_blocks = list(recorded)

        def market():
            return iter(recorded_blocks)

    inventory = _inventory(cfg, _pairs(args.inventory, "--inventory"))
    model = (
        AlwaysFirst()
        if args.fill == "always"
        else Competition(args.latency_ms, args.rival_latency_ms, args.rivals)
    )
    jobs = available_cores() if args.jobs is None else args.jobs
    runs = run_seeds(
        cfg,
        discovered,
        list(market()),
        seeds=range(args.runs),
        jobs=jobs,
        denied=denied,
        fill_model=model,
        inventory=inventory,
    )
    doc = runs[0].summary.to_json() | {
        "source": "csv" if csvs else "journal",
        "journal": str(journal),
        "fill": model.describe(),
        "inventory": {k: str(v) for k, v in (inventory or {}).items()},
        "rejections": runs[0].rejections,
        "lost_races": runs[0].lost_races,
        "runs": args.runs,
    }
    if args.runs > 1:
        doc["monte_carlo_net_profit_wei"] = percentiles([r.summary.net_profit_wei for r in runs])
    unit, decimals = _reference(cfg, discovered)
    if args.report is not None:
        from appliance.backtest.report import write_report

        doc["report"] = str(write_report(args.report, doc, runs, unit=unit, decimals=decimals))
    if args.json:
        print(json.dumps(doc, indent=1))
        return 0
    _print_human(doc, unit, decimals)
    return 0


def _fetch(cfg, args: argparse.Namespace) -> Path:
    import trio

    from appliance.backtest import BacktestError
    from appliance.backtest.fetch import fetch_history, print_progress
    from appliance.chain import open_rpc_pool
    from appliance.errors import first_appliance_error

    lo, sep, hi = args.fetch.partition(":")
    try:
        first, last = int(lo), int(hi)
    except ValueError:
        raise BacktestError(f"--fetch takes FROM:TO block numbers, not {args.fetch!r}") from None
    if not sep:
        raise BacktestError(f"--fetch takes FROM:TO block numbers, not {args.fetch!r}")
    path = args.journal or cfg.storage.data_dir / f"backtest-{first}-{last}.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)

    async def run():
        async with open_rpc_pool(cfg.chain) as rpc:
            return await fetch_history(
                rpc, cfg, path, from_block=first, to_block=last, progress=print_progress
            )

    try:
        trio.run(run)
    except BaseExceptionGroup as group:
        raise first_appliance_error(group) from None
    return path


def _inventory(cfg, given: list[tuple[str, str]]) -> dict[str, int] | None:
    from appliance.backtest import BacktestError

    if cfg.execution.funding == "flash":
        return None
    base = {t.lower(): t for t in cfg.tokens.base}
    out = {}
    for token, amount in given:
        if token.lower() not in base:
            raise BacktestError(f"--inventory token {token} is not one of tokens.base")
        try:
            out[base[token.lower()]] = int(amount, 10)
        except ValueError:
            raise BacktestError(f"--inventory amount must be integer wei, not {amount!r}") from None
    pct = max(cfg.risk.max_trade_pct_inventory, 1e-9)
    default = int(cfg.risk.max_trade_wei * 100 / pct)
    for token in cfg.tokens.base:
        out.setdefault(token, default)
    return out


def _reference(cfg, discovered) -> tuple[str, int]:
    ref = (cfg.strategy.native_token or cfg.tokens.base[0]).lower()
    for token in discovered.tokens:
        if token.address.lower() == ref:
            return token.symbol, token.decimals
    return "reference token", 18


def _print_human(doc: dict, unit: str, decimals: int) -> None:
    def amount(wei: int) -> str:
        return f"{wei / 10**decimals:,.6f} {unit}"

    def ratio(value) -> str:
        return "n/a (under two days)" if value is None else f"{value:.2f}"

    print(f"blocks        {doc['blocks']} ({doc['source']}: {doc['journal']})")
    print(
        f"fill model    {doc['fill']['model']}"
        + (f", p(first) {doc['fill']['p_first']:.2f}" if "p_first" in doc["fill"] else "")
    )
    win = doc["win_rate"]
    print(
        f"trades        {doc['trades']} (win rate {'n/a' if win is None else f'{win:.0%}'}, "
        f"lost races {doc['lost_races']})"
    )
    print(f"gross profit  {amount(doc['gross_profit_wei'])}")
    print(f"gas           {amount(doc['gas_wei'])}")
    print(f"net profit    {amount(doc['net_profit_wei'])}")
    print(f"max drawdown  {amount(doc['max_drawdown_wei'])}")
    print(f"sharpe        {ratio(doc['sharpe'])}   sortino {ratio(doc['sortino'])}")
    cap = doc["capture"]
    print(
        f"capture       {'n/a' if cap is None else f'{cap:.1%}'} of the per-block optimum "
        f"({amount(doc['optimum_gross_wei'])})"
    )
    print(f"breaker trips {doc['breaker_trips']}")
    for reason, count in sorted(doc["rejections"].items(), key=lambda kv: -kv[1])[:5]:
        print(f"rejected      {count} x {reason}")
    if "monte_carlo_net_profit_wei" in doc:
        bands = ", ".join(f"{k} {amount(v)}" for k, v in doc["monte_carlo_net_profit_wei"].items())
        print(f"monte carlo   {doc['runs']} runs: {bands}")
    if "report" in doc:
        print(f"report        {doc['report']}")
