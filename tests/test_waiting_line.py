"""The OCR waiting line: places in arrival order, at most `slots` jobs at once."""

from __future__ import annotations

import asyncio

import pytest

from bot.telegram.waiting_line import WaitingLine


async def test_places_count_the_jobs_ahead_and_are_given_back() -> None:
    line = WaitingLine(slots=1)
    async with line.place() as first, line.place() as second:
        assert (first, second, len(line)) == (0, 1, 2)
    assert len(line) == 0
    async with line.place() as again:
        assert again == 0


async def test_at_most_slots_jobs_run_and_turns_follow_arrival() -> None:
    line = WaitingLine(slots=2)
    running, most, order = 0, 0, []
    release = asyncio.Event()

    async def job(number: int) -> None:
        nonlocal running, most
        async with line.place(), line.turn():
            running += 1
            most = max(most, running)
            order.append(number)
            await release.wait()
            running -= 1

    tasks = [asyncio.create_task(job(n)) for n in range(6)]
    await asyncio.sleep(0.01)
    assert (running, len(line)) == (2, 6)
    release.set()
    await asyncio.gather(*tasks)
    assert most == 2
    assert order == list(range(6))
    assert len(line) == 0


async def test_a_cancelled_job_gives_its_place_and_slot_back() -> None:
    line = WaitingLine(slots=1)
    blocker = asyncio.Event()

    async def job() -> None:
        async with line.place(), line.turn():
            await blocker.wait()

    first, second = asyncio.create_task(job()), asyncio.create_task(job())
    await asyncio.sleep(0.01)
    first.cancel()
    await asyncio.sleep(0.01)
    assert len(line) == 1  # the second holds its place and now the slot
    blocker.set()
    await second
    assert len(line) == 0
    with pytest.raises(asyncio.CancelledError):
        await first


def test_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        WaitingLine(0)
