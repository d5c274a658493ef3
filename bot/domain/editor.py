"""A note edited as a whole in the Mini App: what a save may hold and what becomes of each line.

A save lists every line of the note once, in the new order, each with its text and whether it
is dropped (or, for a flagged line, kept as it reads), plus the lines the user added, and the
title. Free of Telegram, HTTP and SQL, so the rules are tested directly; storage applies the
plan in one transaction, after checking the version the page was opened on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.lengths import telegram_length
from bot.domain.models import Line, LineState, Note
from bot.domain.review import MAX_RETYPE_CHARS, TITLE_LIMIT

MAX_EDITOR_LINES = 1000  # a page of notes has tens; an album of ten pages a few hundred


class EditRefusal(StrEnum):
    """Why a save is refused as sent (the page prevents each; a forged request meets them)."""

    MALFORMED = "malformed"  # not the shape the page sends
    LINES_CHANGED = "lines_changed"  # not every line of the note exactly once
    EMPTY_LINE = "empty_line"
    LONG_LINE = "long_line"
    LONG_TITLE = "long_title"
    TOO_MANY_LINES = "too_many_lines"


class EditRejected(ValueError):
    def __init__(self, reason: EditRefusal) -> None:
        super().__init__(str(reason))
        self.reason = reason


@dataclass(frozen=True)
class LineEdit:
    line_id: int | None  # None: a line the user added (a word the engine missed)
    text: str
    drop: bool = False
    keep: bool = False  # a flagged line confirmed as it reads


@dataclass(frozen=True)
class NoteEdit:
    version: int  # the note's version the page was opened on
    title: str | None
    lines: tuple[LineEdit, ...]


@dataclass(frozen=True)
class PlannedLine:
    """One line as the save leaves it: `line_id` None is inserted."""

    line_id: int | None
    position: int
    text: str
    state: LineState
    page: int


def one_line(text: str) -> str:
    """A line's text as stored: whitespace (pasted newlines too) collapsed to single spaces."""
    return " ".join(text.split())


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):  # JSON true is an int in Python
        raise EditRejected(EditRefusal.MALFORMED)
    return value


def _line_edit(data: object) -> LineEdit:
    if not isinstance(data, dict):
        raise EditRejected(EditRefusal.MALFORMED)
    raw_id, text = data.get("id"), data.get("text")
    drop, keep = data.get("drop", False), data.get("keep", False)
    if not isinstance(text, str) or not isinstance(drop, bool) or not isinstance(keep, bool):
        raise EditRejected(EditRefusal.MALFORMED)
    if len(text) > 4 * MAX_RETYPE_CHARS:  # before collapsing: bound the work too
        raise EditRejected(EditRefusal.LONG_LINE)
    cleaned = one_line(text)
    if telegram_length(cleaned) > MAX_RETYPE_CHARS:  # as the chat counts it (and the page)
        raise EditRejected(EditRefusal.LONG_LINE)
    line_id = None if raw_id is None else _integer(raw_id)
    if not cleaned and not drop:
        raise EditRejected(EditRefusal.EMPTY_LINE)
    return LineEdit(line_id, cleaned, drop, keep)


def parse_edit(data: object) -> NoteEdit:
    """A save as the page sends it (JSON); EditRejected when it isn't one."""
    if not isinstance(data, dict):
        raise EditRejected(EditRefusal.MALFORMED)
    version, lines, title = data.get("version"), data.get("lines"), data.get("title")
    if not isinstance(lines, list) or not (title is None or isinstance(title, str)):
        raise EditRejected(EditRefusal.MALFORMED)
    if len(lines) > MAX_EDITOR_LINES:
        raise EditRejected(EditRefusal.TOO_MANY_LINES)
    cleaned_title = one_line(title or "") or None
    if cleaned_title is not None and telegram_length(cleaned_title) > TITLE_LIMIT:
        raise EditRejected(EditRefusal.LONG_TITLE)
    return NoteEdit(_integer(version), cleaned_title, tuple(_line_edit(line) for line in lines))


def _state(line: Line | None, edit: LineEdit) -> LineState:
    if edit.drop:
        return LineState.DROPPED
    if line is None or edit.text != line.text:
        return LineState.RETYPED
    if line.state is LineState.PENDING:
        return LineState.KEPT if edit.keep else LineState.PENDING
    if line.state is LineState.DROPPED:  # restored as it read when dropped
        return LineState.KEPT if line.text == line.original_text else LineState.RETYPED
    return line.state


def plan(note: Note, edit: NoteEdit) -> list[PlannedLine]:
    """What each line becomes, in the new order; LINES_CHANGED unless the save lists every
    line of the note exactly once (ids of other notes' lines included: they are refused).

    A dropped line keeps its text (typed or not) so that restoring it later shows it; a line
    added and dropped in the same save is not stored at all.
    """
    existing = {line.id: line for line in note.lines}
    listed = [line_edit.line_id for line_edit in edit.lines if line_edit.line_id is not None]
    if sorted(listed) != sorted(existing) or len(set(listed)) != len(listed):
        raise EditRejected(EditRefusal.LINES_CHANGED)
    planned: list[PlannedLine] = []
    page = 0
    for line_edit in edit.lines:
        line = existing.get(line_edit.line_id) if line_edit.line_id is not None else None
        if line is None and line_edit.drop:
            continue
        page = line.page if line is not None else page  # an added line joins its neighbour's
        text = line_edit.text or (line.text if line is not None else "")
        planned.append(
            PlannedLine(line_edit.line_id, len(planned), text, _state(line, line_edit), page)
        )
    return planned
