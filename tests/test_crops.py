"""Cutting a line's piece of the photo: padded, enlarged when small, within Telegram's limits."""

from __future__ import annotations

import io

from PIL import Image

from bot.ocr.crops import MAX_RATIO, READABLE_HEIGHT, cut, cut_all, overview


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


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


def test_boxes_outside_or_empty_give_nothing() -> None:
    page = Image.new("L", (100, 100), 255)
    assert cut(page, (200, 200, 50, 10)) is None
    assert cut(page, (10, 10, 0, 10)) is None
    assert cut_all(png(page), {1: (200, 200, 50, 10), 2: (10, 10, 50, 20)}).keys() == {2}


def test_the_overview_boxes_each_flagged_line() -> None:
    page = Image.new("RGB", (2000, 1000), "white")
    picture = opened(overview(png(page), {1: (100, 100, 600, 80), 3: (100, 600, 900, 80)}) or b"")
    assert max(picture.size) == 1600  # sized for a phone
    scale = 1600 / 2000
    left_edge = picture.getpixel((round(100 * scale), round(140 * scale)))
    assert left_edge[0] > 180
    assert left_edge[1] < 120  # the red box's left side
    inside = picture.getpixel((round(400 * scale), round(140 * scale)))
    assert min(inside) > 230  # the line itself is not covered
    assert overview(png(page), {}) is None
