"""Finding where a line is when the engine gave its text but no rectangle.

Aspose in trial mode returns about a fifth of its lines without a rectangle (its text joins
two engine lines, or a joined line is cut short). The text is known, so the second engine's
detector can place it: RapidOCR finds the page's text regions and reads each; the line is the
run of neighbouring regions (one, or several side by side or one under the other) whose
reading matches its text best. A line that matches no region (trial noise such as "t" or
"4444") is put where the engine's text order puts it: between the placed lines before and
after it (`between`), so that it too has a piece of the photo and an outline in the editor.
Pure functions over plain data, so they are tested alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.models import Box
from bot.ocr.engines.scoring import agreement

# A run of regions joined into one line: Aspose joins at most a few pieces into a text line.
MOST_REGIONS = 4
# A placement is kept when the line and the regions' reading agree at least this much
# (1 - normalised edits): far below "read the same" (0.9, the cross-check's cut-off) so that
# a misread line is still placed, and flagged by the cross-check. Measured on the development
# set with every Aspose line's rectangle hidden (52 lines): 48 placed, 45 on their own
# rectangle and 3 on a wider or narrower region of the same text, none elsewhere; the 4 left
# are noise Aspose read ("DY", "+"). The same from 0.35; 40 placed at 0.65.
PLACE_CUT = 0.5


@dataclass(frozen=True)
class Region:
    """A text region found by the second engine's detector, with its reading."""

    box: Box
    text: str


@dataclass(frozen=True)
class Placement:
    """Where a line is: the regions it was found in, and whether its text is only the start
    of what they read (a trial line cut short)."""

    indices: tuple[int, ...]
    agreement: float
    cut: bool


def row_order(regions: Sequence[Region]) -> list[int]:
    """Indices of `regions` top to bottom, left to right within a row (a region starts a new
    row when its top is below the middle of the row's first region)."""
    by_top = sorted(range(len(regions)), key=lambda i: (regions[i].box[1], regions[i].box[0]))
    rows: list[list[int]] = []
    for index in by_top:
        top = regions[index].box[1]
        if rows:
            first = regions[rows[-1][0]].box
            if top < first[1] + first[3] / 2:
                rows[-1].append(index)
                continue
        rows.append([index])
    return [index for row in rows for index in sorted(row, key=lambda i: regions[i].box[0])]


def start_of(reading: str, length: int) -> str:
    """The first `length` characters of `reading`, to the end of the word where they stop."""
    end = length
    while end < len(reading) and not reading[end].isspace():
        end += 1
    return reading[:end]


def place(text: str, regions: Sequence[Region], taken: set[int] | None = None) -> Placement | None:
    """The run of neighbouring regions (in reading order, not in `taken`) whose joined
    reading matches `text` best, compared whole or, for a text cut short, with the start of
    the reading; None when no run reaches PLACE_CUT."""
    wanted = " ".join(text.split())
    if not wanted:
        return None
    taken = taken or set()
    order = [index for index in row_order(regions) if index not in taken]
    best: Placement | None = None
    for start in range(len(order)):
        joined = ""
        for end in range(start, min(start + MOST_REGIONS, len(order))):
            piece = " ".join(regions[order[end]].text.split())
            joined = f"{joined} {piece}".strip()
            whole = agreement(wanted, joined)
            beginning = agreement(wanted, start_of(joined, len(wanted)))
            score, cut = (beginning, True) if beginning > whole else (whole, False)
            # Fewer regions win a tie: a later region added to a perfect match is noise.
            if score >= PLACE_CUT and (best is None or score > best.agreement):
                best = Placement(tuple(order[start : end + 1]), score, cut)
            if len(joined) > 2 * len(wanted) + 10:
                break
    return best


def between(boxes: Sequence[Box | None], index: int, page: tuple[int, int]) -> Box:
    """Where line `index`, found nowhere on the page, most likely is: the band from the
    nearest placed line before it to the nearest one after it (the engine gives its text in
    reading order), across the width they span, at least one line high; below or above the
    only neighbour that has a place; the whole page when none has. `page` is (width,
    height); the band is kept inside it."""
    width, height = page
    before = next((box for box in reversed(boxes[:index]) if box is not None), None)
    after = next((box for box in boxes[index + 1 :] if box is not None), None)
    if before is None and after is None:
        return 0, 0, width, height
    if before is not None and after is not None:
        left = min(before[0], after[0])
        right = max(before[0] + before[2], after[0] + after[2])
        line_height = min(before[3], after[3])
        top, bottom = before[1] + before[3], after[1]
        if bottom - top < line_height:  # side by side or close: the band around both
            top = min(before[1], after[1])
            bottom = max(before[1] + before[3], after[1] + after[3])
    elif before is not None:
        left, right, line_height = before[0], before[0] + before[2], before[3]
        top, bottom = before[1] + before[3], before[1] + 2 * before[3]
    else:
        assert after is not None
        left, right, line_height = after[0], after[0] + after[2], after[3]
        top, bottom = after[1] - after[3], after[1]
    left, top = max(0, left), max(0, top)
    right, bottom = min(width, right), min(height, bottom)
    if right <= left or bottom <= top:  # a neighbour at the page's edge: the page
        return 0, 0, width, height
    return left, top, right - left, bottom - top
