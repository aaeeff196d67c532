"""Lies from the endpoint, not the transport (issue 14.6): execution uses the chain package's
validated decoding, so a null block or a malformed receipt is a logged rejection, not a crash.

The endpoint is a JSON-RPC server of our own on loopback in front of the real Anvil
(:mod:`exec_rpc_proxy`), reached through the supervisor's real pool (``open_rpc_pool``).
"""

from __future__ import annotations

import dataclasses
import logging

import pytest
import trio
from exec_helpers import Harness, exec_config, make_candidate, plant
from exec_rpc_proxy import RpcProxy

from appliance.chain import open_rpc_pool
from appliance.events import TradeStatus

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(120)]


def _via(cfg, url: str):
    return dataclasses.replace(cfg, chain=dataclasses.replace(cfg.chain, rpc=(url,)))


def _bad_status(receipt):
    return None if receipt is None else {**receipt, "status": "yes", "gasUsed": None}


@pytest.mark.parametrize("live", [True, False])
async def test_a_null_block_drops_the_order_and_execution_goes_on(chain, journal, latch, live):
    dn, inv, _ = chain
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    with RpcProxy(dn.rpc).running() as proxy:
        cfg = _via(exec_config(dn, inv, live=live), proxy.url)
        h = Harness(cfg, journal, latch)
        async with open_rpc_pool(cfg.chain) as pool, trio.open_nursery() as nursery:
            await h.start(nursery, rpc=pool)
            proxy.lie("eth_getBlockByNumber", lambda block: None)
            await h.send_order(cand)
            rejected = await h.next_update()
            proxy.lie("eth_getBlockByNumber", None)
            await h.send_order(cand)
            later = await h.until({TradeStatus.SENT, TradeStatus.PAPER, TradeStatus.DROPPED})
            nursery.cancel_scope.cancel()
    assert proxy.served["eth_getBlockByNumber"] >= 1
    assert rejected.status is TradeStatus.DROPPED and rejected.tx_hash is None
    assert rejected.reason.startswith("rpc: ") and "not found" in rejected.reason
    assert later.status is (TradeStatus.SENT if live else TradeStatus.PAPER), later.reason


async def test_a_malformed_receipt_is_rejected_and_tracking_goes_on(chain, journal, latch, caplog):
    dn, inv, _ = chain
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    before = await dn.balance("WETH", inv)
    caplog.set_level(logging.WARNING, logger="appliance.execution")
    with RpcProxy(dn.rpc).running() as proxy:
        cfg = _via(exec_config(dn, inv), proxy.url)
        h = Harness(cfg, journal, latch)
        async with open_rpc_pool(cfg.chain) as pool, trio.open_nursery() as nursery:
            await h.start(nursery, rpc=pool)
            proxy.lie("eth_getTransactionReceipt", _bad_status)
            await h.send_order(cand)
            sent = await h.until({TradeStatus.SENT, TradeStatus.DROPPED})
            assert sent.status is TradeStatus.SENT, sent.reason
            await dn.mine()
            with trio.fail_after(30):
                while proxy.served["eth_getTransactionReceipt"] < 3:  # three lies, rejected
                    await trio.sleep(0.02)
            assert h.results_recv.statistics().current_buffer_used == 0  # nothing settled on a lie
            proxy.lie("eth_getTransactionReceipt", None)
            final = await h.until({TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED})
            nursery.cancel_scope.cancel()
    assert final.status is TradeStatus.MINED and final.tx_hash == sent.tx_hash
    assert final.realized_profit == await dn.balance("WETH", inv) - before
    rejections = [r.getMessage() for r in caplog.records if "receipt" in r.getMessage()]
    assert rejections and "is invalid" in rejections[0]
