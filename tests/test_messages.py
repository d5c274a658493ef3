"""Wording and fitting: user and OCR text is escaped; long texts are split at line boundaries
or sent as a file (`bot.telegram.text`), never cut."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import UTC, datetime

from bot.domain import messages
from bot.domain.i18n import ENGLISH as EN
from bot.domain.lengths import prefix_within, shorten, telegram_length
from bot.domain.models import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    ConfidenceSource,
    Line,
    LineState,
    Note,
    SearchHit,
)
from bot.domain.paging import Page
from bot.telegram.text import (
    CAPTION_LIMIT,
    MAX_SPLIT_MESSAGES,
    TELEGRAM_TEXT_LIMIT,
    fit,
    fit_one,
    rendered_length,
    shorten_html,
    split_for_telegram,
    utf16_len,
)

NOW = datetime(2026, 11, 24, 10, 2, tzinfo=UTC)


def make_line(position: int, text: str, state: LineState, confidence: float = 0.5) -> Line:
    return Line(position + 1, 1, position, text, text, confidence, ConfidenceSource.ESTIMATE, state)


def test_ocr_text_cannot_inject_markup() -> None:
    note = Note(1, 5, 5, None, NOW, [make_line(0, "<b>x</b> & <a href='y'>", LineState.ACCEPTED)])
    rendered = "\n".join(fit(messages.ocr_result(EN, note, trial=False)).texts)
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
    rendered = "\n".join(fit(messages.ocr_result(EN, note, trial=False)).texts)
    assert "Note #3" in rendered
    assert "1 line needs your review" in rendered
    assert "eh" not in rendered  # pending lines come with their own message


def test_review_prompt_says_estimate() -> None:
    line = make_line(2, "Wcter", LineState.PENDING, 0.41)
    assert "Line 3 · 41% (estimated)" in messages.review_prompt(EN, line)


def test_review_prompt_says_where_every_confidence_came_from() -> None:
    line = make_line(0, "Wcter", LineState.PENDING, 0.41)
    shown = {
        source: messages.review_prompt(EN, replace(line, confidence_source=source))
        for source in ConfidenceSource
    }
    assert "41%\n" in shown[ConfidenceSource.ENGINE]  # the engine's own: no word needed
    assert "41% (cross-checked)" in shown[ConfidenceSource.CROSSCHECK]
    assert "41% (calibrated)" in shown[ConfidenceSource.CALIBRATED]


def test_lines_stored_by_an_older_version_still_read_back() -> None:
    assert ConfidenceSource("engine") is ConfidenceSource.ENGINE
    assert ConfidenceSource("estimate") is ConfidenceSource.ESTIMATE


def test_trial_notice_names_both_ways_to_full_text() -> None:
    assert "license" in EN(messages.TRIAL_NOTICE)
    assert "OCR_ENGINE=rapidocr" in EN(messages.TRIAL_NOTICE)


def test_search_snippet_highlight_is_bold_and_escaped() -> None:
    hit = SearchHit(9, NOW, None, f"a <i> {HIGHLIGHT_START}milk{HIGHLIGHT_END}", 1.0)
    rendered = messages.search_results(EN, "milk", [hit], Page.of(0, 5, 1))
    assert "a &lt;i&gt; <b>milk</b>" in rendered
    assert "#9" in rendered
    assert "Nov 24, 2026" in rendered


def test_split_respects_limit_and_line_boundaries() -> None:
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(300))
    chunks = split_for_telegram(text, limit=1000)
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert "\n".join(chunks) == text
    assert all(chunk.startswith("line ") for chunk in chunks)


def test_split_hard_cuts_one_overlong_line() -> None:
    chunks = split_for_telegram("y" * 2500, limit=1000)
    assert [len(c) for c in chunks] == [1000, 1000, 500]


def test_split_counts_utf16_units_like_telegram() -> None:
    text = "😀" * 700  # 1400 UTF-16 units in 700 characters
    chunks = split_for_telegram(text, limit=1000)
    assert [utf16_len(chunk) for chunk in chunks] == [1000, 400]
    assert "".join(chunks) == text


def note_with(lines: list[str], state: LineState = LineState.ACCEPTED) -> Note:
    return Note(4, 5, 5, "Title", NOW, [make_line(i, text, state) for i, text in enumerate(lines)])


def test_short_result_is_one_message() -> None:
    reply = fit(messages.ocr_result(EN, note_with(["one", "two"]), trial=False))
    assert reply.document is None
    assert len(reply.texts) == 1
    assert "one\ntwo" in reply.texts[0]


def test_long_result_is_split_at_line_boundaries_without_losing_text() -> None:
    lines = [f"line {i:03d} " + "w" * 60 for i in range(150)]  # ~10k characters
    reply = fit(messages.ocr_result(EN, note_with(lines), trial=False))
    assert reply.document is None
    assert 1 < len(reply.texts) <= MAX_SPLIT_MESSAGES
    assert all(utf16_len(text) <= TELEGRAM_TEXT_LIMIT for text in reply.texts)
    joined = "\n".join(reply.texts)
    assert all(line in joined for line in lines)
    assert reply.texts[0].startswith("📝 <b>Note #4</b>")
    assert reply.texts[-1].endswith("✅ Saved.")


def test_very_long_result_becomes_a_text_file() -> None:
    lines = [f"line {i:04d} " + "w" * 60 for i in range(1000)]  # ~70k characters
    reply = fit(messages.ocr_result(EN, note_with(lines), trial=False))
    assert reply.document is not None
    assert reply.document.filename == "note-4.txt"
    assert reply.document.content.decode() == "\n".join(lines)
    assert len(reply.texts) == 1
    assert "1,000 lines" in reply.texts[0]  # numbers formatted for the language


def test_note_view_marks_pending_lines_and_hides_dropped() -> None:
    note = Note(
        8,
        5,
        5,
        "<Plan>",
        NOW,
        [
            make_line(0, "kept", LineState.KEPT),
            make_line(1, "gone", LineState.DROPPED),
            make_line(2, "maybe", LineState.PENDING),
        ],
    )
    text = "\n".join(fit(messages.note_view(EN, note)).texts)
    assert "&lt;Plan&gt;" in text
    assert "kept\n⚠️ maybe" in text
    assert "gone" not in text
    assert "1 awaiting review" in text


def test_notes_list_and_paging_label() -> None:
    notes = [note_with(["a"]), note_with(["b"])]
    text = messages.notes_list(EN, notes, Page.of(1, 2, 5))
    assert "Your notes</b> (5) (page 2 of 3)" in text
    assert messages.notes_list(EN, [], Page.of(0, 5, 0)) == EN(messages.NO_NOTES)


def test_one_message_is_cut_at_a_line_with_a_notice_counting_as_telegram_does() -> None:
    """An inline result's text: one message whatever the note's length (Telegram counts the
    rendered text in UTF-16 units: `&lt;` is one character, an emoji two)."""
    short = messages.LongText("<b>Title</b>", "a < b\nline two", notice="[cut]")
    assert fit_one(short) == "<b>Title</b>\na &lt; b\nline two"
    lines = [f"😀 {i:03d} <tag> " + "w" * 50 for i in range(200)]  # ~13k units
    cut = fit_one(messages.LongText("<b>Title</b>", "\n".join(lines), notice="[cut]"))
    plain = html.unescape(cut.replace("<b>", "").replace("</b>", ""))
    assert utf16_len(plain) <= TELEGRAM_TEXT_LIMIT
    assert utf16_len(plain) > TELEGRAM_TEXT_LIMIT - 100  # as much as fits
    assert plain.startswith("Title\n😀 000 <tag> ")
    assert plain.endswith("\n[cut]")
    kept = plain.split("\n")[1:-1]
    assert kept == lines[: len(kept)]  # whole lines, in order
    assert messages.shared_note(EN, note_with([])).body == "(empty)"


def test_html_too_long_for_one_caption_is_shortened_visibly_with_its_tags_closed() -> None:
    """Issue 19.3: a caption (1,024 units) or an edit can't be split: what doesn't fit is cut,
    ending with "…", counted after Telegram parses the HTML (`&lt;` is one unit, an emoji
    two), and still valid HTML."""
    prompt = "❓ Line 1 · 40%\n<code>" + html.escape("<b> & " + "😀" * 800) + "</code>"
    assert rendered_length(prompt) > CAPTION_LIMIT
    short = shorten_html(prompt, CAPTION_LIMIT)
    assert rendered_length(short) <= CAPTION_LIMIT
    assert rendered_length(short) >= CAPTION_LIMIT - 2  # as much as fits
    assert short.startswith("❓ Line 1 · 40%\n<code>&lt;b&gt; &amp; 😀")
    assert short.endswith("😀…</code>")
    assert shorten_html("<b>fits</b> &amp; more", CAPTION_LIMIT) == "<b>fits</b> &amp; more"
    nested = shorten_html("<b>bold <i>" + "x" * 50 + "</i></b> tail", 20)
    assert nested == "<b>bold <i>" + "x" * 14 + "…</i></b>"


def test_one_length_everywhere_telegrams() -> None:
    assert telegram_length("a😀é") == 4
    assert shorten("😀" * 10, 5) == "😀😀…"
    assert shorten("abc", 3) == "abc"
    assert prefix_within("😀😀", 3) == "😀"  # never half an emoji
    long_prompt = replace(make_line(0, "😀" * 1000, LineState.PENDING), text="😀" * 1000)
    assert rendered_length(messages.review_prompt(EN, long_prompt)) <= CAPTION_LIMIT
    assert rendered_length(messages.review_done(EN, long_prompt)) <= CAPTION_LIMIT
