"""Reading an extreme strip (a 20000×60 receipt tape, a 60×20000 column) with a page reader
that shrinks every image to a 2000 px long side: at that size the strip's text is a few
pixels high, or nothing (RapidOCR then refuses the image outright).

The strip is cut along its length into overlapping pieces of at most PIECE_LONG px, and the
pieces are laid side by side on one canvas (rows for a wide strip, columns for a tall one),
with a gap of background between them so no line runs from one piece into the next: one
reading of a ~2000 px canvas instead of ten of mostly empty pieces. Each line found is then
put back into the strip's own pixels; a line cut by a piece's end is joined with its rest
from the next piece, and a line seen whole in two pieces (in their overlap) is kept once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image, ImageStat

from bot.domain.models import Box
from bot.ocr.images.intake import STRIP_RATIO

PIECE_LONG = 2000  # RapidOCR's max_side_len: a piece (and a canvas) is read at full size
OVERLAP = PIECE_LONG // 4  # longer than a word, so a word cut at one end is whole next door
CANVAS_SIDE = 2000

Found = tuple[str, float, Box]  # text, score, box (x, y, w, h), as a page reader returns them
Read = Callable[[Image.Image], list[Found]]


def is_strip(size: tuple[int, int]) -> bool:
    """Too long for the reader to see at full size, and too thin to be a page."""
    return max(size) > PIECE_LONG and max(size) >= STRIP_RATIO * min(size)


@dataclass(eq=False)  # lines are told apart by identity
class _Line:
    """A line found in one piece, in the (wide) strip's pixels: `along` is its extent from
    left to right, `across` from top to bottom."""

    text: str
    score: float
    along: tuple[int, int]
    across: tuple[int, int]
    piece: int
    parts: list[float] = field(default_factory=list)  # weights of the scores joined in

    @property
    def middle(self) -> float:
        return (self.along[0] + self.along[1]) / 2


def pieces_of(length: int) -> list[tuple[int, int]]:
    """(start, end) along the strip: PIECE_LONG each, OVERLAP shared with the next."""
    starts = list(range(0, max(1, length - OVERLAP), PIECE_LONG - OVERLAP))
    return [(start, min(length, start + PIECE_LONG)) for start in starts]


def read_strip(image: Image.Image, read: Read) -> list[Found]:
    """Every line of a strip, in reading order, boxes in `image`'s pixels.

    A tall strip is read turned a quarter clockwise: its text most likely runs up the strip
    (a line photographed sideways), and a line that then reads upside down is what the
    reader's own orientation check turns back."""
    if image.height <= image.width:
        return _read_wide(image, read)
    turned = image.transpose(Image.Transpose.ROTATE_270)
    return [
        (text, score, _turned_back(box, image.height))
        for text, score, box in _read_wide(turned, read)
    ]


def _turned_back(box: Box, height: int) -> Box:
    """A box of the turned strip in the pixels of the tall one (`height` its long side)."""
    x, y, w, h = box
    return y, height - x - w, h, w


