"""Extreme strips (20000×60, 60×20000) sent as files, with OCR_ENGINE=rapidocr: the real bot,
the fake Bot API, RapidOCR workers.

RapidOCR refuses such a strip whole (`ResizeImgError`: scaled to its 2000 px limit, the short
side rounds to nothing). The bot reads it in pieces instead, at full resolution, and says
what it read; an engine's refusal is the image's fault, answered at once, never retried.
"""

from __future__ import annotations

import io
import logging
import time

import pytest
from PIL import Image, ImageDraw

from bot.ocr.engines.rapid_reader import RapidReader, to_bgr
from bot.ocr.images.intake import ImageRejected
from tests.support.fake_telegram import FakeTelegram, shown
from tests.support.images import font
from tests.support.running import running_bot

ALICE = 4711
# The strip's first and last words, far apart, and a sentence between them that runs across
# the pieces' borders (its words are cut there and must come back whole, once).
FIRST = "Alpha notes begin here"
LAST = "Final words end here"
FILLER = "buy milk today and call Alice soon about the meeting at noon"


def strip(length: int = 20_000, height: int = 60) -> Image.Image:
    """One line of text along a long white strip."""
    image = Image.new("RGB", (length, height), "white")
    draw = ImageDraw.Draw(image)
    typeface = font(40)
    draw.text((20, 8), FIRST, font=typeface, fill="black")
    x = 700
    while x < length - 1800:
        draw.text((x, 8), FILLER, font=typeface, fill="black")
        x += int(draw.textlength(FILLER, font=typeface)) + 60
    draw.text((length - 600, 8), LAST, font=typeface, fill="black")
    return image


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def answer_to_file(telegram: FakeTelegram, data: bytes, name: str) -> tuple[str, float]:
    """Send `data` as a file; the bot's final answer (a note or a refusal) and its seconds."""
    started = time.monotonic()
    sent = telegram.send_document(ALICE, data, file_name=name, mime_type="image/png")
    answer = await telegram.wait_for_message(
        ALICE,
        lambda m: "Note #" in shown(m) or "Sorry" in shown(m) or "can't" in shown(m),
        after=sent["message_id"],
        timeout=240,
    )
    return shown(answer), time.monotonic() - started


@pytest.mark.asyncio
@pytest.mark.parametrize("vertical", [False, True], ids=["20000x60", "60x20000"])
async def test_an_extreme_strip_is_read_in_pieces(
    telegram, settings_for, rapid_pool, caplog, vertical
):
    image = strip()
    if vertical:
        image = image.rotate(90, expand=True)  # the text runs up the strip
    settings = settings_for(telegram, ocr_engine="rapidocr", confidence_threshold=0.0)
    with caplog.at_level(logging.INFO):
        async with running_bot(settings, rapid_pool) as app:
            answer, seconds = await answer_to_file(telegram, png(image), "strip.png")
            notes = [note async for note in app.bot_data.services.storage.notes.every(ALICE)]
    print(f"{image.size}: answered in {seconds:.1f} s")
    assert "Note #" in answer, answer
    text = " ".join(line.text for line in notes[0].lines)
    # Both ends read (full resolution, every piece), each once; the sentence's words that
    # cross a piece's border come back whole.
    assert text.count("Alpha notes") == 1, text
    assert text.count("words end") == 1, text
    assert "meeting at noon" in text, text
    width, height = image.size
    for line in notes[0].lines:  # boxes in the whole image's pixels
        assert line.box is not None
        x, y, w, h = line.box
        assert x >= 0, line.box
        assert y >= 0, line.box
        assert x + w <= width, line.box
        assert y + h <= height, line.box
    ends = [line for line in notes[0].lines if "end here" in line.text]
    far = ends[0].box[0] if not vertical else -ends[0].box[1]  # type: ignore[index]
    assert far > (width - 2000 if not vertical else -2000), ends[0].box
    # Read at once: no attempt counted, no traceback.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]


def test_an_engine_refusal_is_the_image_fault() -> None:
    """RapidOCR's own refusal of a strip it can't scale (given whole, as before pieces): an
    ImageRejected that the pipeline answers at once, not an unknown error it retries."""
    reader = RapidReader()
    with pytest.raises(ImageRejected) as refused:
        reader.read_page(to_bgr(strip()))
    assert "20000×60" in refused.value.detail
