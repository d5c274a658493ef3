"""Albums become one note with pages in order; a caption becomes the note's title."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from tests.support.fake_telegram import shown
from tests.support.images import render_note
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
ALICE = 9009
OCR_TIMEOUT = 120.0

# Trial mode returns about the first third of each page's text; each page's first line is
# a short word so that what comes back identifies the page.
PAGES = [
    ["Apple", "filler line one", "filler line two", "filler line three"],
    ["Banana", "filler line one", "filler line two", "filler line three"],
    ["Cherry", "filler line one", "filler line two", "filler line three"],
]


def text(message: dict) -> str:
    return shown(message)


async def test_album_is_one_note_with_pages_in_order(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_pool) as app:
        for page in PAGES:
            telegram.send_photo(
                ALICE,
                render_note(page),
                media_group_id="album-1",
                caption="Fruit list" if page is PAGES[0] else None,
            )
        result = await telegram.wait_for_message(
            ALICE, lambda m: "Note #" in text(m), timeout=OCR_TIMEOUT
        )
        storage = app.bot_data.services.storage
        notes = await storage.notes.page(ALICE, limit=10)
        for _ in range(200):  # the jobs are marked done right after the replies are sent
            if (
                jobs_left := len([j for j in await storage.jobs.unfinished() if j.user_id == ALICE])
            ) == 0:
                break
            await asyncio.sleep(0.05)
    assert len(notes) == 1
    note = notes[0]
    assert note.title == "Fruit list"
    assert "Fruit list" in text(result).split("\n")[0]
    firsts = [line for line in note.text.split("\n") if line in {"Apple", "Banana", "Cherry"}]
    assert firsts == ["Apple", "Banana", "Cherry"]
    assert jobs_left == 0
    statuses = [m for m in telegram.bot_messages(ALICE) if "Recognizing" in text(m)]
    assert statuses == []  # one status message ("3 pages"), edited into the result
    assert sum("Note #" in text(m) for m in telegram.bot_messages(ALICE)) == 1


async def test_album_with_a_bad_page_keeps_the_good_ones(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_pool) as app:
        telegram.send_photo(ALICE, render_note(PAGES[0]), media_group_id="album-2")
        telegram.send_photo(ALICE, b"\x89PNG broken", media_group_id="album-2")
        result = await telegram.wait_for_message(
            ALICE, lambda m: "Note #" in text(m), timeout=OCR_TIMEOUT
        )
        (note,) = await app.bot_data.services.storage.notes.page(ALICE, limit=10)
    assert "Skipped page 2" in text(result)
    assert note.text.split("\n")[0] == "Apple"


async def test_caption_of_a_single_photo_is_the_title(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_pool) as app:
        telegram.send_photo(ALICE, render_note(PAGES[1]), caption="  Shopping\n list  ")
        await telegram.wait_for_message(ALICE, lambda m: "Note #" in text(m), timeout=OCR_TIMEOUT)
        (note,) = await app.bot_data.services.storage.notes.page(ALICE, limit=10)
    assert note.title == "Shopping list"


async def test_longest_caption_becomes_a_short_title_shown_as_text(
    telegram, settings_for, ocr_pool
):
    caption = "<b>Plan</b> & " + "very long caption " * 60  # Telegram allows 1024 characters
    caption = caption[:1024]
    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_pool) as app:
        telegram.send_photo(ALICE, render_note(PAGES[2]), caption=caption)
        result = await telegram.wait_for_message(
            ALICE, lambda m: "Note #" in text(m), timeout=OCR_TIMEOUT
        )
        (note,) = await app.bot_data.services.storage.notes.page(ALICE, limit=10)
    assert note.title is not None
    assert len(note.title) == 100
    assert note.title.startswith("<b>Plan</b> & very long caption")
    assert note.title.endswith("…")
    assert note.title in text(result)  # shown literally: the markup is text, not formatting
    assert not any(e["type"] == "bold" and e["offset"] > 10 for e in result.get("entities", []))


async def test_album_interrupted_before_reading_is_one_note_after_restart(
    telegram, settings_for, ocr_pool
):
    # A long collection window so the bot stops while the album is still being collected:
    # its pages exist only as job rows in the database at that point.
    settings = settings_for(telegram, confidence_threshold=0, album_window_s=30.0)
    async with running_bot(settings, ocr_pool) as app:
        for page in PAGES[:2]:
            telegram.send_photo(ALICE, render_note(page), media_group_id="album-3")
        storage = app.bot_data.services.storage
        await telegram.wait_for(lambda: telegram.last_update_id_confirmed >= 2)
        for _ in range(100):
            if len([j for j in await storage.jobs.unfinished() if j.user_id == ALICE]) == 2:
                break
            await asyncio.sleep(0.05)
        waiting = len([j for j in await storage.jobs.unfinished() if j.user_id == ALICE])
        assert await storage.notes.count(ALICE) == 0
    async with running_bot(replace(settings, album_window_s=1.5), ocr_pool) as app:
        await telegram.wait_for_message(ALICE, lambda m: "Note #" in text(m), timeout=OCR_TIMEOUT)
        notes = await app.bot_data.services.storage.notes.page(ALICE, limit=10)
    assert waiting == 2
    assert len(notes) == 1
    firsts = [line for line in notes[0].text.split("\n") if line in {"Apple", "Banana"}]
    assert firsts == ["Apple", "Banana"]
