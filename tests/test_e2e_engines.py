"""End to end with OCR_ENGINE=rapidocr: the real bot, the fake Bot API, RapidOCR workers.

Without Aspose's trial truncation the whole page comes back, each line with a calibrated
confidence; /lang offers what RapidOCR's bundled model reads and refuses the rest clearly.
"""

from __future__ import annotations

import pytest

from bot.domain.models import ConfidenceSource
from tests.support.fake_telegram import FakeTelegram, buttons, shown
from tests.support.images import NOTE_LINES, render_note
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
ALICE = 1001
OCR_TIMEOUT = 90.0


def plain(message: dict) -> str:
    return shown(message)


async def command(telegram: FakeTelegram, user_id: int, text: str, expect: str) -> dict:
    sent = telegram.send_text(user_id, text)
    return await telegram.wait_for_message(
        user_id, lambda m: expect in plain(m), after=sent["message_id"]
    )


async def test_rapidocr_note_has_the_whole_page_and_says_where_confidence_came_from(
    telegram, settings_for, rapid_pool
):
    settings = settings_for(telegram, ocr_engine="rapidocr")
    async with running_bot(settings, rapid_pool) as app:
        storage = app.bot_data.services.storage
        telegram.send_photo(ALICE, render_note(NOTE_LINES))
        result = await telegram.wait_for_message(
            ALICE, lambda m: "Note #" in plain(m), timeout=OCR_TIMEOUT
        )
        # Made-up words read the same way twice are no longer flagged for being unknown
        # (names, jargon: BENCHMARKS.md §10); at 100% every line is asked about.
        await command(telegram, ALICE, "/threshold 100", "Done")
        telegram.send_photo(ALICE, render_note(["Zorblat Quexx", *NOTE_LINES[1:]]))
        review = await telegram.wait_for_message(
            ALICE, lambda m: bool(buttons(m)) and "Zorblat" in plain(m), timeout=OCR_TIMEOUT
        )
        notes = [note async for note in storage.notes.every(ALICE)]
    assert plain(result).split("\n")[1:5] == NOTE_LINES
    assert "✅ Saved." in plain(result)
    assert "(calibrated)" in plain(review)
    assert not any("trial mode" in plain(m) for m in telegram.bot_messages(ALICE))
    sources = {line.confidence_source for note in notes for line in note.lines}
    assert sources == {ConfidenceSource.CALIBRATED}
    # Each line is stored with where it is on its page (for its piece of the photo).
    first = next(note for note in notes if note.lines[0].text == NOTE_LINES[0])
    boxes = [line.box for line in first.lines]
    assert all(box is not None for box in boxes)
    assert [box[1] // 100 for box in boxes if box] == [0, 1, 2, 3]  # one line per 100 px
    assert {line.page for line in first.lines} == {0}


async def test_lang_offers_rapidocr_languages_and_refuses_others(
    telegram, settings_for, rapid_pool
):
    async with running_bot(settings_for(telegram, ocr_engine="rapidocr"), rapid_pool) as app:
        storage = app.bot_data.services.storage
        german = await command(telegram, ALICE, "/lang German", "From now on")
        refused = await command(telegram, ALICE, "/lang russian", "extra OCR model")
        language = (await storage.users.settings(ALICE)).language
    assert "German (DEU)" in plain(german)
    assert "Russian (RUS)" in plain(refused)
    assert language == "DEU"


VIETNAMESE_NOTE = ["Chợ Sủi Phú Thị", "HÓA ĐƠN BÁN HÀNG", "Đinh Tiên Hoàng"]


async def test_a_vietnamese_users_photo_comes_back_with_its_diacritics(
    telegram, settings_for, rapid_pool
):
    """Lan's Telegram app is in Vietnamese, so her photos are read as VIE: the Vietnamese line
    recognizer keeps the marks PP-OCRv6 drops ("Ch Si Phú Th"), and the lines are sure."""
    lan = 4004
    telegram.user(lan, "Lan", language_code="vi")
    async with running_bot(settings_for(telegram, ocr_engine="rapidocr"), rapid_pool) as app:
        storage = app.bot_data.services.storage
        telegram.send_photo(lan, render_note(VIETNAMESE_NOTE))
        result = await telegram.wait_for_message(
            lan, lambda m: "Ghi chú #" in plain(m), timeout=OCR_TIMEOUT
        )
        notes = [note async for note in storage.notes.every(lan)]
    assert plain(result).split("\n")[1:4] == VIETNAMESE_NOTE
    assert not any(buttons(m) for m in telegram.bot_messages(lan))  # nothing to review
    [note] = notes
    assert [line.text for line in note.lines] == VIETNAMESE_NOTE
    assert {line.confidence_source for line in note.lines} == {ConfidenceSource.CROSSCHECK}
