"""Render test images of notes with Pillow and DejaVu fonts: real pixels for the real engine."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]


def font(size: int = 40) -> ImageFont.FreeTypeFont:
    for folder in FONT_DIRS:
        candidate = folder / "DejaVuSans.ttf"
        if candidate.is_file():
            return ImageFont.truetype(str(candidate), size)
    raise RuntimeError("DejaVu fonts are missing: install the Debian package fonts-dejavu-core")


def render_note(lines: list[str], *, fmt: str = "PNG", width: int = 1200, size: int = 40) -> bytes:
    """Black text lines on white, one per 100 px, like a clean photo of a notebook page."""
    image = Image.new("RGB", (width, 100 * len(lines) + 40), "white")
    draw = ImageDraw.Draw(image)
    typeface = font(size)
    for index, text in enumerate(lines):
        draw.text((20, 20 + 100 * index), text, font=typeface, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


# The engine in trial mode returns only roughly the first third of an image's text, so every
# end-to-end image has a short first line followed by filler lines; tests assert on the first.
FIRST_LINE = "Buy milk today"
NOTE_LINES = [FIRST_LINE, "Meeting at noon", "Call Alice", "Water the plants"]


def words_prefix_of(recognized: str, original: str) -> bool:
    """True when `recognized` is a non-empty word-prefix of `original` (trial truncation)."""
    got, want = recognized.split(), original.split()
    return bool(got) and got == want[: len(got)]


# A first line that looks like noise to the dictionary estimate (digits inside words), so it
# is offered for review at the default threshold by either engine, cross-checked or not, even
# though both engines read it the same way (made-up words alone no longer are: names and
# jargon read the same twice are accepted).
UNSURE_LINES = ["Zor7bat Qu4xx", "Meeting at noon", "Call Alice", "Water the plants"]


def render_rows(rows: list[list[tuple[int, str]]], *, width: int = 1400, size: int = 40) -> bytes:
    """Like `render_note`, but each row holds texts at given x positions (columns)."""
    image = Image.new("RGB", (width, 100 * len(rows) + 40), "white")
    draw = ImageDraw.Draw(image)
    typeface = font(size)
    for index, row in enumerate(rows):
        for x, text in row:
            draw.text((x, 20 + 100 * index), text, font=typeface, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# A page whose second text line trial Aspose returns without a rectangle: it reads the right
# column of the first row as a line of its own, cut short ("Quexx Vimble"), but lists only
# "Zorblat" among its line rectangles. Made-up words, so the line is unsure whatever reads it.
BOXLESS_ROWS = [
    [(20, "Zorblat"), (700, "Quexx Vimble Drapont Sklee")],
    [(20, "Meeting at noon")],
    [(20, "Call Alice")],
]
BOXLESS_LINE = "Quexx Vimble"


def line_boxes(lines: list[str], *, size: int = 40) -> list[tuple[int, int, int, int]]:
    """Where `render_note` draws each line: (x, y, width, height) of its ink, as an OCR
    engine's box would be (for notes made without OCR)."""
    typeface = font(size)
    boxes = []
    for index, text in enumerate(lines):
        left, top, right, bottom = typeface.getbbox(text)
        y = 20 + 100 * index
        boxes.append((20 + left, y + top, right - left, bottom - top))
    return boxes
