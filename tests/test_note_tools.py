"""Telegram-free parts of note management: paging, export files, languages, user input."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.export import ExportFormat, fit_for_upload, write_export
from bot.domain.i18n import ENGLISH as EN
from bot.domain.languages import find_language, label, language_page
from bot.domain.metrics import summarize
from bot.domain.models import ConfidenceSource, Line, LineState, Note
from bot.domain.paging import Page
from bot.domain.review import Refusal, TextRejected, clean_title, parse_threshold

NOW = datetime(2026, 11, 24, 10, 2, tzinfo=UTC)


def line(position: int, text: str, state: LineState = LineState.ACCEPTED) -> Line:
    return Line(position, 1, position, text, text, 0.9, ConfidenceSource.ENGINE, state)


def note(note_id: int, *texts: str, title: str | None = None) -> Note:
    return Note(note_id, 5, 5, title, NOW, [line(i, t) for i, t in enumerate(texts)])


@pytest.mark.parametrize(
    ("number", "total", "expected"),
    [
        (0, 0, (0, 1, False, False)),
        (0, 12, (0, 3, False, True)),
        (2, 12, (2, 3, True, False)),
        (9, 12, (2, 3, True, False)),
        (-1, 12, (0, 3, False, True)),
        (1, 10, (1, 2, True, False)),
    ],
)
def test_page_clamps_and_counts(number: int, total: int, expected: tuple) -> None:
    page = Page.of(number, 5, total)
    assert (page.number, page.count, page.has_prev, page.has_next) == expected
    assert page.offset == page.number * 5


async def notes_of(*notes: Note):
    for item in notes:
        yield item


@pytest.mark.asyncio
async def test_markdown_export_escapes_recognized_text() -> None:
    out = io.StringIO()
    pending = Note(2, 5, 5, None, NOW, [line(0, "maybe", LineState.PENDING)])
    count = await write_export(
        notes_of(note(1, "# not a heading", "*x*", title="Plan"), pending),
        ExportFormat.MARKDOWN,
        out,
        exported_at=NOW,
        t=EN,
    )
    text = out.getvalue()
    assert count == 2
    assert "## Plan" in text
    assert "\\# not a heading" in text
    assert "\\*x\\*" in text
    assert "## Note \\#2" in text
    assert "maybe *(not reviewed yet)*" in text


@pytest.mark.asyncio
async def test_json_export_is_valid_and_complete() -> None:
    out = io.StringIO()
    dropped = Note(3, 5, 5, "t", NOW, [line(0, "a"), line(1, "b", LineState.DROPPED)])
    await write_export(
        notes_of(note(1, 'quote " and \\\\'), dropped),
        ExportFormat.JSON,
        out,
        exported_at=NOW,
        t=EN,
    )
    data = json.loads(out.getvalue())
    assert [n["id"] for n in data["notes"]] == [1, 3]
    assert data["notes"][0]["text"] == 'quote " and \\\\'
    assert data["notes"][1]["text"] == "a"  # dropped lines are not the note's text...
    assert [ln["state"] for ln in data["notes"][1]["lines"]] == [
        "accepted",
        "dropped",
    ]  # ...but kept


@pytest.mark.asyncio
async def test_empty_json_export_is_valid() -> None:
    out = io.StringIO()
    assert await write_export(notes_of(), ExportFormat.JSON, out, exported_at=NOW, t=EN) == 0
    assert json.loads(out.getvalue())["notes"] == []


@pytest.mark.asyncio
async def test_text_export_has_every_note() -> None:
    out = io.StringIO()
    await write_export(
        notes_of(note(1, "alpha"), note(2, "beta", title="B")),
        ExportFormat.TEXT,
        out,
        exported_at=NOW,
        t=EN,
    )
    assert "Note #1" in out.getvalue()
    assert "alpha" in out.getvalue()
    assert "B\nNote #2" in out.getvalue()


def test_large_file_is_zipped_and_huge_file_refused(tmp_path: Path) -> None:
    small = tmp_path / "small.txt"
    small.write_text("hello")
    assert fit_for_upload(small, limit=100) == small
    big = tmp_path / "big.txt"
    big.write_text("the same words again " * 1000)  # compresses well
    packed = fit_for_upload(big, limit=5000)
    assert packed is not None
    assert packed.name == "big.txt.zip"
    with zipfile.ZipFile(packed) as archive:
        assert archive.read("big.txt") == big.read_bytes()
    noise = tmp_path / "noise.bin"
    noise.write_bytes(os.urandom(20000))  # random bytes do not compress
    assert fit_for_upload(noise, limit=5000) is None


def test_language_pages_and_lookup() -> None:
    available = ["ENG", "DEU", "FRA", "ALN", "LATIN", "HBS"]
    first = language_page(available, 0, EN)
    assert first.codes == ["ENG", "DEU", "FRA"]  # common ones first, in COMMON order
    assert first.pages == 2
    everything = language_page(available, 1, EN)
    assert sorted(everything.codes) == sorted(available)
    assert language_page(available, 99, EN).page == 1
    assert find_language(available, "german", EN) == "DEU"
    assert find_language(available, " deu ", EN) == "DEU"
    assert find_language(available, "Klingon", EN) is None
    assert find_language(available, "", EN) is None
    assert label("ALN", EN) == "Gheg Albanian (ALN)"
    assert label("LATIN", EN) == "Latin script (LATIN)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60", 60.0),
        ("72.5%", 72.5),
        (" 0 ", 0.0),
        ("100", 100.0),
        ("101", None),
        ("-1", None),
        ("nan", None),
        ("sixty", None),
        ("", None),
    ],
)
def test_parse_threshold(text: str, expected: float | None) -> None:
    assert parse_threshold(text) == expected


def test_clean_title() -> None:
    assert clean_title("  Shopping\n list ") == "Shopping list"
    with pytest.raises(TextRejected) as empty:
        clean_title("   ")
    assert empty.value.reason is Refusal.EMPTY_TITLE
    with pytest.raises(TextRejected) as long:
        clean_title("x" * 101)
    assert long.value.reason is Refusal.LONG_TITLE


def test_duration_summary() -> None:
    assert summarize([]).p50 is None
    assert summarize([2.0]).p95 == 2.0
    summary = summarize([float(n) for n in range(1, 101)])
    assert summary.count == 100
    assert summary.p50 == pytest.approx(50.5)
    assert summary.p95 == pytest.approx(95.05)
