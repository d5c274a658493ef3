"""Reading order of a page's lines from their boxes: columns and diagram blocks kept together.

RapidOCR orders regions top to bottom in rows of tops within 10 px, which interleaves a
page's columns and the labels of a diagram's separate parts. A recursive XY cut reads each
part whole: the group of boxes is split where a gap runs all the way across it, across the
wider gap first (columns when the gutter is wider than the space between lines, else rows),
and the parts are read in turn. Columns whose lines sit on the same rows (a receipt's items
and prices, a table) are read row by row instead. Measured on the development set
(BENCHMARKS.md §10): consecutive ground-truth lines read one after the other 48% → 56%.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.models import Box

# Two boxes are on the same row when their middles are closer than this share of the taller.
SAME_ROW = 0.5
# Sides of a vertical gap whose lines mostly share rows are a table: read by rows.
TABLE_SHARE = 0.5


def reading_order(boxes: Sequence[Box]) -> list[int]:
    """The indices of `boxes` in reading order."""
    return _cut(boxes, list(range(len(boxes))))


def _groups(boxes: Sequence[Box], indices: list[int], axis: int) -> tuple[list[list[int]], int]:
    """`indices` split where no box spans a gap along `axis` (0: x, 1: y), in order along
    it, and the widest such gap (0 when there is none)."""
    spans = sorted((boxes[i][axis], boxes[i][axis] + boxes[i][axis + 2], i) for i in indices)
    groups = [[spans[0][2]]]
    end, widest = spans[0][1], 0
    for start, stop, index in spans[1:]:
        if start > end:
            widest = max(widest, start - end)
            groups.append([index])
        else:
            groups[-1].append(index)
        end = max(end, stop)
    return groups, widest


def _row_aligned(boxes: Sequence[Box], left: list[int], right: list[int]) -> bool:
    """Most lines of the smaller side have a line of the other side on their row."""
    small, other = (left, right) if len(left) <= len(right) else (right, left)

    def middle(index: int) -> float:
        return boxes[index][1] + boxes[index][3] / 2

    aligned = sum(
        any(abs(middle(i) - middle(j)) < SAME_ROW * max(boxes[i][3], boxes[j][3]) for j in other)
        for i in small
    )
    return aligned > TABLE_SHARE * len(small)


def _cut(boxes: Sequence[Box], indices: list[int]) -> list[int]:
    if len(indices) <= 1:
        return indices
    rows, row_gap = _groups(boxes, indices, 1)
    columns, column_gap = _groups(boxes, indices, 0)
    if len(columns) > 1 and column_gap > row_gap:
        rest = [index for column in columns[1:] for index in column]
        if not _row_aligned(boxes, columns[0], rest):
            return [index for column in columns for index in _cut(boxes, column)]
    if len(rows) > 1:
        return [index for row in rows for index in _cut(boxes, row)]
    if len(columns) > 1:
        return [index for column in columns for index in _cut(boxes, column)]
    return sorted(indices, key=lambda index: (boxes[index][1], boxes[index][0]))
