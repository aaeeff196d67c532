"""Monte Carlo runs on several cores: the runs of different seeds share nothing.

A run is a pure function of (config, market, fill model, seed, inventory): each builds its own
detector, risk engine and ``random.Random(seed)``. So the seeds are dealt to worker processes
(seed ``i`` to worker ``i % jobs``), each replays the same blocks, and the runs come back in seed
order: the very runs the serial loop gives, integer for integer (a test compares them). One run
is not split: its blocks depend on each other (fills, breakers, equity).

Workers are forked where the platform can (the market is inherited, not copied through a pipe);
elsewhere they are spawned and the inputs pickled. A worker that fails sends its exception back;
one that dies (killed, out of memory) is reported by its exit code.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from appliance.backtest.engine import Backtest, BacktestRun
from appliance.backtest.errors import BacktestError
from appliance.backtest.fills import FillModel
from appliance.backtest.sources import MarketBlock
from appliance.events import PoolsDiscovered

__all__ = ["available_cores", "run_seeds"]


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def run_seeds(
    cfg,
    discovered: PoolsDiscovered,
    blocks: Sequence[MarketBlock],
    *,
    seeds: Iterable[int],
    jobs: int = 1,
    denied: Iterable[tuple[str, str]] = (),
    fill_model: FillModel | None = None,
    inventory: Mapping[str, int] | None = None,
) -> list[BacktestRun]:
    """One :class:`Backtest` run of ``blocks`` per seed, in seed order, on up to ``jobs``
    processes (``jobs`` <= 1, or a single seed: in this process)."""
    seeds = list(seeds)
    if jobs < 1:
        raise BacktestError(f"jobs must be at least 1, not {jobs!r}")
    args = (
        cfg,
        discovered,
        list(denied),
        fill_model,
        None if inventory is None else dict(inventory),
    )
    jobs = min(jobs, len(seeds))
    if jobs <= 1:
        return [_run(args, blocks, seed) for seed in seeds]
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    workers = []
    for worker in range(jobs):
        mine = seeds[worker::jobs]
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(
            target=_worker, args=(args, blocks, mine, send), name=f"backtest-{worker}", daemon=True
        )
        process.start()
        send.close()  # the child's end: EOF here once the child is gone
        workers.append((process, receive, mine))
    by_seed: dict[int, BacktestRun] = {}
    failure: BaseException | None = None
    try:
        for process, receive, mine in workers:
            try:
                status, payload = receive.recv()
            except EOFError:
                process.join()
                failure = failure or BacktestError(
                    f"a Monte Carlo worker ({process.name}) died with exit code "
                    f"{process.exitcode} before sending its runs"
                )
                continue
            finally:
                receive.close()
            if status == "ok":
                by_seed.update(zip(mine, payload, strict=True))
            else:
                failure = failure or payload
    finally:
        for process, _, _ in workers:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
    if failure is not None:
        raise failure
    return [by_seed[seed] for seed in seeds]


def _run(args: tuple, blocks: Sequence[MarketBlock], seed: int) -> BacktestRun:
    cfg, discovered, denied, fill_model, inventory = args
    return Backtest(
        cfg, discovered, denied=denied, fill_model=fill_model, seed=seed, inventory=inventory
    ).run(iter(blocks))


def _worker(args: tuple, blocks: Sequence[MarketBlock], seeds: list[int], send: Any) -> None:
    try:
        try:
            runs = [_run(args, blocks, seed) for seed in seeds]
        except BaseException as exc:  # the parent re-raises it
            try:
                send.send(("error", exc))
            except Exception:  # an exception that cannot be pickled
                send.send(("error", BacktestError(f"{type(exc).__name__}: {exc}")))
        else:
            send.send(("ok", runs))
    finally:
        send.close()
