"""The execution subsystem: OrderApproved in, TradeUpdated out.

Orders are handled one at a time (simulate → sign → send); each sent transaction gets its own
tracker task. Every status change is sent on ``results_send``; the SIGNED row is additionally
handed to ``write_ahead`` and acknowledged before the transaction is sent.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx
import trio
from eth_utils import to_checksum_address

from appliance.chain.pool import RpcPool
from appliance.chain.rpc import RpcClient
from appliance.config import AppConfig
from appliance.events import OrderApproved, TradeStatus, TradeUpdated
from appliance.execution.compat import check_executor
from appliance.execution.errors import ExecutionError, ExecutorMissing
from appliance.execution.keys import Signer, load_signer
from appliance.execution.pipeline import Pipeline, WriteAheadFn
from appliance.execution.recovery import recover
from appliance.execution.rpc import as_pool
from appliance.execution.tracker import track
from appliance.safety import SafetyLatch
from appliance.submission.identity import SearcherIdentity
from appliance.submission.relay import RelayClient, RelaySet

__all__ = ["run_execution"]

log = logging.getLogger(__name__)


async def run_execution(
    cfg: AppConfig,
    rpc: RpcPool | RpcClient,
    orders_recv: trio.MemoryReceiveChannel[OrderApproved],
    results_send: trio.MemorySendChannel[TradeUpdated],
    *,
    latch: SafetyLatch,
    write_ahead: WriteAheadFn,
    signer: Signer | None = None,
    pending: Iterable[TradeUpdated | Mapping[str, Any]]
    | Callable[[], Iterable[TradeUpdated | Mapping[str, Any]]] = (),
    task_status: trio.TaskStatus[Pipeline] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run until ``orders_recv`` is closed and every tracked trade has settled.

    Args:
        rpc: the supervisor's :class:`RpcPool` (or one :class:`RpcClient`, used as a
            one-endpoint pool): execution speaks only the chain package's typed methods.
        signer: defaults to loading ``account.key_file`` (checked: mode 0600, our uid).
        pending: the journal's unfinished trades (``Journal.pending_trades()`` rows or
            TradeUpdated), reconciled from the chain before the first order. Pass a callable
            (e.g. ``journal.pending_trades``) when the task may be restarted: a fixed list would
            be reconciled again, and settled trades reported twice.
    """
    rpc = as_pool(rpc)
    executor = cfg.account.executor
    if executor is None:
        raise ExecutorMissing(
            "account.executor is not set: run `arb-appliance deploy-executor` first"
        )
    if signer is None and cfg.account.key_file is not None:
        signer = load_signer(cfg.account.key_file, where=cfg.path or "(config)")
    if cfg.live and signer is None:
        raise ExecutionError("strategy.mode = 'live' needs account.key_file")
    chain_id = await rpc.chain_id()
    if chain_id != cfg.chain.chain_id:
        raise ExecutionError(
            f"node reports chain id {chain_id}, config says chain.chain_id = {cfg.chain.chain_id}"
        )
    await check_executor(rpc, executor, cfg.dex)
    await rpc.warm_order_path()  # the order's one request goes over a connection already open
    sender = signer.address if signer is not None else await _owner(rpc, executor)

    async with contextlib.AsyncExitStack() as stack:
        send_rpc = None
        if cfg.execution.private_rpc:
            private = await stack.enter_async_context(
                RpcClient(cfg.execution.private_rpc, timeout_s=cfg.chain.request_timeout_s)
            )
            send_rpc = as_pool(private)
        relays = await _open_relays(cfg, latch, stack)
        await stack.enter_async_context(results_send)
        nursery = await stack.enter_async_context(trio.open_nursery())
        pipe = Pipeline(
            cfg,
            rpc,
            latch=latch,
            write_ahead=write_ahead,
            emit=_logged(results_send),
            executor=executor,
            sender=sender,
            chain_id=chain_id,
            signer=signer,
            send_rpc=send_rpc,
            relays=relays,
            observe=results_send.send,  # RelayHealthChanged, for the store and metrics
        )
        if cfg.live:
            rows = (
                pending() if callable(pending) else pending
            )  # a callable: re-read at each restart
            for flight in await recover(pipe, rows):
                nursery.start_soon(track, pipe, flight)
        task_status.started(pipe)
        async with orders_recv:
            async for order in orders_recv:
                flight = await pipe.handle(order)
                if flight is not None:
                    nursery.start_soon(track, pipe, flight)


async def _open_relays(
    cfg: AppConfig, latch: SafetyLatch, stack: contextlib.AsyncExitStack
) -> RelaySet | None:
    """The relays of ``execution.submit`` = private/bundle (live only: paper never sends)."""
    ex = cfg.execution
    if ex.submit == "public" or not cfg.live:
        return None
    if ex.searcher_key_file is None or not ex.relays:  # the config refuses this; belt and braces
        raise ExecutionError(f"execution.submit = {ex.submit!r} needs relays and a searcher key")
    identity = SearcherIdentity.from_file(
        ex.searcher_key_file, trading_key_file=cfg.account.key_file
    )
    http = await stack.enter_async_context(
        httpx.AsyncClient(trust_env=False, limits=httpx.Limits(max_keepalive_connections=16))
    )
    clients = [
        RelayClient(url, identity, http=http, timeout_s=ex.relay_timeout_s) for url in ex.relays
    ]
    log.info(
        "submission: %s to %d relay(s) (%s) as %s",
        ex.submit,
        len(clients),
        ", ".join(c.host for c in clients),
        identity.address,
    )
    return RelaySet(
        clients,
        latch=latch,
        base_backoff_s=ex.relay_backoff_s,
        max_backoff_s=max(120.0, ex.relay_backoff_s),
    )


def _logged(results_send: trio.MemorySendChannel[TradeUpdated]):
    """Every status change is logged (one line: order, status, hash, nonce, amounts, reason)."""

    async def emit(update: TradeUpdated) -> None:
        level = (
            logging.WARNING
            if update.status in (TradeStatus.REVERTED, TradeStatus.DROPPED)
            else logging.INFO
        )
        log.log(
            level,
            "trade %s %s tx=%s nonce=%s in=%d expected=%d realized=%s gas=%s reason=%s",
            update.order_id,
            update.status,
            update.tx_hash,
            update.nonce,
            update.amount_in,
            update.expected_profit,
            update.realized_profit,
            update.gas_cost,
            update.reason or "-",
        )
        await results_send.send(update)

    return emit


async def _owner(rpc: RpcPool, executor: str) -> str:
    """Paper mode without a key simulates as the executor's owner (eth_call needs no signature)."""
    out = await rpc.eth_call(executor, bytes.fromhex("8da5cb5b"))  # owner()
    return to_checksum_address("0x" + out[12:32].hex()) if len(out) >= 32 else executor
