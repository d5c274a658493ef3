"""PriorityLock: one holder at a time, urgent waiters first, arrival order within a class."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.priority_lock import PriorityLock


async def test_one_holder_at_a_time_and_urgent_waiters_go_first() -> None:
    lock = PriorityLock()
    order: list[str] = []
    inside = 0

    async def hold(name: str, urgent: bool) -> None:
        nonlocal inside
        async with lock.hold(urgent=urgent):
            inside += 1
            assert inside == 1
            order.append(name)
            await asyncio.sleep(0.001)
            inside -= 1

    first = asyncio.create_task(hold("first", urgent=False))
    await asyncio.sleep(0)  # first holds the lock; the rest queue up behind it
    names = [("b1", False), ("u1", True), ("b2", False), ("u2", True)]
    tasks = [asyncio.create_task(hold(name, urgent)) for name, urgent in names]
    await asyncio.gather(first, *tasks)
    assert order == ["first", "u1", "u2", "b1", "b2"]
    assert not lock.locked


async def test_a_cancelled_waiter_is_skipped_and_the_lock_passes_on() -> None:
    lock = PriorityLock()
    release = asyncio.Event()
    got: list[str] = []

    async def hold(name: str, urgent: bool, wait: bool = False) -> None:
        async with lock.hold(urgent=urgent):
            got.append(name)
            if wait:
                await release.wait()

    holder = asyncio.create_task(hold("holder", urgent=True, wait=True))
    await asyncio.sleep(0)
    doomed = asyncio.create_task(hold("doomed", urgent=True))
    later = asyncio.create_task(hold("later", urgent=False))
    await asyncio.sleep(0)
    doomed.cancel()
    release.set()
    await asyncio.gather(holder, later)
    with pytest.raises(asyncio.CancelledError):
        await doomed
    assert got == ["holder", "later"]
    assert not lock.locked


async def test_cancelled_right_after_being_handed_the_lock_passes_it_on() -> None:
    lock = PriorityLock()
    got: list[str] = []

    async def hold(name: str) -> None:
        async with lock.hold(urgent=False):
            got.append(name)

    async with lock.hold(urgent=True):
        unlucky = asyncio.create_task(hold("unlucky"))
        after = asyncio.create_task(hold("after"))
        await asyncio.sleep(0)
    unlucky.cancel()  # the lock was just handed to it, but it has not run yet
    await asyncio.gather(unlucky, after, return_exceptions=True)
    assert got == ["after"]
    assert not lock.locked
