"""Monte Carlo runs on several processes are the serial runs, integer for integer.

The runs of different seeds share nothing, so ``run_seeds`` deals them to forked workers; here
the same seeds on 1, 2 and 3 processes give identical runs (trades, equity curve, rejections,
lost races, the risk engine's last picture), through the library and through
``arb-appliance backtest --runs N --jobs J``; a worker's exception reaches the caller, and a
worker that dies is named with its exit code.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass

import pytest

from appliance.backtest import BacktestError, Competition, MarketBlock
from appliance.backtest.parallel import run_seeds
from appliance.cli import main as cli_main
from appliance.events import BlockSeen
from appliance.market.synthetic import NoiseMarket
from appliance.store.journal import Journal

GWEI = 10**9


def _market(n_blocks: int):
    market = NoiseMarket(n_tokens=10, seed=13)
    event = market.snapshot()
    blocks = []
    for n in range(n_blocks):
        blocks.append(
            MarketBlock(n, dict(event.reserves), (8 + n % 4) * GWEI, 1_700_000_000 + 12 * n)
        )
        event = market.step(trades=4, max_fraction=0.02)
    return market, blocks


def test_the_same_seeds_on_several_processes_are_the_serial_runs():
    market, blocks = _market(80)
    common = dict(
        seeds=range(5),
        fill_model=Competition(latency_ms=120.0),
        inventory={t: 10**24 for t in market.base},
    )
    serial = run_seeds(market.app_config(), market.discovered(), blocks, jobs=1, **common)
    assert sum(r.summary.trades for r in serial) > 0 and sum(r.lost_races for r in serial) > 0
    assert len({r.summary.net_profit_wei for r in serial}) > 1  # the seeds do differ
    for jobs in (2, 3):
        parallel = run_seeds(market.app_config(), market.discovered(), blocks, jobs=jobs, **common)
        # repr: exact integers, floats to the last bit, NaN (unmeasured VaR) included
        assert [repr(r) for r in parallel] == [repr(r) for r in serial]


@dataclass(frozen=True)
class _Breaks:
    """Always first, except in the run of seed ``bad``: it raises, or its process exits."""

    bad: int
    how: str

    def first(self, rng: random.Random) -> bool:
        if rng.getstate() == random.Random(self.bad).getstate():  # (never drawn from)
            if self.how == "raise":
                raise BacktestError(f"seed {self.bad} broke")
            os._exit(3)
        return True

    def describe(self) -> dict[str, object]:
        return {"model": "breaks"}


def test_a_worker_failure_reaches_the_caller():
    market, blocks = _market(60)
    args = (market.app_config(), market.discovered(), blocks)
    held = {t: 10**24 for t in market.base}
    assert run_seeds(*args, seeds=[1], fill_model=_Breaks(7, "raise"), inventory=held)[
        0
    ].summary.trades
    with pytest.raises(BacktestError, match="seed 1 broke"):
        run_seeds(*args, seeds=range(4), jobs=2, fill_model=_Breaks(1, "raise"), inventory=held)
    with pytest.raises(BacktestError, match=r"worker \(backtest-0\) died with exit code 3"):
        run_seeds(*args, seeds=range(4), jobs=2, fill_model=_Breaks(2, "exit"), inventory=held)
    with pytest.raises(BacktestError, match="at least 1"):
        run_seeds(*args, seeds=range(4), jobs=0)


def test_backtest_command_gives_the_same_document_on_any_number_of_jobs(tmp_path, capsys):
    market, blocks = _market(80)
    journal = tmp_path / "journal.sqlite"
    with Journal(journal) as j:
        j.upsert_tokens(market.tokens)
        j.upsert_pools(
            [
                (i, p.address, p.dex, p.token0, p.token1, p.fee_bps)
                for i, p in enumerate(market.pools)
            ]
        )
        ids = {p.address: i for i, p in enumerate(market.pools)}
        for b in blocks:
            j.add_blocks(
                [(BlockSeen(b.number, f"0x{b.number:064x}", "0x0", b.timestamp, b.base_fee), 0.0)]
            )
            j.add_reserves(
                [(b.number, ids[a], str(r0), str(r1)) for a, (r0, r1) in b.reserves.items()]
            )
    config = tmp_path / "cfg.toml"
    base = ", ".join(f"'{t}'" for t in market.base)
    config.write_text(
        "[chain]\nchain_id = 1\nrpc = ['http://127.0.0.1:8545']\n"
        "[[dex]]\nname = 'uni'\nfactory = '0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f'\n"
        f"[tokens]\nbase = [{base}]\n"
        "[risk]\nmax_trade_wei = 1000000000000000000000000000\n"
    )
    argv = ["backtest", "--config", str(config), "--journal", str(journal), "--json"]
    argv += ["--fill", "race", "--latency-ms", "120", "--runs", "4"]
    docs = []
    for jobs in ("1", "2"):
        assert cli_main([*argv, "--jobs", jobs]) == 0
        docs.append(json.loads(capsys.readouterr().out))
    assert docs[0] == docs[1] and docs[0]["runs"] == 4 and docs[0]["trades"] > 0
    assert cli_main([*argv, "--jobs", "0"]) == 2
    assert "--jobs must be at least 1, not 0" in capsys.readouterr().err
