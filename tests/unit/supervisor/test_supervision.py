"""Restart with backoff: a crashing child is restarted on fresh channel clones; repeated crashes
are reported once per crash past the threshold, and a crash before the first start propagates."""

from __future__ import annotations

import pytest
import trio

from appliance.supervision import CrashPolicy, supervised


async def test_crashing_child_restarts_on_the_same_stream_and_is_reported(autojump_clock) -> None:
    send, recv = trio.open_memory_channel[int](16)
    seen: list[int] = []
    unstable: list[str] = []
    starts = 0

    async def child(recv, *, task_status=trio.TASK_STATUS_IGNORED):
        nonlocal starts
        starts += 1
        task_status.started(starts)
        async with recv:  # closes this attempt's clone only
            async for item in recv:
                seen.append(item)
                if item < 3:
                    raise RuntimeError(f"boom on {item}")

    async with trio.open_nursery() as nursery:
        first = await nursery.start(
            lambda task_status: supervised(
                "child",
                child,
                recv,
                on_unstable=lambda name, exc: unstable.append(name),
                policy=CrashPolicy(base_s=1.0, max_crashes=3),
                task_status=task_status,
            )
        )
        for item in range(5):
            await send.send(item)
            await trio.sleep(60)  # past any backoff
        nursery.cancel_scope.cancel()

    assert first == 1
    assert seen == [0, 1, 2, 3, 4]  # nothing lost across restarts
    assert starts == 4  # three crashes, three restarts
    assert unstable == ["child"]  # the third crash within the window


async def test_crash_before_started_propagates() -> None:
    async def broken(*, task_status=trio.TASK_STATUS_IGNORED):
        raise ValueError("cannot start")

    with pytest.raises(ExceptionGroup) as info:
        async with trio.open_nursery() as nursery:
            await nursery.start(
                lambda task_status: supervised(
                    "b", broken, on_unstable=print, task_status=task_status
                )
            )
    assert info.group_contains(ValueError, match="cannot start")


def test_backoff_grows_and_caps() -> None:
    policy = CrashPolicy(base_s=1.0, max_s=8.0, window_s=1000, max_crashes=99)
    delays = [policy.record(float(t))[0] for t in range(6)]
    assert delays[0] < delays[2] < delays[4]
    assert max(delays) <= 8.0 * 1.2


async def test_unstable_child_recovers_after_running_cleanly(autojump_clock) -> None:
    """Three crashes hold it (on_unstable); an attempt that then runs stable_s releases it."""
    events: list[str] = []
    starts = 0

    async def child(*, task_status=trio.TASK_STATUS_IGNORED):
        nonlocal starts
        starts += 1
        task_status.started()
        if starts <= 3:
            raise RuntimeError("boom")
        await trio.sleep_forever()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            lambda: supervised(
                "child",
                child,
                on_unstable=lambda name, exc: events.append(f"unstable:{name}"),
                on_recovered=lambda name: events.append(f"recovered:{name}"),
                policy=CrashPolicy(base_s=1.0, max_crashes=3, stable_s=100.0),
            )
        )
        await trio.sleep(50)
        assert events == ["unstable:child"]  # held, not yet recovered
        await trio.sleep(100)
        assert events == ["unstable:child", "recovered:child"]
        nursery.cancel_scope.cancel()


async def test_a_child_that_returns_ends_supervision_without_waiting_for_recovery(
    autojump_clock,
) -> None:
    async def child(*, task_status=trio.TASK_STATUS_IGNORED):
        task_status.started()

    with trio.fail_after(1):
        await supervised("c", child, on_unstable=print)
