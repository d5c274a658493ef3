"""Rendering: user and OCR text is escaped; long texts split at line boundaries."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import messages
from bot.models import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    ConfidenceSource,
    Line,
    LineState,
    Note,
    SearchHit,
)

NOW = datetime(2026, 11, 24, 10, 2, tzinfo=UTC)


def make_line(position: int, text: str, state: LineState, confidence: float = 0.5) -> Line:
    return Line(position + 1, 1, position, text, text, confidence, ConfidenceSource.ESTIMATE, state)


def test_ocr_text_cannot_inject_markup() -> None:
    note = Note(1, 5, 5, None, NOW, [make_line(0, "<b>x</b> & <a href='y'>", LineState.ACCEPTED)])
    rendered = messages.ocr_result(note, trial=False)
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href='y'&gt;" in rendered
    assert "<a " not in rendered


def test_result_counts_lines_needing_review() -> None:
    note = Note(
        3,
        5,
        5,
        None,
        NOW,
        [make_line(0, "ok", LineState.ACCEPTED), make_line(1, "eh", LineState.PENDING)],
    )
    rendered = messages.ocr_result(note, trial=False)
    assert "Note #3" in rendered
    assert "1 line needs your review" in rendered
    assert "eh" not in rendered  # pending lines come with their own message


def test_review_prompt_says_estimate() -> None:
    line = make_line(2, "Wcter", LineState.PENDING, 0.41)
    assert "Line 3 · 41% (estimated)" in messages.review_prompt(line)


def test_search_snippet_highlight_is_bold_and_escaped() -> None:
    hit = SearchHit(9, NOW, None, f"a <i> {HIGHLIGHT_START}milk{HIGHLIGHT_END}", 1.0)
    rendered = messages.search_results("milk", [hit], 1)
    assert "a &lt;i&gt; <b>milk</b>" in rendered
    assert "#9" in rendered
    assert "2026-11-24" in rendered


def test_split_respects_limit_and_line_boundaries() -> None:
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(300))
    chunks = messages.split_for_telegram(text, limit=1000)
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert "\n".join(chunks) == text
    assert all(chunk.startswith("line ") for chunk in chunks)


def test_split_hard_cuts_one_overlong_line() -> None:
    chunks = messages.split_for_telegram("y" * 2500, limit=1000)
    assert [len(c) for c in chunks] == [1000, 1000, 500]
