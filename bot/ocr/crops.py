"""A line's piece of the photo, to show with its review prompt.

Cut from the image exactly as the engine read it (`images.normalize_for_ocr`: EXIF rotation,
downscaling), so the engine's box lands on the right pixels. Padded a little so the user sees
the line's surroundings, enlarged when small so it is readable on a phone, and kept within
Telegram's photo limits (width + height ≤ 10,000, sides at most 20:1).
"""

from __future__ import annotations

import io
from collections.abc import Hashable, Mapping
from typing import TypeVar

from PIL import Image, ImageDraw, ImageFont

from bot.domain.models import Box

PAD_OF_HEIGHT = 0.35  # around the line, as a share of its height (each side)
MIN_PAD = 6  # pixels
READABLE_HEIGHT = 96  # a line's own height after enlarging, in pixels
MAX_ENLARGE = 4.0
MAX_SIDE = 2560
MAX_RATIO = 20  # Telegram refuses photos whose sides differ more than this
JPEG_QUALITY = 85
K = TypeVar("K", bound=Hashable)


def cut(image: Image.Image, box: Box) -> bytes | None:
    """The JPEG of `box` on `image` (padded, enlarged, within limits); None if the box is
    outside the image or empty."""
    x, y, width, height = box
    if width <= 0 or height <= 0:
        return None
    pad = max(MIN_PAD, round(height * PAD_OF_HEIGHT))
    left, top = max(0, x - pad), max(0, y - pad)
    right, bottom = min(image.width, x + width + pad), min(image.height, y + height + pad)
    if right - left < 2 or bottom - top < 2:
        return None
    # A long thin line: taller, so Telegram accepts the photo and it still reads as a line.
    short = max(bottom - top, -(-(right - left) // MAX_RATIO))
    grow = short - (bottom - top)
    top, bottom = max(0, top - grow // 2), min(image.height, bottom + grow - grow // 2)
    piece = image.crop((left, top, right, bottom))
    scale = min(MAX_ENLARGE, max(1.0, READABLE_HEIGHT / height))
    scale = min(scale, MAX_SIDE / max(piece.size))
    if abs(scale - 1.0) > 0.01:
        size = (max(1, round(piece.width * scale)), max(1, round(piece.height * scale)))
        piece = piece.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    piece.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def cut_all(prepared_png: bytes, boxes: Mapping[K, Box]) -> dict[K, bytes]:
    """Each box's piece of the prepared image (the bytes the engine read)."""
    if not boxes:
        return {}
    with Image.open(io.BytesIO(prepared_png)) as image:
        image.load()
        pieces = {key: cut(image, box) for key, box in boxes.items()}
    return {key: piece for key, piece in pieces.items() if piece is not None}


OVERVIEW_SIDE = 1600  # the whole page, sized for a phone screen
MARK = (230, 40, 40)


def overview(prepared_png: bytes, numbered: Mapping[int, Box]) -> bytes | None:
    """The whole page with each flagged line boxed and labelled with its number, so the user
    sees where each prompt's line is; None without boxes."""
    if not numbered:
        return None
    with Image.open(io.BytesIO(prepared_png)) as opened:
        page = opened.convert("RGB")
    scale = min(1.0, OVERVIEW_SIDE / max(page.size))
    if scale < 1.0:
        size = (round(page.width * scale), round(page.height * scale))
        page = page.resize(size, Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(page)
    stroke = max(2, round(max(page.size) / 400))
    font = ImageFont.load_default(size=max(14, round(max(page.size) / 40)))
    for number, (x, y, width, height) in numbered.items():
        left, top = round(x * scale), round(y * scale)
        right, bottom = round((x + width) * scale), round((y + height) * scale)
        draw.rectangle((left, top, right, bottom), outline=MARK, width=stroke)
        label = str(number)
        box = draw.textbbox((0, 0), label, font=font)
        tag_w, tag_h = box[2] - box[0] + 2 * stroke, box[3] - box[1] + 2 * stroke
        tag_top = top - tag_h if top - tag_h >= 0 else bottom
        draw.rectangle((left, tag_top, left + tag_w, tag_top + tag_h), fill=MARK)
        draw.text((left + stroke, tag_top + stroke - box[1]), label, fill="white", font=font)
    out = io.BytesIO()
    page.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()
