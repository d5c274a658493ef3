"""End to end: the real Application, the fake Bot API over HTTP, real SQLite, real Aspose.

The engine runs without a license here (trial mode): it returns only roughly the first third of
an image's text, cut anywhere, and no line confidence. So the assertions are on what trial mode
can honestly give: the first recognized line is a non-empty prefix of the first rendered line,
and no watermark reaches the user or the database.
"""

from __future__ import annotations

import pytest

from tests.conftest import running_bot
from tests.fake_telegram import FakeTelegram
from tests.images import FIRST_LINE, NOTE_LINES, render_note

pytestmark = pytest.mark.asyncio
ALICE, BOB = 1001, 2002
OCR_TIMEOUT = 90.0


def result_message(telegram: FakeTelegram, chat_id: int):
    return telegram.wait_for_message(
        chat_id, lambda m: "Note #" in m.get("text", ""), timeout=OCR_TIMEOUT
    )


def recognized_lines(message: dict) -> list[str]:
    """The accepted lines shown in the result message (between header and footer)."""
    lines = message["text"].split("\n")[1:]
    return [line for line in lines if line and not line.startswith(("⚠️", "✅"))]


async def test_photo_is_answered_with_its_first_line(telegram, settings_for, ocr_service):
    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_service):
        photo = telegram.send_photo(ALICE, render_note(NOTE_LINES))
        result = await result_message(telegram, ALICE)

    first = recognized_lines(result)[0]
    assert len(first) >= 3
    assert FIRST_LINE.startswith(first), f"{first!r} is not the start of {FIRST_LINE!r}"
    assert "Trial" not in result["text"]
    assert "***" not in result["text"]
    # One status message, edited in place, replying to the photo; a chat action was sent.
    status_edits = [p for m, p in telegram.requests if m == "editMessageText"]
    assert any(p["message_id"] == result["message_id"] for p in status_edits)
    sent = [p for m, p in telegram.requests if m == "sendMessage" and "Recognizing" in p["text"]]
    assert len(sent) == 1
    assert int(sent[0]["reply_to_message_id"]) == photo["message_id"]
    assert any(m == "sendChatAction" for m, _ in telegram.requests)


async def test_image_sent_as_file_is_read(telegram, settings_for, ocr_service):
    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_service):
        telegram.send_document(
            ALICE, render_note(NOTE_LINES, fmt="JPEG"), file_name="page.jpg", mime_type="image/jpeg"
        )
        result = await result_message(telegram, ALICE)
    assert FIRST_LINE.startswith(recognized_lines(result)[0])
