"""See what you confirm: a note keeps its photos (Telegram's file ids) and shows them again,
and a flagged line's prompt carries its piece of the photo."""

from __future__ import annotations

import io
import sqlite3
from contextlib import closing

import pytest
from PIL import Image

from tests.support.fake_telegram import FakeTelegram, buttons, shown
from tests.support.images import BOXLESS_LINE, BOXLESS_ROWS, UNSURE_LINES, render_note, render_rows
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
ALICE = 9301
GROUP = -9377
OCR_TIMEOUT = 120.0


def text(message: dict) -> str:
    return shown(message)


def button(message: dict, label: str) -> str:
    return next(data for caption, data in buttons(message) if caption == label)


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


def is_prompt(message: dict) -> bool:
    return [label for label, _ in buttons(message)] == ["Keep", "Retype", "Drop"]


def size_of(picture: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(picture)) as image:
        assert image.format == "JPEG"
        return image.size


def now(telegram: FakeTelegram, message: dict) -> dict:
    """The bot message as it is now (after edits)."""
    chat_id, message_id = message["chat"]["id"], message["message_id"]
    found = telegram.find_bot_message(chat_id, lambda m: m["message_id"] == message_id)
    assert found is not None
    return found


def photo_of(telegram: FakeTelegram, message: dict) -> bytes:
    return next(p["data"] for p in telegram.photos if p["message_id"] == message["message_id"])


async def test_a_flagged_line_is_asked_about_with_its_piece_of_the_photo(
    telegram, settings_for, ocr_pool
):
    """The prompt is a photo (the line's piece, not the page) with the prompt as caption and
    the buttons; Keep edits the caption and removes the buttons, the picture stays; a reply
    to a photo prompt retypes its line; after a restart the old prompt's buttons still work."""
    settings = settings_for(telegram)
    async with running_bot(settings, ocr_pool):
        telegram.send_photo(ALICE, render_note(UNSURE_LINES))
        first = await telegram.wait_for_message(ALICE, is_prompt, timeout=OCR_TIMEOUT)
        # Retype by replying to the photo prompt.
        telegram.send_text(ALICE, "Zorblat Quexx", reply_to_message_id=first["message_id"])
        await telegram.wait_for_message(ALICE, lambda m: "Saved line 1 of note #1" in text(m))
        sent = telegram.send_photo(ALICE, render_note(["Qu4xx Zor7bat", *UNSURE_LINES[1:]]))
        second = await telegram.wait_for_message(
            ALICE,
            lambda m: is_prompt(m) and "Qu4xx Zor7bat" in text(m),
            after=sent["message_id"],
            timeout=OCR_TIMEOUT,
        )
    assert "photo" in first
    assert "text" not in first
    assert text(first).startswith("❓ Line 1 · ")
    assert "Zor7bat" in text(first)
    width, height = size_of(photo_of(telegram, first))
    assert width > height  # a line, not the page (1200×440)
    assert width < 1200 * 1.5
    retyped = now(telegram, first)
    assert text(retyped).startswith("✏️ Retyped line 1: Zorblat Quexx")
    assert "photo" in retyped
    assert buttons(retyped) == []

    async with running_bot(settings, ocr_pool):  # a restart: the old prompt still works
        telegram.press_button(ALICE, second, button(second, "Keep"))
        await telegram.wait_for(lambda: text(now(telegram, second)).startswith("✅ Kept line 1"))
    kept = now(telegram, second)
    assert "photo" in kept  # the picture stays
    assert buttons(kept) == []
    assert sum(bool(edit.get("caption")) for edit in telegram.edits) == 2


