"""Load: 20 users send 3 photos each at once; every photo gets its reply, commands stay live."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from bot.domain import messages
from bot.domain.i18n import ENGLISH as EN
from tests.support.fake_telegram import shown
from tests.support.images import render_note
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
USERS = [7000 + n for n in range(20)]
PHOTOS_PER_USER = 3


def text(message: dict) -> str:
    return shown(message)


async def test_twenty_users_three_photos_each(telegram, settings_for, ocr_pool):
    photos = {
        (user, n): render_note([f"Load test {n}", f"User {user}", "Lorem ipsum dolor"], width=700)
        for user in USERS
        for n in range(PHOTOS_PER_USER)
    }
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        for (user, _), data in photos.items():
            telegram.send_photo(user, data)
        # While the queue is full, /help is still answered (no timing assertion: see bench/).
        await telegram.wait_for(lambda: ocr_pool.in_flight > 0, timeout=30)
        help_sent = time.monotonic()
        telegram.send_text(USERS[0], "/help")
        await telegram.wait_for_message(USERS[0], lambda m: "/search" in text(m), timeout=30)
        help_latency = time.monotonic() - help_sent
        queued_when_help_answered = ocr_pool.in_flight

        async def results_for(user: int) -> list[dict]:
            def done() -> list[dict] | None:
                notes = [m for m in telegram.bot_messages(user) if "Note #" in text(m)]
                return notes if len(notes) == PHOTOS_PER_USER else None

            return await telegram.wait_for(done, timeout=600)

        results = await asyncio.gather(*(results_for(user) for user in USERS))
        storage = app.bot_data.services.storage
        counts = [await storage.notes.count(user) for user in USERS]
        for _ in range(200):  # a job is marked done once its replies after the note are sent
            if (unfinished := len(await storage.jobs.unfinished())) == 0:
                break
            await asyncio.sleep(0.05)

    assert counts == [PHOTOS_PER_USER] * len(USERS)
    assert unfinished == 0
    assert all(len(r) == PHOTOS_PER_USER for r in results)
    # /help was answered while photos were still waiting for OCR, not after them.
    assert queued_when_help_answered > 0, f"help took {help_latency:.3f}s"
    refusals = [m for u in USERS for m in telegram.bot_messages(u) if "waiting" in text(m)]
    assert refusals == []


async def test_status_shows_each_photos_place_in_the_queue(telegram, settings_for, ocr_pool):
    users = [7100, 7101, 7102]
    async with running_bot(settings_for(telegram), ocr_pool):
        for user in users:  # at once, one OCR worker: the second and third must wait
            telegram.send_photo(user, render_note([f"Queue {user}", "Lorem ipsum"], width=700))
        for user in users:
            await telegram.wait_for_message(user, lambda m: "Note #" in text(m), timeout=120)
    # Each user's status message, as first sent and as each edit changed it.
    histories = {
        user: [
            *[e["old_text"] for e in telegram.edits if e["chat_id"] == user][:1],
            *[e["text"] for e in telegram.edits if e["chat_id"] == user],
        ]
        for user in users
    }
    places = sorted(
        int(found.group(1)) if (found := re.search(r"(\d+) photos? ahead", h[0])) else 0
        for h in histories.values()
    )
    assert places == [0, 1, 2], histories
    # Once a waiting photo's turn comes, its status stops counting photos ahead of it.
    for history in histories.values():
        assert history[-2] == messages.working(EN, 0), history
        assert "Note #" in history[-1], history
