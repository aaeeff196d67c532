"""Journal + state file for the status-screen tests, produced by the real store writer.

Not hand-written numbers: a stream of supervisor events (the ones in :mod:`appliance.events`) is
fed to the store's own :class:`~appliance.store.recorder.Recorder`, which writes the journal
(:class:`~appliance.store.journal.Journal`, SQLite WAL) and the state file
(:class:`~appliance.store.statefile.StateWriter`, seqlock mmap) exactly as ``run_store`` does
inside the supervisor. Every ``now`` is fixed, so the files (and the snapshots) are deterministic.

Used by the pytest fixtures (``tests/ui/conftest.py``), the tmux test's feeder process
(``ui_feeder.py``) and ``tests/bench/bench_ui.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from appliance.events import (
    AlertRaised,
    BlockSeen,
    Candidate,
    CandidatesFound,
    EndpointHealth,
    LedsChanged,
    Leg,
    ModeChanged,
    OrderApproved,
    OrderRejected,
    PoolInfo,
    PoolsDiscovered,
    Priority,
    ReservesUpdated,
    RiskUpdated,
    RpcHealthChanged,
    TokenInfo,
    TradeStatus,
    TradeUpdated,
)
from appliance.modes import Mode
from appliance.store.journal import Journal
from appliance.store.queries import REFERENCE_KEY
from appliance.store.recorder import Recorder
from appliance.store.schema import JOURNAL_NAME
from appliance.store.statefile import STATE_FILE_NAME, StateWriter
from appliance.store.writer import SystemSampled

__all__ = [
    "T0",
    "Scenario",
    "build",
    "emergency_events",
    "fault_events",
    "feed",
    "open_recorder",
    "scenario_events",
]

T0 = 1_790_000_000.0 + 13 * 3600  # a fixed afternoon (UTC): today's trades are all "today"
E18 = 10**18


def addr(i: int) -> str:
    return "0x" + str(i).rjust(40, "0")  # digits only: valid EIP-55 as is


def tx_hash(i: int) -> str:
    return "0x" + f"{i:x}".rjust(64, "0")


WETH, USDC, DAI = addr(1), addr(2), addr(3)
TOKENS = (TokenInfo(WETH, "WETH", 18), TokenInfo(USDC, "USDC", 6), TokenInfo(DAI, "DAI", 18))
POOLS = (
    PoolInfo(addr(101), "uniswap", WETH, USDC, 30),
    PoolInfo(addr(102), "sushiswap", WETH, USDC, 30),
    PoolInfo(addr(103), "uniswap", USDC, DAI, 30),
    PoolInfo(addr(104), "sushiswap", DAI, WETH, 30),
)


@dataclass(frozen=True)
class Scenario:
    data_dir: Path
    runtime_dir: Path
    now: float  # the "now" of the last event: freeze the screen's clock near it

    @property
    def journal(self) -> Path:
        return self.data_dir / JOURNAL_NAME

    @property
    def state(self) -> Path:
        return self.runtime_dir / STATE_FILE_NAME


def _candidate(block: int, legs: tuple[Leg, ...], amount_in: int, profit: int) -> Candidate:
    return Candidate(
        block=block,
        legs=legs,
        base_token=WETH,
        amount_in=amount_in,
        amount_out=amount_in + profit,
        gas_estimate=165_000,
        gas_cost=165_000 * 2 * 10**9,
        amounts=(),
    )


def scenario_events(blocks: int = 12, t0: float = T0) -> list[tuple[float, object]]:
    """``(now, event)`` pairs of a short paper-trading session ending at ``t0``."""
    pair = (Leg(POOLS[0].address, WETH, USDC, 30), Leg(POOLS[1].address, USDC, WETH, 30))
    tri = (
        Leg(POOLS[0].address, WETH, USDC, 30),
        Leg(POOLS[2].address, USDC, DAI, 30),
        Leg(POOLS[3].address, DAI, WETH, 30),
    )
    start = t0 - 12 * blocks
    out: list[tuple[float, object]] = [
        (start - 5, ModeChanged(start - 5, Mode.PAUSED, Mode.NORMAL, "synced", "startup")),
        (start - 5, LedsChanged("on", "off", "off")),
        (start - 4, PoolsDiscovered(TOKENS, POOLS)),
        (
            start - 3,
            RpcHealthChanged(
                (
                    EndpointHealth("127.0.0.1:8545", True, 3.2, head=1000 + blocks - 1),
                    EndpointHealth("127.0.0.1:8546", True, 41.0, lagging=True, head=990),
                )
            ),
        ),
    ]
    pnl = 0
    for i in range(blocks):
        number, at = 1000 + i, start + 12 * i
        out.append((at, BlockSeen(number, tx_hash(number), tx_hash(number - 1), int(at), 10**9)))
        out.append(
            (
                at,
                ReservesUpdated(
                    number,
                    tx_hash(number),
                    {
                        POOLS[0].address: (100 * E18 + i * E18 // 10, 300_000 * 10**6),
                        POOLS[1].address: (100 * E18, 301_000 * 10**6 + i * 10**6),
                    },
                ),
            )
        )
        if i % 3 == 2:
            good = _candidate(number, pair, E18 // 2 + i * 10**15, 3 * 10**15 + i * 10**13)
            bad = _candidate(number, tri, E18 // 4, 2 * 10**14)
            out.append((at, CandidatesFound(number, (good, bad), 0.0)))
            out.append((at, OrderRejected(bad, "min_profit", "2 bps < 5 bps")))
            oid = f"o{number}"
            out.append((at, OrderApproved(good, Mode.NORMAL, oid)))
            gross = good.gross_profit if i != 8 else 0  # one loser: it paid gas for nothing
            profit = gross - good.gas_cost  # net, as the executor accounts it
            pnl += profit
            out.append(
                (
                    at + 1,
                    TradeUpdated(
                        oid,
                        TradeStatus.PAPER,
                        Mode.NORMAL,
                        tx_hash=tx_hash(0xABC000 + number),
                        amount_in=good.amount_in,
                        expected_profit=good.net_profit,
                        realized_profit=gross,
                        net_profit=profit,
                        value_ref=profit,  # WETH is the reference token: the net, exact
                        gas_used=151_234 + i,
                        gas_cost=good.gas_cost,
                        block_sent=number,
                        block_mined=number + 1,
                    ),
                )
            )
            out.append(
                (
                    at + 1,
                    RiskUpdated(
                        {"trade": "closed", "daily_loss": "closed", "rpc": "closed"},
                        pnl_today=pnl,
                        pnl_session=pnl,
                        equity_peak=max(pnl, 0),
                        var95=2.1e15,  # wei of the reference token (floats: display only)
                        cvar95=3.4e15,
                        var99=4.0e15,
                        cvar99=5.2e15,
                        regime="low",
                        size_multiplier=1.0,
                    ),
                )
            )
    out.append(
        (
            t0 - 30,
            AlertRaised(t0 - 30, Priority.WARNING, "rpc:lag", "127.0.0.1:8546 is 9 blocks behind"),
        )
    )
    out.append(
        (
            t0 - 2,
            AlertRaised(t0 - 2, Priority.INFO, "startup", "supervisor synced, trading (paper)"),
        )
    )
    out.append((t0, SystemSampled(t0, cpu_pct=12.5, rss_bytes=61_300_000, temp_c=48.2)))
    return out


def emergency_events(at: float) -> list[tuple[float, object]]:
    """What the supervisor journals after SIGUSR1 (the software kill switch)."""
    from appliance.events import KillSwitchPressed

    return [
        (at, KillSwitchPressed(at, "sigusr1", True)),
        (at, ModeChanged(at, Mode.NORMAL, Mode.EMERGENCY, "kill switch (sigusr1)", "kill_switch")),
        (at, LedsChanged("off", "off", "on")),
        (at, AlertRaised(at, Priority.CRITICAL, "kill_switch", "KILL SWITCH: trading halted")),
    ]


def fault_events(at: float) -> list[tuple[float, object]]:
    """One endpoint's breaker tripped, the other on trial, a trade breaker tripped: a FAULT."""
    return [
        (
            at,
            RpcHealthChanged(
                (
                    EndpointHealth("127.0.0.1:8545", False, 3000.0, breaker="open"),
                    EndpointHealth("127.0.0.1:8546", True, 41.0, breaker="half-open", head=1011),
                )
            ),
        ),
        (
            at,
            RiskUpdated(
                {"trade": "open", "daily_loss": "closed", "rpc": "half-open"},
                pnl_today=0,
                pnl_session=0,
                equity_peak=0,
            ),
        ),
        (at, LedsChanged("on", "off", "slow")),
        (at, AlertRaised(at, Priority.WARNING, "breaker:trade", "breaker trade TRIPPED: 3 losses")),
    ]


