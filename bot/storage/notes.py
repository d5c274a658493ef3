"""Notes and their lines: reading them, and the in-transaction steps that write them.

Every query is scoped to the owner in SQL, so a forged or replayed id from another user finds
nothing rather than someone else's note. Writes that touch other tables too (creating a note,
resolving a line, deleting) are composed in `bot.storage.Storage`, in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

from bot.domain.models import ConfidenceSource, Line, LineDraft, LineState, Note, Page
from bot.storage.database import (
    Connection,
    Database,
    changes,
    fetch_all,
    fetch_one,
    now,
    parse_time,
)
from bot.storage.errors import LineAlreadyResolved, LineNotFound

LINE_COLUMNS = (
    "l.id, l.note_id, l.position, l.text, l.original_text, l.confidence, "
    "l.confidence_source, l.state, l.review_message_id, l.page, l.box_x, l.box_y, l.box_w, "
    "l.box_h"
)
NOTE_COLUMNS = "id, user_id, chat_id, title, created_at, version"
OWNED_NOTE_IDS = "SELECT id FROM notes WHERE user_id = ?"


def line_from_row(row: sqlite3.Row) -> Line:
    return Line(
        id=row["id"],
        note_id=row["note_id"],
        position=row["position"],
        text=row["text"],
        original_text=row["original_text"],
        confidence=row["confidence"],
        confidence_source=ConfidenceSource(row["confidence_source"]),
        state=LineState(row["state"]),
        review_message_id=row["review_message_id"],
        page=row["page"],
        box=None
        if row["box_x"] is None
        else (row["box_x"], row["box_y"], row["box_w"], row["box_h"]),
    )


# --- steps inside a transaction (the caller holds it) ---


async def owned_line(db: Connection, user_id: int, line_id: int) -> Line | None:
    row = await fetch_one(
        db,
        f"SELECT {LINE_COLUMNS} FROM lines l JOIN notes n ON n.id = l.note_id "
        "WHERE l.id = ? AND n.user_id = ?",
        (line_id, user_id),
    )
    return line_from_row(row) if row else None


async def owned_pending_line(db: Connection, user_id: int, line_id: int) -> Line:
    """The user's line that still waits for review: LineNotFound if it isn't theirs (or is
    gone), LineAlreadyResolved if it was decided already."""
    line = await owned_line(db, user_id, line_id)
    if line is None:
        raise LineNotFound(line_id)
    if line.state is not LineState.PENDING:
        raise LineAlreadyResolved(line)
    return line


async def with_lines(db: Connection, note_rows: list[sqlite3.Row]) -> list[Note]:
    """Attach lines (in reading order) to note rows, keeping the rows' order."""
    if not note_rows:
        return []
    ids = [row["id"] for row in note_rows]
    marks = ",".join("?" * len(ids))
    line_rows = await fetch_all(
        db,
        f"SELECT {LINE_COLUMNS} FROM lines l WHERE l.note_id IN ({marks}) "
        "ORDER BY l.note_id, l.position",
        ids,
    )
    by_note: dict[int, list[Line]] = {note_id: [] for note_id in ids}
    for row in line_rows:
        by_note[row["note_id"]].append(line_from_row(row))
    page_rows = await fetch_all(
        db,
        f"SELECT note_id, file_id, as_file FROM note_pages WHERE note_id IN ({marks}) "
        "ORDER BY note_id, position",
        ids,
    )
    pages: dict[int, list[Page]] = {note_id: [] for note_id in ids}
    for row in page_rows:
        pages[row["note_id"]].append(Page(row["file_id"], bool(row["as_file"])))
    return [
        Note(
            id=row["id"],
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            title=row["title"],
            created_at=parse_time(row["created_at"]),
            lines=by_note[row["id"]],
            pages=pages[row["id"]],
            version=row["version"],
        )
        for row in note_rows
    ]


async def owned_note(db: Connection, user_id: int, note_id: int) -> Note | None:
    row = await fetch_one(
        db, f"SELECT {NOTE_COLUMNS} FROM notes WHERE id = ? AND user_id = ?", (note_id, user_id)
    )
    notes = await with_lines(db, [row] if row else [])
    return notes[0] if notes else None


async def insert_note(
    db: Connection,
    *,
    user_id: int,
    chat_id: int,
    lines: list[LineDraft],
    pages: list[Page],
    title: str | None,
    file_unique_id: str | None,
    engine_mode: str,
    created_at: str,
) -> int:
    """The note row, its lines and its pages; returns the note's id."""
    async with db.execute(
        "INSERT INTO notes (user_id, chat_id, title, file_unique_id, engine_mode, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, chat_id, title, file_unique_id, engine_mode, created_at),
    ) as cursor:
        note_id = cursor.lastrowid
    assert note_id is not None
    await db.executemany(
        "INSERT INTO lines (note_id, position, text, original_text, confidence, "
        "confidence_source, state, updated_at, page, box_x, box_y, box_w, box_h) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                note_id,
                position,
                draft.text,
                draft.text,
                float(draft.confidence),
                str(draft.confidence_source),
                str(draft.state),
                created_at,
                draft.page,
                *(draft.box or (None, None, None, None)),
            )
            for position, draft in enumerate(lines)
        ],
    )
    await db.executemany(
        "INSERT INTO note_pages (note_id, position, file_id, as_file) VALUES (?, ?, ?, ?)",
        [(note_id, position, page.file_id, page.as_file) for position, page in enumerate(pages)],
    )
    return note_id


