"""End to end: the real Application, the fake Bot API over HTTP, real SQLite, real Aspose.

The engine runs without a license here (trial mode): it returns only roughly the first third of
an image's text, cut anywhere, and no line confidence. So the assertions are on what trial mode
can honestly give: the first recognized line is a non-empty prefix of the first rendered line,
and no watermark reaches the user or the database.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing

import pytest

from bot.domain.models import LineState
from tests.support.fake_telegram import FakeTelegram, buttons, shown
from tests.support.images import FIRST_LINE, NOTE_LINES, UNSURE_LINES, render_note
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
ALICE, BOB = 1001, 2002
OCR_TIMEOUT = 90.0


def result_message(telegram: FakeTelegram, chat_id: int):
    return telegram.wait_for_message(chat_id, lambda m: "Note #" in shown(m), timeout=OCR_TIMEOUT)


def recognized_lines(message: dict) -> list[str]:
    """The accepted lines shown in the result message (between header and footer)."""
    lines = shown(message).split("\n")[1:]
    return [line for line in lines if line and not line.startswith(("⚠️", "✅"))]


async def test_photo_is_answered_with_its_first_line(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_pool):
        photo = telegram.send_photo(ALICE, render_note(NOTE_LINES))
        result = await result_message(telegram, ALICE)

    first = recognized_lines(result)[0]
    assert len(first) >= 3
    assert FIRST_LINE.startswith(first), f"{first!r} is not the start of {FIRST_LINE!r}"
    assert "Trial" not in shown(result)
    assert "***" not in shown(result)
    # One status message, edited in place, replying to the photo; a chat action was sent.
    status_edits = [p for m, p in telegram.requests if m == "editMessageText"]
    assert any(p["message_id"] == result["message_id"] for p in status_edits)
    sent = [p for m, p in telegram.requests if m == "sendMessage" and "Recognizing" in p["text"]]
    assert len(sent) == 1
    assert int(sent[0]["reply_to_message_id"]) == photo["message_id"]
    assert any(m == "sendChatAction" for m, _ in telegram.requests)
    # Only the largest of the photo's sizes was downloaded.
    fetched = [p["file_id"] for m, p in telegram.requests if m == "getFile"]
    assert fetched == [photo["photo"][-1]["file_id"]]


async def test_image_sent_as_file_is_read(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_pool):
        telegram.send_document(
            ALICE, render_note(NOTE_LINES, fmt="JPEG"), file_name="page.jpg", mime_type="image/jpeg"
        )
        result = await result_message(telegram, ALICE)
    assert FIRST_LINE.startswith(recognized_lines(result)[0])


async def review_messages(telegram: FakeTelegram, chat_id: int, count: int = 1) -> list[dict]:
    await telegram.wait_for(
        lambda: len([m for m in telegram.bot_messages(chat_id) if buttons(m)]) >= count,
        timeout=OCR_TIMEOUT,
    )
    return [m for m in telegram.bot_messages(chat_id) if buttons(m)]


def button_data(message: dict, label: str) -> str:
    return next(data for text, data in buttons(message) if text == label)


async def photo_with_pending_line(telegram: FakeTelegram, user_id: int) -> dict:
    """Send the unsure photo; return the first line's review message.

    Trial truncation may leave a fragment of the next line too (e.g. 'M'), which is also
    offered for review; `keep_the_rest` resolves those so the note can complete.
    """
    telegram.send_photo(user_id, render_note(UNSURE_LINES))
    result = await result_message(telegram, user_id)
    pending = int(shown(result).split("⚠️ ")[1].split()[0])
    reviews = await review_messages(telegram, user_id, pending)
    first = reviews[0]
    assert shown(first).startswith("❓ Line 1 ·")
    assert "(cross-checked)" in shown(first)  # RapidOCR re-read the line's region
    return first


async def keep_the_rest(telegram: FakeTelegram, user_id: int, first: dict) -> None:
    for review in telegram.bot_messages(user_id):
        if review["message_id"] != first["message_id"] and buttons(review):
            query = telegram.press_button(user_id, review, button_data(review, "Keep"))
            await telegram.wait_for_callback_answer(query["id"])


def is_complete(message: dict) -> bool:
    return "is complete" in shown(message)


async def test_keep_completes_the_note(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        review = await photo_with_pending_line(telegram, ALICE)
        unsure_text = shown(review).split("\n")[1]
        query = telegram.press_button(ALICE, review, button_data(review, "Keep"))
        answer = await telegram.wait_for_callback_answer(query["id"])
        await keep_the_rest(telegram, ALICE, review)
        complete = await telegram.wait_for_message(ALICE, is_complete)
        storage = app.bot_data.services.storage
        (note,) = await storage.notes.page(ALICE, limit=5, offset=0)

    assert answer.get("text") == "Kept."
    assert unsure_text in shown(complete)
    edited = telegram.bot_messages(ALICE)
    assert not buttons(next(m for m in edited if m["message_id"] == review["message_id"]))
    assert note.lines[0].state is LineState.KEPT


async def test_drop_removes_the_line_from_the_note(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        review = await photo_with_pending_line(telegram, ALICE)
        dropped = shown(review).split("\n")[1]
        query = telegram.press_button(ALICE, review, button_data(review, "Drop"))
        await telegram.wait_for_callback_answer(query["id"])
        await keep_the_rest(telegram, ALICE, review)
        complete = await telegram.wait_for_message(ALICE, is_complete)
        (note,) = await app.bot_data.services.storage.notes.page(ALICE, limit=5, offset=0)
    assert dropped not in shown(complete).split("\n", 2)[-1]
    assert note.lines[0].state is LineState.DROPPED
    assert dropped not in note.text


async def test_retype_replaces_the_line_and_search_finds_it(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool):
        review = await photo_with_pending_line(telegram, ALICE)
        query = telegram.press_button(ALICE, review, button_data(review, "Retype"))
        await telegram.wait_for_callback_answer(query["id"])
        await telegram.wait_for_message(
            ALICE,
            lambda m: m["message_id"] == review["message_id"] and "Send me" in shown(m),
        )
        telegram.send_text(ALICE, "Zebra crossing plan")
        await telegram.wait_for_message(ALICE, lambda m: "Saved line 1" in shown(m))
        await keep_the_rest(telegram, ALICE, review)
        complete = await telegram.wait_for_message(ALICE, is_complete)

        telegram.send_text(ALICE, "/search zebra")
        found = await telegram.wait_for_message(ALICE, lambda m: "match" in shown(m))
        telegram.send_text(BOB, "/search zebra")
        not_found = await telegram.wait_for_message(BOB, lambda m: "match" in shown(m))

    assert "Zebra crossing plan" in shown(complete)
    assert "1 note match" in shown(found)
    assert "zebra" in shown(found).lower()
    assert shown(not_found).startswith("No notes match")


async def test_retype_by_replying_to_the_line(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        review = await photo_with_pending_line(telegram, ALICE)
        telegram.send_text(ALICE, "Typed as a reply", reply_to_message_id=review["message_id"])
        await telegram.wait_for_message(ALICE, lambda m: "Saved line 1" in shown(m))
        (note,) = await app.bot_data.services.storage.notes.page(ALICE, limit=5, offset=0)
    assert note.lines[0].text == "Typed as a reply"
    assert note.lines[0].state is LineState.RETYPED
    assert note.lines[0].original_text != "Typed as a reply"


async def test_reply_to_a_review_message_never_recorded_still_retypes_its_line(
    telegram, settings_for, ocr_pool
):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        review = await photo_with_pending_line(telegram, ALICE)
        # A crash between sending a review message and recording its id leaves the line
        # without it; that moment can't be hit on purpose, so the test erases the record.
        database = app.bot_data.services.storage.path
        await asyncio.to_thread(forget_review_messages, database)
        telegram.send_text(ALICE, "Typed as a reply", reply_to_message_id=review["message_id"])
        await telegram.wait_for_message(ALICE, lambda m: "Saved line 1" in shown(m))
        (note,) = await app.bot_data.services.storage.notes.page(ALICE, limit=5, offset=0)
    assert note.lines[0].text == "Typed as a reply"


def forget_review_messages(database) -> None:
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("UPDATE lines SET review_message_id = NULL")


async def test_restart_keeps_notes_and_pending_buttons(telegram, settings_for, ocr_pool):
    settings = settings_for(telegram)
    async with running_bot(settings, ocr_pool):
        review = await photo_with_pending_line(telegram, ALICE)
        query = telegram.press_button(ALICE, review, button_data(review, "Retype"))
        await telegram.wait_for_callback_answer(query["id"])

    # A new Application, new storage connection, same database file.
    async with running_bot(settings, ocr_pool):
        telegram.send_text(ALICE, "After restart")  # the awaited retype survived the restart
        await telegram.wait_for_message(ALICE, lambda m: "Saved line 1" in shown(m))
        telegram.send_text(ALICE, "/search restart")
        found = await telegram.wait_for_message(ALICE, lambda m: "match" in shown(m))
    assert "1 note match" in shown(found)


async def test_button_pressed_after_restart_still_works(telegram, settings_for, ocr_pool):
    settings = settings_for(telegram)
    async with running_bot(settings, ocr_pool):
        review = await photo_with_pending_line(telegram, ALICE)
    async with running_bot(settings, ocr_pool):
        query = telegram.press_button(ALICE, review, button_data(review, "Keep"))
        answer = await telegram.wait_for_callback_answer(query["id"])
        await keep_the_rest(telegram, ALICE, review)
        await telegram.wait_for_message(ALICE, is_complete)
    assert answer.get("text") == "Kept."


async def test_other_user_cannot_press_my_buttons(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        review = await photo_with_pending_line(telegram, ALICE)
        for label in ("Keep", "Retype", "Drop"):
            query = telegram.press_button(BOB, review, button_data(review, label))
            answer = await telegram.wait_for_callback_answer(query["id"])
            assert answer.get("text") == "Sorry, that button isn't for you."
        (note,) = await app.bot_data.services.storage.notes.page(ALICE, limit=5, offset=0)
    assert note.lines[0].state is LineState.PENDING
