"""What a save in the editor makes of each line (bot.domain.editor), without storage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.editor import EditRefusal, EditRejected, LineEdit, NoteEdit, parse_edit, plan
from bot.domain.models import ConfidenceSource, Line, LineState, Note


def line(line_id: int, text: str, state: LineState, *, original: str | None = None, page=0):
    return Line(
        line_id,
        note_id=1,
        position=line_id - 1,
        text=text,
        original_text=original if original is not None else text,
        confidence=0.5,
        confidence_source=ConfidenceSource.CALIBRATED,
        state=state,
        page=page,
    )


NOTE = Note(
    1,
    user_id=7,
    chat_id=7,
    title="t",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    lines=[
        line(1, "acepted", LineState.ACCEPTED),
        line(2, "pending", LineState.PENDING),
        line(3, "pending too", LineState.PENDING),
        line(4, "dropped", LineState.DROPPED),
        line(5, "retyped", LineState.DROPPED, original="retipd"),
        line(6, "other page", LineState.ACCEPTED, page=1),
    ],
    version=3,
)


def edit(*lines: LineEdit, title: str | None = "t") -> NoteEdit:
    return NoteEdit(3, title, lines)


def test_each_line_becomes_what_the_user_made_of_it():
    planned = plan(
        NOTE,
        edit(
            LineEdit(2, "pending", keep=True),  # kept as it reads
            LineEdit(1, "accepted"),  # corrected
            LineEdit(3, "pending too"),  # left for later
            LineEdit(None, "a missed word"),  # added after a line of page 0
            LineEdit(4, "dropped"),  # restored as it was read
            LineEdit(5, "retyped"),  # restored, but it was a correction
            LineEdit(6, "", drop=True),  # dropped: the text stays for a later restore
            LineEdit(None, "added on page 1"),
            LineEdit(None, "never mind", drop=True),  # added and dropped: not stored
        ),
    )
    assert [(p.line_id, p.position, p.text, p.state, p.page) for p in planned] == [
        (2, 0, "pending", LineState.KEPT, 0),
        (1, 1, "accepted", LineState.RETYPED, 0),
        (3, 2, "pending too", LineState.PENDING, 0),
        (None, 3, "a missed word", LineState.RETYPED, 0),
        (4, 4, "dropped", LineState.KEPT, 0),
        (5, 5, "retyped", LineState.RETYPED, 0),
        (6, 6, "other page", LineState.DROPPED, 1),
        (None, 7, "added on page 1", LineState.RETYPED, 1),
    ]


@pytest.mark.parametrize(
    "lines",
    [
        [1, 2, 3, 4, 5],  # one missing
        [1, 2, 3, 4, 5, 6, 6],  # one twice
        [1, 2, 3, 4, 5, 6, 99],  # someone else's
    ],
)
def test_a_save_must_list_every_line_once(lines):
    with pytest.raises(EditRejected) as rejected:
        plan(NOTE, edit(*(LineEdit(i, "x") for i in lines)))
    assert rejected.value.reason is EditRefusal.LINES_CHANGED


def test_the_page_json_is_read_strictly():
    parsed = parse_edit(
        {
            "version": 3,
            "title": "  Two   words ",
            "lines": [
                {"id": 1, "text": " a \n b ", "drop": False, "keep": True},
                {"id": None, "text": "c"},
            ],
        }
    )
    assert parsed == NoteEdit(
        3, "Two words", (LineEdit(1, "a b", False, True), LineEdit(None, "c"))
    )
    assert parse_edit({"version": 3, "title": "   ", "lines": []}).title is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([], EditRefusal.MALFORMED),
        ({"version": True, "title": None, "lines": []}, EditRefusal.MALFORMED),
        ({"version": 1, "title": 5, "lines": []}, EditRefusal.MALFORMED),
        ({"version": 1, "title": None, "lines": {}}, EditRefusal.MALFORMED),
        ({"version": 1, "title": None, "lines": [{"id": "1", "text": "x"}]}, EditRefusal.MALFORMED),
        ({"version": 1, "title": None, "lines": [{"id": 1}]}, EditRefusal.MALFORMED),
        ({"version": 1, "title": None, "lines": [{"id": 1, "text": " "}]}, EditRefusal.EMPTY_LINE),
        (
            {"version": 1, "title": None, "lines": [{"id": 1, "text": "x" * 1001}]},
            EditRefusal.LONG_LINE,
        ),
        (
            {"version": 1, "title": None, "lines": [{"id": 1, "text": "🙂" * 501}]},
            EditRefusal.LONG_LINE,
        ),
        ({"version": 1, "title": "x" * 101, "lines": []}, EditRefusal.LONG_TITLE),
        ({"version": 1, "title": "🙂" * 51, "lines": []}, EditRefusal.LONG_TITLE),
        (
            {"version": 1, "title": None, "lines": [{"id": None, "text": "x"}] * 1001},
            EditRefusal.TOO_MANY_LINES,
        ),
    ],
)
def test_what_the_page_never_sends_is_refused(data, reason):
    with pytest.raises(EditRejected) as rejected:
        parse_edit(data)
    assert rejected.value.reason is reason
