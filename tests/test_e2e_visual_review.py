"""See what you confirm: a note keeps its photos (Telegram's file ids) and shows them again,
and a flagged line's prompt carries its piece of the photo."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from tests.support.fake_telegram import FakeTelegram, buttons
from tests.support.images import render_note
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
ALICE = 9301
OCR_TIMEOUT = 120.0


def text(message: dict) -> str:
    return message.get("text_plain") or message.get("caption_plain") or ""


def button(message: dict, label: str) -> str:
    return next(data for shown, data in buttons(message) if shown == label)


async def open_first_note(telegram: FakeTelegram) -> dict:
    telegram.send_text(ALICE, "/notes")
    listing = await telegram.wait_for_message(ALICE, lambda m: "Your notes" in text(m))
    telegram.press_button(ALICE, listing, buttons(listing)[0][1])
    return await telegram.wait_for_message(ALICE, lambda m: "Rename" in str(buttons(m)))


async def test_show_photo_sends_the_original_pages_back(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_pool) as app:
        sent = telegram.send_photo(ALICE, render_note(["Buy milk today"]), caption="Groceries")
        await telegram.wait_for_message(
            ALICE, lambda m: text(m).startswith("📝 Note #"), timeout=OCR_TIMEOUT
        )
        view = await open_first_note(telegram)
        telegram.press_button(ALICE, view, button(view, "Show photo"))
        await telegram.wait_for(lambda: telegram.photos)
        storage = app.bot_data.services.storage
        (note,) = await storage.notes.page(ALICE)
        deleted = await storage.delete_note(ALICE, note.id)
    (shown,) = telegram.photos
    assert shown["file_id"] == sent["photo"][-1]["file_id"]  # the largest size, by file id
    assert "Note #1" in shown["caption"]
    assert "Groceries" in shown["caption"]
    assert deleted
    db = settings_for(telegram).database_path
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("SELECT count(*) FROM note_pages").fetchone() == (0,)
        assert connection.execute("SELECT file_id FROM jobs").fetchall() == [("",)]


async def test_an_image_sent_as_a_file_comes_back_as_a_file(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_pool):
        sent = telegram.send_document(
            ALICE,
            render_note(["Call Alice"], fmt="JPEG"),
            file_name="page.jpg",
            mime_type="image/jpeg",
        )
        await telegram.wait_for_message(
            ALICE, lambda m: text(m).startswith("📝 Note #"), timeout=OCR_TIMEOUT
        )
        view = await open_first_note(telegram)
        telegram.press_button(ALICE, view, button(view, "Show photo"))
        await telegram.wait_for(lambda: telegram.documents)
    (shown,) = telegram.documents
    assert shown["file_id"] == sent["document"]["file_id"]
    assert telegram.photos == []
