"""How the lines of a strip's pieces are put back together (`bot.ocr.engines.strips`): the
end-to-end reading of real strips is in `test_e2e_strips`; these are the joining rules."""

from __future__ import annotations

import itertools

from bot.ocr.engines.strips import OVERLAP, PIECE_LONG, _joined, _Line, pieces_of


def test_pieces_cover_the_strip_with_overlaps() -> None:
    pieces = pieces_of(20_000)
    assert pieces[0][0] == 0
    assert pieces[-1][1] == 20_000
    assert all(end - start <= PIECE_LONG for start, end in pieces)
    assert all(b[0] <= a[1] - OVERLAP for a, b in itertools.pairwise(pieces))
    assert pieces_of(2_100) == [(0, 2_000), (1_500, 2_100)]


def line(text: str, along: tuple[int, int], piece: int) -> _Line:
    return _Line(text, 0.9, along, (5, 55), piece, [float(len(text))])


def test_a_line_cut_by_a_piece_is_joined_on_the_words_both_pieces_saw() -> None:
    # Piece 0 ends at 2000 in the middle of "Alice"; piece 1 starts at 1500 in "and".
    head = line("buy milk today and call Ali", (20, 2000), 0)
    tail = line("nd call Alice soon about it", (1500, 2600), 1)
    joined = _joined(head, tail, middle=1750)
    assert joined.text == "buy milk today and call Alice soon about it"
    assert joined.along == (20, 2600)
    assert joined.piece == 1


def test_readings_that_do_not_line_up_are_split_at_the_overlap_middle() -> None:
    # The two readings of the overlap disagree: the head's words before the middle of the
    # overlap, the tail's after it (estimated from each word's place in its line).
    head = line("aaaa bbbb cccc dddd", (0, 2000), 0)
    tail = line("xxxx yyyy zzzz", (1500, 3000), 1)
    joined = _joined(head, tail, middle=1750)
    assert joined.text == "aaaa bbbb cccc yyyy zzzz"  # dddd lies past the middle, xxxx before it
