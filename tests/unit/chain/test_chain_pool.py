"""RpcPool logic: failover order, hedging, breaker, backoff and lag (MockTransport, autojump)."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import trio

from appliance.chain.errors import ExecutionReverted, NoHealthyEndpoint
from appliance.chain.pool import RpcPool
from appliance.chain.rpc import RpcClient


class Node:
    """A scripted endpoint: ``mode`` is ok | fail | slow | revert; counts what it was asked."""

    def __init__(self, name: str, head: int = 100, delay: float = 0.01) -> None:
        self.name, self.head, self.delay = name, head, delay
        self.mode = "ok"
        self.asked = 0
        self.finished = 0
        self.cancelled = 0
        self.claim_ahead = 0  # a lie: claim a head this many blocks past the real one

    def block(self, number: int) -> dict | None:
        if number > self.head:
            return None  # a block that does not exist
        return {
            "number": hex(number),
            "hash": "0x" + f"{number:064x}",
            "parentHash": "0x" + f"{max(number - 1, 0):064x}",
            "timestamp": hex(int(time.time())),
        }

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked += 1
        body = json.loads(request.content)
        if self.mode == "fail":
            return httpx.Response(503)
        try:
            await trio.sleep(self.delay if self.mode != "slow" else 30)
        except trio.Cancelled:
            self.cancelled += 1
            raise
        self.finished += 1
        if self.mode == "revert":
            error = {"code": 3, "message": "execution reverted: no", "data": "0x"}
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "error": error})
        if body["method"] == "eth_blockNumber":
            result = hex(self.head + self.claim_ahead)
        elif body["method"] == "eth_getBlockByNumber":
            result = self.block(int(body["params"][0], 16))
        elif body["method"] == "eth_sendRawTransaction":
            result = "0x" + "ab" * 32
        else:
            result = self.name
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})


async def make_pool(stack, nodes, **kw) -> RpcPool:
    clients = []
    for node in nodes:
        c = RpcClient(
            f"http://{node.name}:8545", timeout_s=5.0, transport=httpx.MockTransport(node)
        )
        clients.append(await stack.enter_async_context(c))
    return RpcPool(clients, **kw)


@pytest.fixture
async def stack():
    from contextlib import AsyncExitStack

    async with AsyncExitStack() as s:
        yield s


async def test_failover_in_config_order(stack, autojump_clock):
    a, b, c = Node("a"), Node("b"), Node("c")
    pool = await make_pool(stack, [a, b, c], hedge=False)
    assert await pool.call("x") == "a"
    a.mode = "fail"
    assert await pool.call("x") == "b"
    assert (a.asked, b.asked, c.asked) == (2, 1, 0)
    # a is now in backoff: asked after the rested ones
    assert await pool.call("x") == "b"
    assert a.asked == 2


async def test_breaker_opens_after_failures_and_half_opens(stack, autojump_clock):
    a, b = Node("a"), Node("b")
    pool = await make_pool(stack, [a, b], hedge=False, breaker_failures=5, breaker_reset_s=60)
    a.mode = "fail"
    for _ in range(5):
        await trio.sleep(10)  # let backoff expire so a is asked first each time
        assert await pool.call("x") == "b"
    assert pool.health()[0].breaker == "open"
    assert not pool.health()[0].healthy
    asked = a.asked
    await trio.sleep(10)
    await pool.call("x")
    assert a.asked == asked  # open: not asked
    await trio.sleep(60)
    assert pool.health()[0].breaker == "half-open"
    a.mode = "ok"
    assert await pool.call("x") == "a"  # the probe succeeds and closes the breaker
    assert pool.health()[0].breaker == "closed"


async def test_all_failing_raises_no_healthy_endpoint(stack, autojump_clock):
    a, b = Node("a"), Node("b")
    pool = await make_pool(stack, [a, b], hedge=False)
    a.mode = b.mode = "fail"
    with pytest.raises(NoHealthyEndpoint, match="2 failed"):
        await pool.call("eth_call")


async def test_hedge_asks_next_after_p90_and_cancels_loser(stack, autojump_clock):
    a, b = Node("a", delay=0.01), Node("b", delay=0.01)
    pool = await make_pool(stack, [a, b], hedge=True)
    for _ in range(10):  # learn a's latency: p90 = 10 ms
        await pool.call("x")
    assert pool.endpoints[0].latency.p90() == pytest.approx(0.01)
    a.mode = "slow"
    finished_before = a.finished
    start = trio.current_time()
    assert await pool.call("x") == "b"
    assert trio.current_time() - start == pytest.approx(0.02)  # a's p90, then b's 10 ms
    assert a.finished == finished_before and a.cancelled >= 1  # the loser was cancelled


async def test_without_hedging_a_slow_leader_is_waited_for(stack, autojump_clock):
    a, b = Node("a", delay=0.01), Node("b", delay=0.01)
    pool = await make_pool(stack, [a, b], hedge=False)
    for _ in range(10):
        await pool.call("x")
    a.delay = 0.5
    assert await pool.call("x") == "a"
    assert b.asked == 0


async def test_final_error_ends_the_race_without_failover(stack, autojump_clock):
    a, b = Node("a"), Node("b")
    pool = await make_pool(stack, [a, b], hedge=False)
    a.mode = "revert"
    with pytest.raises(ExecutionReverted):
        await pool.call("eth_call")
    assert b.asked == 0
    assert pool.health()[0].breaker == "closed"


async def test_lagging_endpoint_is_not_asked(stack, autojump_clock):
    a, b = Node("a", head=90), Node("b", head=100)
    pool = await make_pool(stack, [a, b], hedge=False, max_lag_blocks=3)
    await pool.probe_heads()
    health = pool.health()
    assert health[0].lagging and health[0].head == 90 and not health[0].healthy
    assert not health[1].lagging
    assert await pool.call("x") == "b"
    a.head = 99
    await pool.probe_heads()
    assert not pool.health()[0].lagging
    assert await pool.call("x") == "a"


async def test_a_head_its_endpoint_cannot_give_is_a_fault_and_clears(stack, autojump_clock):
    """#23: a primary claims a head 1,000 blocks ahead that does not exist: it gets a data fault
    (unhealthy, with the reason), is not asked while the secondary is usable, does not make the
    secondary look lagging; once it tells the truth for three probes the fault clears."""
    a, b = Node("a", head=100), Node("b", head=100)
    pool = await make_pool(stack, [a, b], hedge=False, max_lag_blocks=3)
    a.claim_ahead = 1000
    await pool.probe_heads()
    health = pool.health()
    assert not health[0].healthy and "1100 cannot be fetched" in health[0].reason
    assert health[1].healthy and not health[1].lagging
    assert pool.best_head == 100
    assert await pool.call("x") == "b"
    a.claim_ahead = 0
    for _ in range(2):
        await pool.probe_heads()
        assert pool.health()[0].reason
    await pool.probe_heads()
    assert pool.health()[0].healthy and await pool.call("x") == "a"


async def test_all_endpoints_faulted_still_serve_degraded(stack, autojump_clock):
    a = Node("a", head=100)
    pool = await make_pool(stack, [a], hedge=False)
    a.claim_ahead = 5
    await pool.probe_heads()
    assert not pool.health()[0].healthy
    assert await pool.call("x") == "a"  # data still flows; the health table says unhealthy


async def test_send_raw_transaction_goes_to_one_endpoint_at_a_time(stack, autojump_clock):
    """#14.7: even in a hedging pool, a slow first endpoint is not joined by the second: the
    transaction goes to the next endpoint only after the first one failed."""
    a, b = Node("a", delay=0.5), Node("b")
    pool = await make_pool(stack, [a, b], hedge=True)
    for _ in range(10):  # a p90 for a, so reads would hedge after it
        await pool.call("x")
    a.mode = "slow"
    before = b.asked
    with trio.move_on_after(4):  # before a's 5 s request timeout
        await pool.send_raw_transaction(b"\x01")
    assert b.asked == before  # never broadcast to a second endpoint while the first is in flight
    a.mode = "fail"
    assert await pool.send_raw_transaction(b"\x01") == "0x" + "ab" * 32
    assert b.asked == before + 1


async def test_an_unhealthy_endpoint_says_why_and_a_recovered_one_says_nothing(
    stack, autojump_clock
):
    """The reason the screen and ``status`` show: the transport error of the last failure
    (host, method, detail — never the URL), the breaker's state once it opened; cleared by a
    success."""
    a, b = Node("a"), Node("b")
    pool = await make_pool(stack, [a, b], hedge=False, breaker_failures=5, breaker_reset_s=60)
    a.mode = "fail"
    for _ in range(3):
        await trio.sleep(10)
        await pool.call("eth_chainId")
    health = pool.health()[0]
    assert not health.healthy
    assert health.reason == "3 failures in a row: a:8545: eth_chainId: HTTP 503"
    for _ in range(2):
        await trio.sleep(10)
        await pool.call("eth_chainId")
    assert pool.health()[0].reason.startswith("breaker open after 5 failures in a row: a:8545")
    assert pool.health()[1].reason == ""
    await trio.sleep(60)
    a.mode = "ok"
    assert await pool.call("x") == "a"
    assert pool.health()[0].healthy and pool.health()[0].reason == ""
