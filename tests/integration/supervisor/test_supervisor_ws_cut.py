"""The whole supervisor, live, keeps trading when its WebSocket path is cut mid-run (#15).

The devnet's endpoint pair is given with its WebSocket behind a real loopback TCP proxy; the
HTTP half goes to Anvil directly. Three phases, each a real dislocation traded live through the
executor and mined: streaming, then the proxy cuts every connection and refuses new ones
(polling takes over, the order path falls back to HTTP), then the proxy forwards again
(streaming returns). ``arb-appliance status --json`` (a real process reading the state file)
says which path is live in each phase, and the journal holds every block of the run once.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import trio

sys.path.insert(0, str(Path(__file__).parents[1] / "strategy"))
sys.path.insert(0, str(Path(__file__).parents[1] / "chain"))

from paper_helpers import ETH, balance_market, head, rows, start_trading, two_dex_config, until
from sup_helpers import status_json
from tcpproxy import TcpProxy

from appliance.config import load_config

pytestmark = pytest.mark.devnet


def _chain_input(config: Path) -> str | None:
    try:
        return status_json(config).get("chain_input")
    except ValueError:  # printed nothing yet
        return None


async def _until_input(dn, cfg, config: Path, path: str) -> None:
    """Until ``status`` says ``path``, mining a block a second meanwhile (a cut stream is only
    noticed, and a restored one only confirmed, while the chain moves on)."""
    with trio.move_on_after(90):
        while (await trio.to_thread.run_sync(_chain_input, config)) != path:
            await dn.mine(1)
            await trio.sleep(1.0)
        return
    raise AssertionError(f"status never said chain input {path}")


async def _trade_one_push(dn, cfg) -> int:
    """A dislocation of uniswap's WETH/USDC, traded live and mined; returns the push's block."""
    base = rows(cfg, "SELECT count(*) FROM trades WHERE status = 'mined'")[0][0]
    await dn.swap("uniswap", "WETH", "USDC", 40 * ETH, account="competitor")
    pushed = await dn.block_number()
    await until(lambda: head(cfg) >= pushed, f"the supervisor to see block {pushed}")
    await until(
        lambda: rows(cfg, "SELECT count(*) FROM trades WHERE block_sent >= ?", (pushed,))[0][0],
        f"an order for the push of block {pushed}",
    )
    await until(
        lambda: rows(cfg, "SELECT count(*) FROM trades WHERE status = 'signed'")[0][0] == 0,
        f"the order of block {pushed} sent",
    )
    while rows(cfg, "SELECT count(*) FROM trades WHERE status = 'mined'")[0][0] == base:
        block = await dn.mine(1)
        await until(lambda b=block: head(cfg) >= b, f"the supervisor to see block {block}")
        await trio.sleep(0.2)
        if block > pushed + 10:
            raise AssertionError(f"the push of block {pushed} was not traded: {_trades(cfg)}")
    return pushed


def _trades(cfg) -> list[tuple]:
    return rows(cfg, "SELECT block_sent, block_mined, status FROM trades ORDER BY created_at")


async def test_live_trading_goes_on_by_polling_when_the_websocket_is_cut(devnet, tmp_path):
    dn = devnet
    await balance_market(dn)
    config = await two_dex_config(dn, tmp_path, live=True, commit_interval_s=0.2)
    async with trio.open_nursery() as nursery:
        tcp = TcpProxy(int(dn.rpc.rsplit(":", 1)[1]))
        await nursery.start(tcp.serve)
        text = re.sub(
            r"^rpc = \[.*\]$",
            f'rpc = ["{dn.rpc}|ws://127.0.0.1:{tcp.port}"]',
            config.read_text(),
            flags=re.M,
        )
        config.write_text(text)
        cfg = load_config(config)
        await start_trading(nursery, dn, cfg)
        first = head(cfg)

        await _until_input(dn, cfg, config, "streaming")
        streamed = await _trade_one_push(dn, cfg)

        tcp.cut()
        await _until_input(dn, cfg, config, "polling")
        polled = await _trade_one_push(dn, cfg)
        assert _chain_input(config) == "polling"  # the trade was made without the WebSocket

        tcp.restore()
        await _until_input(dn, cfg, config, "streaming")
        restreamed = await _trade_one_push(dn, cfg)
        last = await dn.block_number()
        await until(
            lambda: (rows(cfg, "SELECT max(number) FROM blocks")[0][0] or 0) >= last,
            "the journal to hold the last block",
        )
        nursery.cancel_scope.cancel()

    trades = _trades(cfg)
    mined = [block for _, block, status in trades if status == "mined"]
    assert len(mined) == 3 and [s for *_, s in trades] == ["mined"] * len(trades), trades
    assert mined == sorted(mined) and streamed <= mined[0] < polled <= mined[1] < restreamed
    numbers = [n for (n,) in rows(cfg, "SELECT number FROM blocks WHERE number >= ?", (first,))]
    assert numbers == list(range(first, last + 1))  # every block once, across both switches
    assert tcp.connections >= 2  # the stream was opened again after the cut