def open_recorder(data_dir: Path, runtime_dir: Path) -> Recorder:
    journal = Journal(Path(data_dir) / JOURNAL_NAME)
    journal.save_state(REFERENCE_KEY, WETH)  # as the store task records it at startup
    state = StateWriter(Path(runtime_dir) / STATE_FILE_NAME, capacity=64)
    return Recorder(journal, state, live=False)


def feed(recorder: Recorder, events: list[tuple[float, object]]) -> float:
    """Hand ``events`` to the recorder, commit them and publish the state file; returns last now."""
    last = T0
    for now, event in events:
        recorder.handle(event, now=now)
        last = now
    recorder.commit(recorder.take_batch())
    recorder.publish(now=last)
    return last


def build(
    base: Path, events: list[tuple[float, object]] | None = None, *, pid: int | None = None
) -> Scenario:
    """Write the journal and the state file under ``base`` and close them.

    The state file names ``pid`` as its writer (default: this process, so it looks alive).
    """
    data_dir, runtime_dir = Path(base) / "data", Path(base) / "run"
    recorder = open_recorder(data_dir, runtime_dir)
    recorder.live.started_at = T0 - 3 * 3600 - 125
    if pid is not None:
        recorder.live.pid = pid
    try:
        last = feed(recorder, scenario_events() if events is None else events)
    finally:
        recorder.state_writer.close()
        recorder.journal.close()
    return Scenario(data_dir, runtime_dir, last)
