"""Bad input through the real Application: each gets a short polite reply, the bot stays up."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.domain.review import MAX_RETYPE_CHARS
from tests.support.fake_telegram import FakeTelegram, shown
from tests.support.images import NOTE_LINES, UNSURE_LINES, render_note
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
ALICE = 4004
OCR_TIMEOUT = 90.0


def text(message: dict) -> str:
    return shown(message)


async def reply_to(telegram: FakeTelegram, after: int, needle: str, timeout: float = 20) -> str:
    message = await telegram.wait_for_message(
        ALICE, lambda m: needle in text(m), after=after, timeout=timeout
    )
    return text(message)


def last_id(telegram: FakeTelegram) -> int:
    messages = telegram.bot_messages(ALICE)
    return messages[-1]["message_id"] if messages else 0


async def assert_still_alive(telegram: FakeTelegram) -> None:
    mark = last_id(telegram)
    telegram.send_text(ALICE, "/help")
    await reply_to(telegram, mark, "/search")


def png_bytes(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


DOCUMENT_CASES = [
    ("report.pdf", "application/pdf", b"%PDF-1.7\n" + b"0" * 500, "isn't an image"),
    ("archive.zip", "application/zip", b"PK\x03\x04" + b"\0" * 200, "isn't an image"),
    ("notes.txt", "text/plain", b"hello", "isn't an image"),
    ("broken.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 not really a jpeg", "couldn't open"),
    ("empty.png", "image/png", b"", "empty"),
    ("bomb.png", "image/png", png_bytes(Image.new("1", (30_000, 30_000))), "too large"),
    (
        "anim.gif",
        "image/gif",
        png_bytes(
            Image.new("RGB", (64, 64), "white"),
            "GIF",
            save_all=True,
            append_images=[Image.new("RGB", (64, 64), "black")],
        ),
        "animated",
    ),
]


@pytest.mark.parametrize(("name", "mime", "data", "expected"), DOCUMENT_CASES)
async def test_bad_documents_get_a_reason(
    telegram, settings_for, ocr_pool, name, mime, data, expected
):
    async with running_bot(settings_for(telegram), ocr_pool):
        telegram.send_document(ALICE, data, file_name=name, mime_type=mime)
        answer = await reply_to(telegram, 0, expected, timeout=OCR_TIMEOUT)
        await assert_still_alive(telegram)
    assert len(answer) < 200
    assert "Note #" not in answer


async def test_file_over_20_mb_is_refused_before_download(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool):
        big = b"\xff\xd8\xff" + b"\0" * (20 * 1024 * 1024 + 10)
        telegram.send_document(ALICE, big, file_name="huge.jpg", mime_type="image/jpeg")
        await reply_to(telegram, 0, "larger than 20 MB")
    assert not any(method == "getFile" for method, _ in telegram.requests)


@pytest.mark.parametrize(
    "fields",
    [
        {"sticker": {"file_id": "s1", "file_unique_id": "s1u", "width": 512, "height": 512,
                     "is_animated": False, "is_video": False, "type": "regular"}},
        {"voice": {"file_id": "v1", "file_unique_id": "v1u", "duration": 3}},
        {"video": {"file_id": "d1", "file_unique_id": "d1u", "width": 10, "height": 10,
                   "duration": 1}},
        {"location": {"latitude": 1.0, "longitude": 2.0}},
    ],
)  # fmt: skip
async def test_other_media_get_a_polite_reply(telegram, settings_for, ocr_pool, fields):
    async with running_bot(settings_for(telegram), ocr_pool):
        telegram.send_raw_message(ALICE, fields)
        await reply_to(telegram, 0, "I can only read photos")


async def test_text_and_commands_out_of_place(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool):
        telegram.send_text(ALICE, "hello there")
        await reply_to(telegram, 0, "not waiting for a correction")
        for query in [
            "/search",
            "/search    ",
            '/search "" AND OR (*',
            "/search ***",
            "/search 🙂",
        ]:
            mark = last_id(telegram)
            telegram.send_text(ALICE, query)
            await reply_to(telegram, mark, "")
            assert "went wrong" not in text(telegram.bot_messages(ALICE)[-1])
        mark = last_id(telegram)
        telegram.send_text(ALICE, '/search "milk" NEAR( OR')
        assert "No notes match" in await reply_to(telegram, mark, "match")
        mark = last_id(telegram)
        telegram.send_text(ALICE, "/cancel junk args here")
        await reply_to(telegram, mark, "nothing to cancel")
        mark = last_id(telegram)
        telegram.send_text(ALICE, "/help me please now")
        await reply_to(telegram, mark, "/search")
        sent = telegram.send_text(ALICE, "original")
        await reply_to(telegram, mark, "not waiting")
        mark = last_id(telegram)
        telegram.send_edited_text(ALICE, sent["message_id"], "edited")
        await reply_to(telegram, mark, "not edits")


async def test_overlong_retype_is_refused_and_line_still_waits(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        telegram.send_photo(ALICE, render_note(UNSURE_LINES))
        review = await telegram.wait_for_message(
            ALICE, lambda m: text(m).startswith("❓ Line 1"), timeout=OCR_TIMEOUT
        )
        mark = last_id(telegram)
        telegram.send_text(
            ALICE, "x" * (MAX_RETYPE_CHARS + 1), reply_to_message_id=review["message_id"]
        )
        assert "longer than" in await reply_to(telegram, mark, "longer than")
        (note,) = await app.bot_data.services.storage.notes.page(ALICE, limit=1)
    assert note.lines[0].state.value == "pending"


async def test_recognized_and_typed_text_is_escaped(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool):
        telegram.send_photo(ALICE, render_note(UNSURE_LINES))
        review = await telegram.wait_for_message(
            ALICE, lambda m: text(m).startswith("❓ Line 1"), timeout=OCR_TIMEOUT
        )
        injected = "<b>bold</b> & <a href='x'>link</a> &amp;"
        telegram.send_text(ALICE, injected, reply_to_message_id=review["message_id"])
        await telegram.wait_for_message(ALICE, lambda m: "Saved line 1" in text(m))
        edited = next(
            m for m in telegram.bot_messages(ALICE) if m["message_id"] == review["message_id"]
        )
    # The fake renders HTML as Telegram does: escaped input shows up literally, as typed.
    assert injected in text(edited)
    assert not any(e["type"] in {"bold", "text_link"} for e in edited.get("entities", []))


async def test_engine_timeout_is_reported_and_the_bot_stays_up(telegram, settings_for, tmp_path):
    """A real timeout: a fresh engine pool whose warm-up alone exceeds a 0.2 s limit."""
    from bot.ocr.backends.pool import OcrPool
    from bot.ocr.contract import EngineConfig

    slow = OcrPool(
        EngineConfig(resources_dir=str(tmp_path / "res"), auto_download=False),
        workers=1,
        timeout_s=0.2,
    )
    slow.start()
    try:
        async with running_bot(settings_for(telegram), slow):
            telegram.send_photo(ALICE, render_note(NOTE_LINES))
            await reply_to(telegram, 0, "took too long", timeout=OCR_TIMEOUT)
            await assert_still_alive(telegram)
    finally:
        slow.shutdown()


async def test_rate_limit_429_is_retried_not_dropped(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool):
        telegram.fail_next("sendMessage", count=2, retry_after=1)
        telegram.send_text(ALICE, "/help")
        await reply_to(telegram, 0, "/search", timeout=30)
    attempts = [p for m, p in telegram.requests if m == "sendMessage"]
    assert len(attempts) >= 3  # two refused with 429, then delivered