async def test_a_line_aspose_gives_no_rectangle_is_crosschecked_and_shown_with_its_piece(
    telegram, settings_for, ocr_pool
):
    """Trial Aspose returns "Quexx Vimble" (the start of the first row's right column) without
    a rectangle (tests/test_placing.py checks that on the engine's raw output): RapidOCR's
    detector places it, so it is cross-checked and its prompt is its piece of the photo, a
    strip of the right half of the first row (every line is asked about at 100%)."""
    settings = settings_for(telegram, confidence_threshold=100)
    async with running_bot(settings, ocr_pool) as app:
        telegram.send_photo(ALICE, render_rows(BOXLESS_ROWS))
        prompt = await telegram.wait_for_message(
            ALICE, lambda m: is_prompt(m) and BOXLESS_LINE in text(m), timeout=OCR_TIMEOUT
        )
        storage = app.bot_data.services.storage
        (note,) = await storage.notes.page(ALICE)
    assert "photo" in prompt
    assert "(cross-checked)" in text(prompt)
    width, height = size_of(photo_of(telegram, prompt))
    assert width > 3 * height  # a strip of one row, not the page (1400×340)
    (placed,) = [line for line in note.lines if line.text == BOXLESS_LINE]
    assert placed.box is not None
    x, y, _, box_height = placed.box
    assert x > 600  # the right column
    assert y + box_height < 120  # the first row


async def test_review_pending_lines_and_a_resumed_job_send_the_pieces_again(
    telegram, settings_for, ocr_pool
):
    """Pieces cut again from the note's page (downloaded by its file id): by "Review pending
    lines", and by a job that stopped after its note was saved (here sendPhoto fails five
    times in a row: the rate limiter's retries run out, the job runs again a few seconds
    later) -- one prompt per line, no duplicate."""
    async with running_bot(settings_for(telegram), ocr_pool):
        telegram.fail_next("sendPhoto", count=5, status=500)
        telegram.send_photo(ALICE, render_note(UNSURE_LINES))
        await telegram.wait_for_message(ALICE, is_prompt, timeout=OCR_TIMEOUT)
        view = await open_first_note(telegram)
        first_round = [m for m in telegram.bot_messages(ALICE) if is_prompt(m)]
        telegram.press_button(ALICE, view, button(view, "Review pending lines"))
        await telegram.wait_for(
            lambda: (
                len([m for m in telegram.bot_messages(ALICE) if is_prompt(m)])
                == 2 * len(first_round)
            )
        )
    prompts = [m for m in telegram.bot_messages(ALICE) if is_prompt(m)]
    again = prompts[len(first_round) :]
    numbers = [text(m).split(" · ")[0] for m in first_round]
    assert numbers == sorted(set(numbers))  # each pending line asked once, in order
    assert "photo" in first_round[0]  # "Zor7bat Qu4xx", with its box
    assert [text(m) for m in again] == [text(m) for m in first_round]
    assert ["photo" in m for m in again] == ["photo" in m for m in first_round]
    pictures = [photo_of(telegram, m) for m in prompts if "photo" in m]
    assert pictures[len(pictures) // 2 :] == pictures[: len(pictures) // 2]  # the same pieces


async def test_ten_flagged_lines_come_as_ten_photos_in_order(telegram, settings_for, rapid_pool):
    """In a group (Telegram allows a bot 20 messages a minute there; the fake refuses more with
    429): a page of ten lines read by RapidOCR, all below a threshold of 100%, gives ten photo
    prompts in line order, without a refusal."""
    lines = [f"Item {number} of the list" for number in range(1, 11)]
    settings = settings_for(telegram, ocr_engine="rapidocr", confidence_threshold=100)
    async with running_bot(settings, rapid_pool):
        telegram.send_photo(ALICE, render_note(lines), chat_id=GROUP, caption="@fake_test_bot")
        await telegram.wait_for(
            lambda: sum(map(is_prompt, telegram.bot_messages(GROUP))) == 10, timeout=OCR_TIMEOUT
        )
    prompts = [m for m in telegram.bot_messages(GROUP) if is_prompt(m)]
    assert all("photo" in m for m in prompts)
    numbers = [int(text(m).split("·")[0].split()[-1]) for m in prompts]
    assert numbers == list(range(1, 11))
    assert [text(m).split("\n")[1] for m in prompts] == lines
    assert telegram.rate_limited == []
