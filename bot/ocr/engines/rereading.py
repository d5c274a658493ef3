"""A second opinion on RapidOCR's lines: the same region read again with a margin around it.

RapidOCR's score is over-confident: on the development set a fifth of the wrong lines scored
0.95 or more. Reading the region again, grown by 15% of its text's height on every side (the
detector's box often clips a stroke or takes a stray mark; the margin changes what the model
sees), gives a second reading that differs from the first on many wrong lines and few right
ones. Of the second readings measured (the grown region; the background flattened; the
region enlarged; flattened and grown) the grown region's disagreement flagged the most wrong
lines for its false flags, and keeping the better-scored of two readings did not lower the
error rate (BENCHMARKS.md §10): so the first reading is kept, the second is an alternative,
and their agreement goes into the line's confidence (`scoring.calibrated`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.ocr.engines.rapid_reader import Quad, RapidReader, Reading, cut_region, grown
from bot.ocr.engines.scoring import agreement

# Lines scored under this are read a second time; above it, disagreement was too rare on the
# development set to pay for the reading (four lines in ten there, most of a clean page).
REREAD_BELOW = 0.99
MARGIN = 0.15  # of the text's height, on every side


@dataclass(frozen=True)
class Opinion:
    """A line's second reading (None when it was not read again) and how much the two
    readings agree (1.0 when there is no second reading)."""

    other: Reading | None = None
    agreement: float = 1.0


def second_opinions(
    reader: RapidReader, bgr: Any, quads: Sequence[Quad], readings: Sequence[Reading]
) -> list[Opinion]:
    """Each line's second opinion: lines scored under REREAD_BELOW are read again from their
    region grown by MARGIN, in the first reading's orientation."""
    again = [index for index, reading in enumerate(readings) if reading.score < REREAD_BELOW]
    pieces = []
    for index in again:
        piece = cut_region(bgr, grown(quads[index], MARGIN))
        pieces.append(piece[::-1, ::-1] if readings[index].turned else piece)
    opinions = [Opinion() for _ in readings]
    for index, other in zip(again, reader.read(pieces, classify=False), strict=True):
        opinions[index] = Opinion(other, agreement(readings[index].text, other.text))
    return opinions
