"""A line's piece of the photo, to show with its review prompt.

Cut from the image exactly as the engine read it (`images.normalize_for_ocr`: EXIF rotation,
downscaling), so the engine's box lands on the right pixels. Padded a little so the user sees
the line's surroundings, enlarged when small so it is readable on a phone, and kept within
Telegram's photo limits (width + height ≤ 10,000, sides at most 20:1).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image

from bot.domain.models import Box, RecognizedLine

PAD_OF_HEIGHT = 0.35  # around the line, as a share of its height (each side)
MIN_PAD = 6  # pixels
READABLE_HEIGHT = 96  # a line's own height after enlarging, in pixels
MAX_ENLARGE = 4.0
MAX_SIDE = 2560
MAX_RATIO = 20  # Telegram refuses photos whose sides differ more than this
JPEG_QUALITY = 85


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


def cut_boxes(image: Image.Image, boxes: Sequence[Box | None]) -> list[bytes | None]:
    """Each box's piece of `image` (the prepared image the engine read), None where there is
    no box or nothing to cut."""
    return [None if box is None else cut(image, box) for box in boxes]


def for_review(
    image: Image.Image, lines: Sequence[RecognizedLine], below: float
) -> list[bytes | None]:
    """One entry per line: its piece when it will wait for review (confidence below `below`,
    the user's threshold, as `domain.review.classify` decides) and the engine said where it
    is; else None."""
    return cut_boxes(image, [line.box if line.confidence < below else None for line in lines])
