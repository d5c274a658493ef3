"""Generated inputs: note images of a given size in megapixels, and realistic note text."""

from __future__ import annotations

import io
import math
import random
from functools import cache

from PIL import Image, ImageDraw

from tests.images import font


@cache
def vocabulary() -> tuple[list[str], list[int]]:
    """English words with their frequencies (pyspellchecker's list): Zipf-like text."""
    from spellchecker import SpellChecker

    common = SpellChecker().word_frequency.dictionary.most_common(5000)
    words = [word for word, _ in common if word.isalpha() and len(word) > 1]
    weights = [count for word, count in common if word.isalpha() and len(word) > 1]
    return words, weights


def note_lines(
    rng: random.Random, count: int, words_per_line: tuple[int, int] = (3, 8)
) -> list[str]:
    words, weights = vocabulary()
    lines = []
    for _ in range(count):
        n = rng.randint(*words_per_line)
        line = " ".join(rng.choices(words, weights, k=n))
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
