"""Generated inputs: note images of a given size in megapixels, and realistic note text."""

from __future__ import annotations

import io
import math
import random
from functools import cache

from PIL import Image, ImageDraw, ImageFilter

from tests.support.images import font


@cache
def vocabulary() -> tuple[list[str], list[int]]:
    """English words with their frequencies (pyspellchecker's list): Zipf-like text."""
    from spellchecker import SpellChecker

    common = SpellChecker().word_frequency.dictionary.most_common(5000)
    words = [word for word, _ in common if word.isalpha() and len(word) > 1]
    weights = [count for word, count in common if word.isalpha() and len(word) > 1]
    return words, weights


def misread(rng: random.Random, word: str) -> str:
    """The word with one letter read wrong, as OCR does ("meeting" -> "meetjng")."""
    at = rng.randrange(len(word))
    return word[:at] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[at + 1 :]


def note_lines(
    rng: random.Random,
    count: int,
    words_per_line: tuple[int, int] = (3, 8),
    misread_share: float = 0.0,
) -> list[str]:
    """Lines of Zipf-like English; `misread_share` of the words of 4+ letters get one letter
    wrong (OCR errors: each user's vocabulary grows with their notes)."""
    words, weights = vocabulary()
    lines = []
    for _ in range(count):
        n = rng.randint(*words_per_line)
        picked = rng.choices(words, weights, k=n)
        if misread_share:
            picked = [
                misread(rng, w) if len(w) >= 4 and rng.random() < misread_share else w
                for w in picked
            ]
        line = " ".join(picked)
        lines.append(line[:1].upper() + line[1:])
    return lines


def note_image(
    megapixels: float, seed: int = 0, rows: int | None = None
) -> tuple[bytes, list[str]]:
    """A 4:3 JPEG of dark text lines on a light page; text scales with the image.

    By default the page is full of lines (a font ~1/28 of the width); `rows` makes fewer,
    bigger lines instead (the quick smoke run: the engine's time grows with the text).
    """
    width = round(math.sqrt(megapixels * 1e6 * 4 / 3))
    height = round(width * 3 / 4)
    rng = random.Random(seed)
    if rows is None:
        size = max(14, width // 28)
        lines = note_lines(rng, max(1, (height - size) // round(size * 1.8)), (2, 5))
    else:
        size = round(height / (rows * 1.8 + 1))
        lines = note_lines(rng, rows, (1, 2))
    image = Image.new("RGB", (width, height), (248, 246, 240))
    draw = ImageDraw.Draw(image)
    typeface = font(size)
    for index, text in enumerate(lines):
        draw.text(
            (size, size // 2 + index * round(size * 1.8)), text, font=typeface, fill=(20, 20, 30)
        )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue(), lines


WHITEBOARD_NOTES = [
    "Sprint goals",
    "Fix login bug",
    "Deploy Friday",
    "Ask Maria",
    "Budget 2026",
    "Review tests",
]


def whiteboard_image(seed: int = 0, width: int = 1600) -> tuple[bytes, list[str]]:
    """A photo-like 4:3 whiteboard: tilted notes in two columns, frame and divider lines,
    uneven light, blur and speckle. Harder than a clean page for the engine's layout detection.
    """
    height = width * 3 // 4
    rng = random.Random(seed)
    image = Image.new("L", (width, height), 235)
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 4):
        draw.line([(x, 0), (x, height)], fill=225 + x * 20 // width)
    for index, text in enumerate(WHITEBOARD_NOTES):
        layer = Image.new("L", (700, 120), 0)
        ImageDraw.Draw(layer).text((10, 10), text, font=font(rng.randint(50, 70)), fill=255)
        layer = layer.rotate(rng.uniform(-8, 8), expand=True)
        x = (index % 2) * width // 2 + rng.randint(20, 80)
        y = (index // 2) * height * 19 // 60 + rng.randint(20, 120)
        image.paste(0, (x, y), layer)
    draw.rectangle([30, 30, width - 30, height - 30], outline=120, width=6)
    draw.line([(width // 2 - 20, 60), (width // 2 - 20, height - 60)], fill=140, width=4)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    pixels = image.load()
    for _ in range(width * height // 20):
        x, y = rng.randrange(width), rng.randrange(height)
        pixels[x, y] = max(0, pixels[x, y] - rng.randint(0, 60))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue(), list(WHITEBOARD_NOTES)


def dense_page(font_px: int, seed: int = 1, width: int = 4000) -> tuple[bytes, list[str]]:
    """A 4:3 page (12 MP at the default width) filled with lines of `font_px` text."""
    height = width * 3 // 4
    rng = random.Random(seed)
    lines = note_lines(rng, (height - font_px) // round(font_px * 1.8), (3, 6))
    image = Image.new("RGB", (width, height), (248, 246, 240))
    draw = ImageDraw.Draw(image)
    typeface = font(font_px)
    for index, text in enumerate(lines):
        y = font_px // 2 + index * round(font_px * 1.8)
        draw.text((font_px, y), text, font=typeface, fill=(20, 20, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue(), lines
