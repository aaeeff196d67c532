"""The chain task's deferred work (a block's Swap logs to market intelligence): after a quarter
block, in order, never on the block's own way to a signature."""

from __future__ import annotations

import trio

from appliance.chain.service import _Later, swaps_delay_s


def test_swaps_wait_a_quarter_block_at_most_a_quarter_second():
    assert swaps_delay_s(0.25) == 0.0625
    assert swaps_delay_s(1.0) == 0.25
    assert swaps_delay_s(12.0) == 0.25


async def test_jobs_run_after_their_delay_in_offer_order(autojump_clock):
    later = _Later(0.25)
    ran: list[tuple[str, float]] = []

    def job(name: str):
        async def run() -> None:
            ran.append((name, trio.current_time()))

        return run

    async with trio.open_nursery() as nursery:
        nursery.start_soon(later.run)
        start = trio.current_time()
        later.offer(job("a"))
        await trio.sleep(0.1)
        later.offer(job("b"))
        await trio.sleep(0.1)
        assert ran == []  # nothing before its delay: the block's order is being made
        await trio.sleep(0.2)
        nursery.cancel_scope.cancel()
    assert [name for name, _ in ran] == ["a", "b"]
    assert [round(at - start, 6) for _, at in ran] == [0.25, 0.35]


async def test_a_full_queue_drops_the_job_and_says_so(autojump_clock, caplog):
    later = _Later(1.0, size=1)
    ran: list[int] = []

    async def one() -> None:
        ran.append(1)

    later.offer(one)
    later.offer(one)  # no consumer yet: the second does not fit
    assert "dropped" in caplog.text
    async with trio.open_nursery() as nursery:
        nursery.start_soon(later.run)
        await trio.sleep(2.0)
        nursery.cancel_scope.cancel()
    assert ran == [1]
