"""`Storage`: the database with one repository per concern, and the operations that span
tables, each in one transaction (a note with its lines, search row and job links; a resolved
line with its search row and waits; a deleted note or user with everything that hangs on it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

from bot.domain.editor import NoteEdit
from bot.domain.models import Line, LineDraft, LineState, MessageRef, Note, Page, ReviewAction
from bot.storage import editor as editor_rows
from bot.storage import notes as note_rows
from bot.storage import search as search_rows
from bot.storage.database import Connection, Database, changes, fetch_one, now
from bot.storage.editor import EditorSave, Saved
from bot.storage.errors import (
    AlreadyHandled,
    JobNotFound,
    NoteNotFound,
)
from bot.storage.jobs import Jobs
from bot.storage.notes import OWNED_NOTE_IDS, Notes, owned_line, owned_note, owned_pending_line
from bot.storage.search import Search
from bot.storage.users import Users

_NEW_STATE = {
    ReviewAction.KEEP: LineState.KEPT,
    ReviewAction.DROP: LineState.DROPPED,
    ReviewAction.RETYPE: LineState.RETYPED,
}


async def _record_handled(db: Connection, user_id: int, source: MessageRef | None) -> None:
    """Record the message that asked for a change, in the change's own transaction; raise
    AlreadyHandled if it was recorded before (Telegram delivered the update again)."""
    if source is None:
        return
    inserted = await changes(
        db,
        "INSERT INTO handled_messages (chat_id, message_id, user_id, created_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (source.chat_id, source.message_id, user_id, now()),
    )
    if not inserted:
        raise AlreadyHandled(source)


class Storage:
    """Open with `await Storage.open(path)`; use `jobs`, `notes`, `search` and `users` for one
    concern, and the methods here for what spans several."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.jobs = Jobs(db)
        self.notes = Notes(db)
        self.search = Search(db)
        self.users = Users(db)

    @classmethod
    async def open(cls, path: str | Path) -> Storage:
        """Open (creating if needed) and migrate; any failure is one clear StorageError."""
        return cls(await Database.open(path))

    @property
    def path(self) -> Path:
        return self.db.path

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def create_note(
        self,
        *,
        user_id: int,
        chat_id: int,
        lines: list[LineDraft],
        pages: Sequence[Page] = (),
        title: str | None = None,
        file_unique_id: str | None = None,
        engine_mode: str = "licensed",
        job_ids: Iterable[int] = (),
    ) -> Note:
        """Note, lines, search row and job link(s) in one transaction: all or nothing.

        Linking the jobs lets a resumed job deliver this note instead of running OCR again.
        """
        stamp = now()
        linked = list(job_ids)
        async with self.db.write(background=True) as db:
            if linked:
                # The user may have used /forget while the photo was being read: then the
                # jobs are gone and the note must not come back to life.
                marks = ",".join("?" * len(linked))
                row = await fetch_one(
                    db,
                    f"SELECT count(*) FROM jobs WHERE id IN ({marks}) AND user_id = ?",
                    (*linked, user_id),
                )
                if row[0] == 0:
                    raise JobNotFound(linked[0])
            note_id = await note_rows.insert_note(
                db,
                user_id=user_id,
                chat_id=chat_id,
                lines=lines,
                pages=list(pages),
                title=title,
                file_unique_id=file_unique_id,
                engine_mode=engine_mode,
                created_at=stamp,
            )
            await search_rows.refresh(db, note_id)
            await db.executemany(
                "UPDATE jobs SET note_id = ?, updated_at = ? WHERE id = ? AND user_id = ?",
                [(note_id, stamp, job_id, user_id) for job_id in linked],
            )
            note = await owned_note(db, user_id, note_id)
        assert note is not None
        return note

    async def resolve_line(
        self,
        user_id: int,
        line_id: int,
        action: ReviewAction,
        text: str | None = None,
        *,
        source: MessageRef | None = None,
    ) -> tuple[Line, Note]:
        """Apply the user's decision to a pending line; returns the line and the updated note.

        Raises LineNotFound (missing or not theirs), LineAlreadyResolved (a second tap, or
        a retype racing a button) or AlreadyHandled (`source`, the message that carried the
        retyped text, was applied before). RETYPE needs `text`.
        """
        action = ReviewAction(action)
        if action is ReviewAction.RETYPE and not text:
            raise ValueError("RETYPE needs the new text")
        state = _NEW_STATE[action]
        async with self.db.write() as db:
            await _record_handled(db, user_id, source)
            line = await owned_pending_line(db, user_id, line_id)
            await db.execute(
                "UPDATE lines SET state = ?, text = coalesce(?, text), updated_at = ? "
                f"WHERE id = ? AND state = 'pending' AND note_id IN ({OWNED_NOTE_IDS})",
                (
                    str(state),
                    text if action is ReviewAction.RETYPE else None,
                    now(),
                    line_id,
                    user_id,
                ),
            )
            await db.execute("DELETE FROM retype_waits WHERE line_id = ?", (line_id,))
            await note_rows.bump_version(db, line.note_id)
            await search_rows.refresh(db, line.note_id)
            updated = await owned_line(db, user_id, line_id)
            note = await owned_note(db, user_id, line.note_id)
        assert updated is not None
        assert note is not None
        return updated, note

    async def finish_rename(
        self, user_id: int, note_id: int, title: str, *, source: MessageRef | None = None
    ) -> Note:
        """Set the awaited title and stop waiting, in one transaction (AlreadyHandled if
        `source`, the message with the title, was applied before)."""
        async with self.db.write() as db:
            await _record_handled(db, user_id, source)
            if not await note_rows.set_title(db, user_id, note_id, title):
                raise NoteNotFound(note_id)
            await db.execute("DELETE FROM rename_waits WHERE user_id = ?", (user_id,))
            await search_rows.refresh(db, note_id)
            note = await owned_note(db, user_id, note_id)
        assert note is not None
        return note

    async def save_edits(
        self, user_id: int, note_id: int, edit: NoteEdit, *, locale: str | None = None
    ) -> Saved:
        """A note edited as a whole (the Mini App): lines, title, review states, search row and
        version in one transaction, with a record of what the chat must do next (`locale`:
        the language to word it in). NoteNotFound, StaleVersion (nothing changed) or
        EditRejected; see `bot.storage.editor`."""
        async with self.db.write() as db:
            saved = await editor_rows.save_edits(db, user_id, note_id, edit, locale)
            await search_rows.refresh(db, note_id)
        return saved

    async def unfinished_saves(self) -> list[EditorSave]:
        """Editor saves whose chat side is still to do (the bot stopped before it was)."""
        async with self.db.read() as db:
            return await editor_rows.unfinished_saves(db)

    async def finish_save(self, save_id: int) -> None:
        """The chat side of an editor save is done: forget it."""
        async with self.db.write(background=True) as db:
            await db.execute("DELETE FROM editor_saves WHERE id = ?", (save_id,))

    async def prove_writable(self) -> None:
        """Write one row (for /healthz): raises if the database takes no writes now."""
        async with self.db.write() as db:
            await db.execute(
                "INSERT INTO health_checks (id, checked_at) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                (now(),),
            )

    async def delete_note(self, user_id: int, note_id: int) -> bool:
        """Delete the user's note (lines and waits cascade); False if not theirs or missing."""
        async with self.db.write() as db:
            deleted = await note_rows.delete_note(db, user_id, note_id)
            if deleted:
                await search_rows.drop(db, note_id)
        return deleted

    async def forget_user(self, user_id: int) -> int:
        """Forget a user entirely: notes (with lines), jobs, settings, waits and searches.

        Returns how many notes were deleted.
        """
        async with self.db.write() as db:
            await db.execute(f"DELETE FROM notes_fts WHERE rowid IN ({OWNED_NOTE_IDS})", (user_id,))
            for table in ("retype_waits", "rename_waits", "saved_searches", "handled_messages"):
                await db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
            notes = await changes(db, "DELETE FROM notes WHERE user_id = ?", (user_id,))
            await db.execute("DELETE FROM jobs WHERE user_id = ?", (user_id,))
            await db.execute("DELETE FROM user_settings WHERE user_id = ?", (user_id,))
        return notes

    async def forget_handled_before(self, moment: str) -> int:
        """Drop records of handled messages older than `moment` (ISO time): Telegram keeps
        an unconfirmed update for a day at most, so older ones can't come back."""
        async with self.db.write(background=True) as db:
            return await changes(db, "DELETE FROM handled_messages WHERE created_at < ?", (moment,))

    async def stats(self) -> dict[str, int]:
        """Counts for an operator: users (with notes or jobs), notes, lines, unfinished jobs."""
        async with self.db.read() as db:
            row = await fetch_one(
                db,
                "SELECT "
                "(SELECT count(*) FROM (SELECT user_id FROM notes UNION SELECT user_id FROM jobs)),"
                "(SELECT count(*) FROM notes), (SELECT count(*) FROM lines), "
                "(SELECT count(*) FROM jobs WHERE status = 'queued')",
            )
        return {
            "users": int(row[0]),
            "notes": int(row[1]),
            "lines": int(row[2]),
            "unfinished_jobs": int(row[3]),
        }
