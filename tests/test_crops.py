"""Cutting a line's piece of the photo: padded, enlarged when small, within Telegram's limits,
and showing the line the engine read there (after EXIF rotation and downscaling)."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from bot.domain.models import ConfidenceSource, RecognizedLine
from bot.ocr.backends.pool import OcrPool
from bot.ocr.backends.worker import worker_cut
from bot.ocr.contract import Engine, EngineConfig, OcrOutcome
from bot.ocr.engines.factory import build_engine
from bot.ocr.engines.scoring import edit_distance
from bot.ocr.images.crops import MAX_RATIO, READABLE_HEIGHT, cut, cut_boxes, for_review
from tests.support.images import render_note


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_the_piece_holds_the_box_and_a_margin_around_it() -> None:
    page = Image.new("RGB", (1000, 600), "white")
    page.paste((200, 0, 0), (300, 200, 500, 260))  # the "line": a red band
    piece = opened(cut(page, (300, 200, 200, 60)) or b"")
    assert piece.format == "JPEG"
    # Enlarged so the line is READABLE_HEIGHT tall (60 px → ×1.6), with white margins.
    scale = READABLE_HEIGHT / 60
    assert abs(piece.height - round((60 + 2 * 21) * scale)) <= 2
    middle = piece.getpixel((piece.width // 2, piece.height // 2))
    corner = piece.getpixel((2, 2))
    assert middle[0] > 150
    assert middle[1] < 80
    assert min(corner) > 230


def test_a_long_thin_line_is_made_tall_enough_for_telegram() -> None:
    page = Image.new("L", (3000, 400), 255)
    piece = opened(cut(page, (10, 200, 2900, 8)) or b"")
    assert max(piece.size) / min(piece.size) <= MAX_RATIO
    assert piece.width + piece.height <= 10_000


def test_a_long_line_on_a_thin_image_is_padded_with_its_background() -> None:
    """Issue 19.1: a 2400×70 image of one long line can't give a 20:1 piece from its own
    pixels: the piece is padded beyond the image's edge with the page's colour."""
    page = Image.new("RGB", (2400, 70), (250, 248, 240))
    page.paste((0, 0, 0), (20, 20, 2380, 58))  # the "line": a black band
    piece = opened(cut(page, (20, 20, 2360, 38)) or b"")
    assert max(piece.size) / min(piece.size) <= MAX_RATIO
    assert piece.width + piece.height <= 10_000
    corner = piece.getpixel((1, 1))
    assert all(abs(a - b) <= 8 for a, b in zip(corner, (250, 248, 240), strict=True))
    middle = piece.getpixel((piece.width // 2, piece.height // 2))
    assert max(middle) < 60  # the line itself, in the middle


@pytest.mark.parametrize("size", [(4000, 30), (30, 4000), (2561, 129)])
def test_every_piece_is_within_telegrams_photo_limits(size: tuple[int, int]) -> None:
    page = Image.new("L", size, 255)
    piece = opened(cut(page, (0, 0, *size)) or b"")
    assert max(piece.size) / min(piece.size) <= MAX_RATIO
    assert piece.width + piece.height <= 10_000


def test_boxes_outside_or_empty_give_nothing() -> None:
    page = Image.new("L", (100, 100), 255)
    assert cut(page, (200, 200, 50, 10)) is None
    assert cut(page, (10, 10, 0, 10)) is None
    pieces = cut_boxes(page, [(200, 200, 50, 10), None, (10, 10, 50, 20)])
    assert [piece is not None for piece in pieces] == [False, False, True]


def test_only_lines_below_the_threshold_with_a_box_are_cut() -> None:
    page = Image.new("L", (400, 300), 255)
    lines = [
        RecognizedLine("sure", 0.9, ConfidenceSource.ESTIMATE, (10, 10, 100, 30)),
        RecognizedLine("unsure", 0.5, ConfidenceSource.ESTIMATE, (10, 60, 100, 30)),
        RecognizedLine("nowhere", 0.5, ConfidenceSource.ESTIMATE, None),
        RecognizedLine("at the line", 0.75, ConfidenceSource.ESTIMATE, (10, 110, 100, 30)),
    ]
    pieces = for_review(page, lines, 0.75)
    assert [piece is not None for piece in pieces] == [False, True, False, False]


# --- with the real engines: the piece shows the line the engine read there ---

LINES = ["Parcel for Mrs Lindqvist", "Invoice number 4471", "Garden party on Sunday"]


def upside_down_photo(upright: bytes) -> bytes:
    """A JPEG stored rotated, with the EXIF orientation a phone writes so that viewers (and
    the bot) turn it upright: orientation 6 means "rotate 90° clockwise to display"."""
    with Image.open(io.BytesIO(upright)) as image:
        stored = image.convert("RGB").transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    stored.save(out, format="JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def similar(a: str, b: str) -> bool:
    """Within 20% edits (the cross-check's own rule for "the same reading")."""
    return edit_distance(a.lower(), b.lower()) <= 0.2 * max(len(a), len(b))


def shows(readings: list[str], line: str) -> bool:
    """Some run of the readings of a piece (the engine may split a line into words, or catch
    a neighbour's edge) reads as `line`."""
    return any(
        similar(" ".join(readings[start:end]), line)
        for start in range(len(readings))
        for end in range(start + 1, len(readings) + 1)
    )


@pytest.fixture(scope="module")
def rapid() -> Engine:
    return build_engine(EngineConfig(engine="rapidocr", crosscheck=False))


@pytest.mark.parametrize("rotated", [False, True], ids=["upright", "exif-rotated"])
def test_each_piece_is_read_back_as_its_line(rapid: Engine, rotated: bool) -> None:
    """A page larger than the engine reads (downscaled to 2560 px), maybe stored sideways with
    an EXIF orientation: every line's piece, cut in the worker, reads back as that line."""
    image = render_note(LINES, width=4200, size=80, fmt="JPEG")
    if rotated:
        image = upside_down_photo(image)
    outcome = rapid.recognize(image, crop_below=1.01)  # every line is "unsure"
    assert outcome.image_size is not None
    assert max(outcome.image_size) == 2560
    assert len(outcome.lines) == len(LINES)
    assert all(similar(line.text, text) for line, text in zip(outcome.lines, LINES, strict=True))
    assert len(outcome.crops) == len(outcome.lines)
    for line, piece in zip(outcome.lines, outcome.crops, strict=True):
        assert piece is not None
        with Image.open(io.BytesIO(piece)) as shown:
            assert shown.width > shown.height  # upright: a line reads left to right
        read = [again.text for again in rapid.recognize(piece).lines]  # maybe a neighbour's edge
        assert shows(read, line.text), (read, line.text)
    # Cut again later from the same upload (a restart, "Review pending lines"): same pieces.
    again_cut = worker_cut(rapid.config, image, [line.box for line in outcome.lines])
    assert again_cut == outcome.crops


def test_aspose_pieces_read_back_too(ocr_pool: OcrPool, rapid: Engine) -> None:
    """The default engine (in trial mode: the start of the page) through the real worker
    pool: pieces come back with the outcome, and `cut` gives the same ones. Read back with
    RapidOCR: trial Aspose returns only its watermark on images this small."""
    image = upside_down_photo(render_note(LINES, width=3000, size=60, fmt="JPEG"))

    async def both() -> tuple[OcrOutcome, list[bytes | None]]:
        outcome = await ocr_pool.recognize(image, crop_below=1.01)
        return outcome, await ocr_pool.cut(image, [line.box for line in outcome.lines])

    outcome, cut_again = asyncio.run(both())
    boxed = [
        (line, piece) for line, piece in zip(outcome.lines, outcome.crops, strict=True) if line.box
    ]
    assert boxed
    assert cut_again == outcome.crops
    for line, piece in boxed:
        assert piece is not None
        read = [again.text for again in rapid.recognize(piece).lines]
        assert shows(read, line.text), (read, line.text)