def _read_wide(image: Image.Image, read: Read) -> list[Found]:
    length, thickness = image.size
    pieces = pieces_of(length)
    gap = max(thickness, 16)
    pitch = thickness + gap
    per_canvas = max(1, (CANVAS_SIDE + gap) // pitch)
    median = [round(value) for value in ImageStat.Stat(image).median]
    background = median[0] if len(median) == 1 else tuple(median)
    found: list[_Line] = []
    for first in range(0, len(pieces), per_canvas):
        group = list(range(first, min(len(pieces), first + per_canvas)))
        span = max(pieces[k][1] - pieces[k][0] for k in group)
        canvas = Image.new(image.mode, (span, len(group) * pitch - gap), background)
        for slot, k in enumerate(group):
            start, end = pieces[k]
            canvas.paste(image.crop((start, 0, end, thickness)), (0, slot * pitch))
        for text, score, box in read(canvas):
            line = _placed(text, score, box, group, pieces, pitch, thickness)
            if line is not None:
                found.append(line)
    merged = _merge(found, pieces, edge=max(2, thickness // 10))
    return [_as_found(line) for line in _reading_order(merged)]


def _placed(
    text: str,
    score: float,
    box: Box,
    group: list[int],
    pieces: list[tuple[int, int]],
    pitch: int,
    thickness: int,
) -> _Line | None:
    """A line found on the canvas, in the strip's pixels (None: it lies in a gap)."""
    x, y, w, h = box
    # The piece whose row overlaps the box most (the reader may widen a box into a gap).
    overlap, slot = max(
        (min(y + h, row * pitch + thickness) - max(y, row * pitch), row)
        for row in range(len(group))
    )
    if overlap <= 0:
        return None
    k = group[slot]
    start, end = pieces[k]
    low, high = max(0, y - slot * pitch), min(thickness, y + h - slot * pitch)
    first, last = start + max(0, x), min(end, start + x + w)
    if last <= first:
        return None
    return _Line(text, score, (first, last), (low, high), k, [float(len(text))])


def _merge(found: list[_Line], pieces: list[tuple[int, int]], edge: int) -> list[_Line]:
    """Join lines cut by a piece's end with their continuation in the next piece; of the
    rest, keep each line in the piece that owns its middle (each overlap split halfway)."""
    by_piece: dict[int, list[_Line]] = {k: [] for k in range(len(pieces))}
    for line in found:
        by_piece[line.piece].append(line)
    kept: list[_Line] = []
    carried: list[_Line] = []  # joined lines whose tail is in the current piece
    for k, (start, end) in enumerate(pieces):
        lines, carried = carried + by_piece[k], []
        last = k + 1 == len(pieces)
        if not last:
            following, next_start = by_piece[k + 1], pieces[k + 1][0]
            for line in [line for line in lines if line.along[1] >= end - edge]:
                rest = _continuation(line, following, next_start, edge)
                if rest is not None:
                    following.remove(rest)
                    lines.remove(line)
                    carried.append(_joined(line, rest, (next_start + end) / 2))
        owned_from = float("-inf") if k == 0 else (pieces[k - 1][1] + start) / 2
        owned_to = float("inf") if last else (pieces[k + 1][0] + end) / 2
        kept.extend(
            line for line in lines if len(line.parts) > 1 or owned_from <= line.middle < owned_to
        )
    return kept


def _continuation(line: _Line, following: list[_Line], start: int, edge: int) -> _Line | None:
    """The line of the next piece that starts at its cut and shares `line`'s band."""
    best, best_overlap = None, 0
    for other in following:
        if other.along[0] > start + edge:
            continue
        overlap = min(line.across[1], other.across[1]) - max(line.across[0], other.across[0])
        height = min(line.across[1] - line.across[0], other.across[1] - other.across[0])
        if overlap > max(best_overlap, height / 2):
            best, best_overlap = other, overlap
    return best


def _joined(head: _Line, tail: _Line, middle: float) -> _Line:
    """One line from its two readings: the words both saw once (or, if they can't be lined
    up, the head's words before the overlap's middle and the tail's after it)."""
    head_words, tail_words = head.text.split(), tail.text.split()
    # The last word of the head and the first of the tail may be cut: match without them.
    inner_head, inner_tail = head_words[:-1], tail_words[1:]
    words: list[str] | None = None
    for shared in range(min(len(inner_head), len(inner_tail)), 0, -1):
        if shared == 1 and len(inner_tail[0]) < 4:
            break  # one short word ("the") shared by chance: not enough to line them up
        if _same(inner_head[-shared:], inner_tail[:shared]):
            words = inner_head + inner_tail[shared:]
            break
    if words is None:
        words = _before(head, middle) + _after(tail, middle)
    weights = head.parts + tail.parts
    score = (head.score * sum(head.parts) + tail.score * sum(tail.parts)) / max(sum(weights), 1)
    return _Line(
        " ".join(words),
        score,
        (head.along[0], max(head.along[1], tail.along[1])),
        (min(head.across[0], tail.across[0]), max(head.across[1], tail.across[1])),
        tail.piece,
        weights,
    )


def _same(left: list[str], right: list[str]) -> bool:
    return [word.casefold() for word in left] == [word.casefold() for word in right]


def _positions(line: _Line) -> list[tuple[str, float]]:
    """Each word with the estimated middle of it along the strip (by its characters)."""
    text = line.text
    width = line.along[1] - line.along[0]
    placed, cursor = [], 0
    for word in text.split():
        at = text.index(word, cursor)
        cursor = at + len(word)
        placed.append((word, line.along[0] + width * (at + len(word) / 2) / max(len(text), 1)))
    return placed


def _before(line: _Line, middle: float) -> list[str]:
    return [word for word, at in _positions(line) if at < middle]


def _after(line: _Line, middle: float) -> list[str]:
    return [word for word, at in _positions(line) if at >= middle]


def _reading_order(lines: list[_Line]) -> list[_Line]:
    """Rows across the strip (lines sharing most of their band), each along the strip."""
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=lambda line: (line.across[0] + line.across[1]) / 2):
        middle = (line.across[0] + line.across[1]) / 2
        row = rows[-1] if rows else None
        if row is not None and min(other.across[1] for other in row) > middle:
            row.append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda line: line.along[0])]


def _as_found(line: _Line) -> Found:
    (first, last), (low, high) = line.along, line.across
    return line.text, line.score, (first, low, last - first, high - low)
