"""Accept/review rules and retype cleaning, on lines we construct."""

from __future__ import annotations

import pytest

from bot.domain.lengths import telegram_length
from bot.domain.models import ConfidenceSource, LineState, RecognizedLine
from bot.domain.review import (
    MAX_RETYPE_CHARS,
    TITLE_LIMIT,
    Refusal,
    TextRejected,
    classify,
    clean_retype,
    clean_title,
    note_title,
)


def line(text: str, confidence: float) -> RecognizedLine:
    return RecognizedLine(text, confidence, ConfidenceSource.ESTIMATE)


def test_lines_below_threshold_wait_for_review() -> None:
    drafts = classify([line("a", 0.9), line("b", 0.74), line("c", 0.75)], 0.75)
    assert [d.state for d in drafts] == [LineState.ACCEPTED, LineState.PENDING, LineState.ACCEPTED]
    assert [d.text for d in drafts] == ["a", "b", "c"]


def test_drafts_keep_each_line_s_box_and_page() -> None:
    boxed = RecognizedLine("b", 0.9, ConfidenceSource.CROSSCHECK, (10, 20, 300, 40))
    drafts = classify([line("a", 0.9), boxed], 0.75, pages=[0, 1])
    assert [(d.box, d.page) for d in drafts] == [(None, 0), ((10, 20, 300, 40), 1)]
    assert [d.page for d in classify([boxed], 0.75)] == [0]


def test_threshold_zero_accepts_everything_and_one_reviews_all_but_certain() -> None:
    lines = [line("a", 0.0), line("b", 0.99), line("c", 1.0)]
    assert all(d.state is LineState.ACCEPTED for d in classify(lines, 0.0))
    assert [d.state for d in classify(lines, 1.0)] == [
        LineState.PENDING,
        LineState.PENDING,
        LineState.ACCEPTED,
    ]


def test_retype_is_collapsed_to_one_line() -> None:
    assert clean_retype("  Water\n the   plants ") == "Water the plants"


@pytest.mark.parametrize("text", [None, "", "   \n\t "])
def test_empty_retype_is_refused(text: str | None) -> None:
    with pytest.raises(TextRejected) as refused:
        clean_retype(text)
    assert refused.value.reason is Refusal.EMPTY_LINE


def test_overlong_retype_is_refused() -> None:
    assert clean_retype("x" * MAX_RETYPE_CHARS) == "x" * MAX_RETYPE_CHARS
    with pytest.raises(TextRejected) as refused:
        clean_retype("x" * (MAX_RETYPE_CHARS + 1))
    assert refused.value.reason is Refusal.LONG_LINE


def test_retype_length_is_counted_as_telegram_counts_it() -> None:
    """Issue 19.3: an emoji is 2 UTF-16 units; 1,000 of them are 2,000, over the limit."""
    half = "😀" * (MAX_RETYPE_CHARS // 2)
    assert clean_retype(half) == half
    with pytest.raises(TextRejected):
        clean_retype(half + "x")
    with pytest.raises(TextRejected):
        clean_retype("😀" * MAX_RETYPE_CHARS)


def test_titles_are_bounded_as_telegram_counts_them() -> None:
    drafts = classify([RecognizedLine("x", 0.9, ConfidenceSource.ESTIMATE)], 0.5)
    title = note_title("😀" * 1000, drafts)
    assert title is not None
    assert telegram_length(title) <= TITLE_LIMIT
    assert title.endswith("😀…")
    assert note_title("Shopping  list", drafts) == "Shopping list"
    assert clean_title("😀" * (TITLE_LIMIT // 2)) == "😀" * (TITLE_LIMIT // 2)
    with pytest.raises(TextRejected):
        clean_title("😀" * (TITLE_LIMIT // 2 + 1))