async def set_title(db: Connection, user_id: int, note_id: int, title: str | None) -> bool:
    changed = await changes(
        db,
        "UPDATE notes SET title = ?, version = version + 1 WHERE id = ? AND user_id = ?",
        (title, note_id, user_id),
    )
    return changed > 0


async def bump_version(db: Connection, note_id: int) -> None:
    """Every change to a note's lines or title makes a new version (in the change's own
    transaction): an editor save opened on an older one is refused, never applied over it."""
    await db.execute("UPDATE notes SET version = version + 1 WHERE id = ?", (note_id,))


async def delete_note(db: Connection, user_id: int, note_id: int) -> bool:
    """Delete the user's note (lines, pages and waits cascade; its jobs forget the photos'
    file ids); False if not theirs or missing."""
    await db.execute(
        "UPDATE jobs SET file_id = '' WHERE note_id = ? AND user_id = ?", (note_id, user_id)
    )
    deleted = await changes(
        db, "DELETE FROM notes WHERE id = ? AND user_id = ?", (note_id, user_id)
    )
    return deleted > 0


# --- reads and single-table writes ---


class Notes:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int, note_id: int) -> Note | None:
        """The note with its lines, or None if it is missing or not this user's."""
        async with self._db.read() as db:
            return await owned_note(db, user_id, note_id)

    async def several(self, user_id: int, note_ids: list[int]) -> list[Note]:
        """The user's notes among `note_ids`, in that order (ids of other users' notes, or
        of deleted ones, are left out)."""
        if not note_ids:
            return []
        marks = ",".join("?" * len(note_ids))
        async with self._db.read() as db:
            rows = await fetch_all(
                db,
                f"SELECT {NOTE_COLUMNS} FROM notes WHERE user_id = ? AND id IN ({marks})",
                (user_id, *note_ids),
            )
            notes = {note.id: note for note in await with_lines(db, rows)}
        return [notes[note_id] for note_id in note_ids if note_id in notes]

    async def find_by_file(self, user_id: int, file_unique_id: str) -> Note | None:
        """The user's most recent note from this exact file (to spot a re-sent photo)."""
        async with self._db.read() as db:
            row = await fetch_one(
                db,
                f"SELECT {NOTE_COLUMNS} FROM notes WHERE user_id = ? AND file_unique_id = ? "
                "ORDER BY created_at DESC, id DESC LIMIT 1",
                (user_id, file_unique_id),
            )
            notes = await with_lines(db, [row] if row else [])
        return notes[0] if notes else None

    async def page(self, user_id: int, *, limit: int = 10, offset: int = 0) -> list[Note]:
        """One page of the user's notes, newest first."""
        async with self._db.read() as db:
            rows = await fetch_all(
                db,
                f"SELECT {NOTE_COLUMNS} FROM notes WHERE user_id = ? "
                "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                (user_id, limit, offset),
            )
            return await with_lines(db, rows)

    async def count(self, user_id: int) -> int:
        async with self._db.read() as db:
            row = await fetch_one(db, "SELECT count(*) FROM notes WHERE user_id = ?", (user_id,))
        return int(row[0])

    async def every(self, user_id: int, *, batch: int = 200) -> AsyncIterator[Note]:
        """Every note of the user, newest first, a batch at a time (exports of any size).

        Keyset paging on the id, so notes added or deleted meanwhile never shift a batch.
        """
        before: int | None = None
        while True:
            async with self._db.read() as db:
                rows = await fetch_all(
                    db,
                    f"SELECT {NOTE_COLUMNS} FROM notes "
                    "WHERE user_id = ? AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?",
                    (user_id, before, before, batch),
                )
                notes = await with_lines(db, rows)
            for note in notes:
                yield note
            if len(notes) < batch:
                return
            before = notes[-1].id

    async def line(self, user_id: int, line_id: int) -> Line | None:
        async with self._db.read() as db:
            return await owned_line(db, user_id, line_id)

    async def line_by_review_message(
        self, user_id: int, chat_id: int, message_id: int
    ) -> Line | None:
        """The line a review message asks about, whatever its state (the caller reports that)."""
        async with self._db.read() as db:
            row = await fetch_one(
                db,
                f"SELECT {LINE_COLUMNS} FROM lines l JOIN notes n ON n.id = l.note_id "
                "WHERE l.review_message_id = ? AND n.user_id = ? AND n.chat_id = ? "
                "ORDER BY l.id DESC LIMIT 1",
                (message_id, user_id, chat_id),
            )
        return line_from_row(row) if row else None

    async def set_review_message(self, user_id: int, line_id: int, message_id: int) -> bool:
        """Remember which message asks about the line, so a reply to it retypes that line.

        Returns False (rather than raising) if the line is gone, e.g. the note was deleted
        while its review messages were being sent.
        """
        async with self._db.write(background=True) as db:
            changed = await changes(
                db,
                "UPDATE lines SET review_message_id = ?, updated_at = ? "
                f"WHERE id = ? AND note_id IN ({OWNED_NOTE_IDS})",
                (message_id, now(), line_id, user_id),
            )
        return changed > 0
