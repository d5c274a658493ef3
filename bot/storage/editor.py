"""Saving a note edited as a whole in the Mini App, and what the chat must do after it.

`save_edits` runs in one transaction: the version check, every line's new text, state and
place (added lines inserted), the title, the search row, the retype waits of lines no longer
pending, the new version, and an `editor_saves` row saying what the chat must do afterwards
(the review prompts the save settled, to be closed; the note, to be sent). The bot does that
after the commit and deletes the row; rows left by a crash are done at the next start
(`Storage.unfinished_saves`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.domain.editor import NoteEdit, PlannedLine, plan
from bot.domain.models import ConfidenceSource, Line, LineState, Note
from bot.storage.database import Connection, changes, fetch_all, now
from bot.storage.errors import NoteNotFound, StaleVersion
from bot.storage.notes import owned_note


@dataclass(frozen=True)
class ClosedPrompt:
    """A review prompt in the chat whose line the editor settled: its buttons must go."""

    line_id: int
    message_id: int


@dataclass(frozen=True)
class EditorSave:
    """What the chat still has to do after a save (`editor_saves` row)."""

    id: int
    user_id: int
    note_id: int
    version: int
    locale: str | None
    closed_prompts: tuple[ClosedPrompt, ...]


@dataclass(frozen=True)
class Saved:
    note: Note  # as the save left it
    save: EditorSave
    settled: tuple[Line, ...]  # the lines that were pending before, as they are now


async def _write_line(db: Connection, note_id: int, line: PlannedLine, stamp: str) -> None:
    if line.line_id is None:
        await db.execute(
            "INSERT INTO lines (note_id, position, text, original_text, confidence, "
            "confidence_source, state, updated_at, page) VALUES (?, ?, ?, '', 1.0, ?, ?, ?, ?)",
            (
                note_id,
                line.position,
                line.text,
                str(ConfidenceSource.USER),
                str(line.state),
                stamp,
                line.page,
            ),
        )
        return
    await db.execute(
        "UPDATE lines SET position = ?, text = ?, state = ?, page = ?, updated_at = ? "
        "WHERE id = ? AND note_id = ?",
        (line.position, line.text, str(line.state), line.page, stamp, line.line_id, note_id),
    )


async def save_edits(
    db: Connection, user_id: int, note_id: int, edit: NoteEdit, locale: str | None
) -> Saved:
    """Apply `edit` to the user's note inside the caller's write transaction.

    NoteNotFound (missing, or not theirs), StaleVersion (changed since the page opened it:
    nothing is written), EditRejected (the save doesn't fit the note).
    """
    note = await owned_note(db, user_id, note_id)
    if note is None:
        raise NoteNotFound(note_id)
    if note.version != edit.version:
        raise StaleVersion(note)
    planned = plan(note, edit)
    stamp = now()
    for line in planned:
        await _write_line(db, note_id, line, stamp)
    bumped = await changes(
        db,
        "UPDATE notes SET title = ?, version = version + 1 WHERE id = ? AND user_id = ? "
        "AND version = ?",
        (edit.title, note_id, user_id, edit.version),
    )
    assert bumped == 1  # checked above, in this same transaction
    after = {line.line_id: line.state for line in planned if line.line_id is not None}
    was_pending = [line for line in note.lines if line.state is LineState.PENDING]
    settled = [line for line in was_pending if after[line.id] is not LineState.PENDING]
    if settled:
        marks = ",".join("?" * len(settled))
        await db.execute(
            f"DELETE FROM retype_waits WHERE line_id IN ({marks})", [line.id for line in settled]
        )
    prompts = tuple(
        ClosedPrompt(line.id, line.review_message_id)
        for line in settled
        if line.review_message_id is not None
    )
    async with db.execute(
        "INSERT INTO editor_saves (note_id, user_id, version, closed_prompts, locale, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            note_id,
            user_id,
            edit.version + 1,
            json.dumps([[p.line_id, p.message_id] for p in prompts]),
            locale,
            stamp,
        ),
    ) as cursor:
        save_id = cursor.lastrowid
    assert save_id is not None
    saved = await owned_note(db, user_id, note_id)
    assert saved is not None
    by_id = {line.id: line for line in saved.lines}
    save = EditorSave(save_id, user_id, note_id, edit.version + 1, locale, prompts)
    return Saved(saved, save, tuple(by_id[line.id] for line in settled))


async def unfinished_saves(db: Connection) -> list[EditorSave]:
    """Saves whose chat side was not done (the bot stopped in between), oldest first."""
    rows = await fetch_all(
        db,
        "SELECT id, user_id, note_id, version, locale, closed_prompts FROM editor_saves "
        "ORDER BY id",
    )
    return [
        EditorSave(
            row["id"],
            row["user_id"],
            row["note_id"],
            row["version"],
            row["locale"],
            tuple(ClosedPrompt(int(a), int(b)) for a, b in json.loads(row["closed_prompts"])),
        )
        for row in rows
    ]
