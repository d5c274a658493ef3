"""A line's piece of the photo, to show with its review prompt.

Cut from the image exactly as the engine read it (`images.normalize_for_ocr`: EXIF rotation,
downscaling), so the engine's box lands on the right pixels. Padded a little so the user sees
the line's surroundings, enlarged when small so it is readable on a phone, and always within
Telegram's photo limits (width + height ≤ 10,000, sides at most 20:1): a long line on a thin
image is given more of the image around it, then, where the image ends, its background.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageOps, ImageStat

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
    # A long thin line: more of the image above and below it, as far as the image goes, so
    # Telegram accepts the photo (`within_ratio` pads what the image can't give).
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
    within_ratio(piece.convert("RGB")).save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def within_ratio(piece: Image.Image) -> Image.Image:
    """`piece` (RGB), its short side padded with its background so that its sides differ at
    most MAX_RATIO times."""
    long, short = max(piece.size), min(piece.size)
    needed = -(-long // MAX_RATIO)
    if short >= needed:
        return piece
    grow = needed - short
    before, after = grow // 2, grow - grow // 2
    border = (0, before, 0, after) if piece.width >= piece.height else (before, 0, after, 0)
    return ImageOps.expand(piece, border=border, fill=_background(piece))


def _background(piece: Image.Image) -> tuple[int, ...]:
    """The median colour of the piece's outer frame: the margin around the line, the page."""
    width, height = piece.size
    frame = Image.new(piece.mode, (2 * (width + height), 1))
    x = 0
    for edge in (
        piece.crop((0, 0, width, 1)),
        piece.crop((0, height - 1, width, height)),
        piece.crop((0, 0, 1, height)).rotate(90, expand=True),
        piece.crop((width - 1, 0, width, height)).rotate(90, expand=True),
    ):
        frame.paste(edge, (x, 0))
        x += edge.width
    return tuple(int(value) for value in ImageStat.Stat(frame).median)


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
