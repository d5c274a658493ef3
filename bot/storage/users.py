"""Per-user state: preferences, one-off notices, and what the user's next text message means
(a retyped line or a note's new title), persisted so it survives a restart."""

from __future__ import annotations

from typing import Any

from bot.domain.models import Line, LineState, Note, UserSettings
from bot.storage.database import Database, changes, fetch_one, now
from bot.storage.errors import NoteNotFound
from bot.storage.notes import owned_line, owned_note, owned_pending_line


class Users:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- preferences ---

    async def settings(self, user_id: int) -> UserSettings:
        async with self._db.read() as db:
            row = await fetch_one(
                db,
                "SELECT language, threshold, trial_notified, interface_language "
                "FROM user_settings WHERE user_id = ?",
                (user_id,),
            )
        if row is None:
            return UserSettings(user_id)
        return UserSettings(user_id, row[0], row[1], bool(row[2]), row[3])

    async def _upsert(self, user_id: int, column: str, value: Any) -> None:
        async with self._db.write() as db:
            await db.execute(
                f"INSERT INTO user_settings (user_id, {column}, updated_at) VALUES (?, ?, ?) "
                f"ON CONFLICT(user_id) DO UPDATE SET {column} = excluded.{column}, "
                "updated_at = excluded.updated_at",
                (user_id, value, now()),
            )

    async def set_language(self, user_id: int, language: str | None) -> None:
        await self._upsert(user_id, "language", language)

    async def set_interface_language(self, user_id: int, code: str | None) -> None:
        """The language the bot speaks to the user; None follows their Telegram language."""
        await self._upsert(user_id, "interface_language", code)

    async def interface_language(self, user_id: int) -> str | None:
        """Only the interface choice: read for every update, so one indexed column."""
        async with self._db.read() as db:
            row = await fetch_one(
                db, "SELECT interface_language FROM user_settings WHERE user_id = ?", (user_id,)
            )
        return None if row is None else row[0]

    async def set_threshold(self, user_id: int, threshold: float | None) -> None:
        await self._upsert(user_id, "threshold", threshold)

    async def claim_trial_notice(self, user_id: int) -> bool:
        """True exactly once per user: whoever gets True tells the user about trial mode."""
        async with self._db.write(background=True) as db:
            row = await fetch_one(
                db, "SELECT trial_notified FROM user_settings WHERE user_id = ?", (user_id,)
            )
            if row is not None and row[0]:
                return False
            await db.execute(
                "INSERT INTO user_settings (user_id, trial_notified, updated_at) VALUES (?, 1, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET trial_notified = 1",
                (user_id, now()),
            )
        return True

    # --- the awaited text: a retyped line or a new title, one at a time ---

    async def await_retype(self, user_id: int, line_id: int, chat_id: int) -> Line:
        """Make the user's next text message in this chat replace the line; returns it."""
        async with self._db.write() as db:
            line = await owned_pending_line(db, user_id, line_id)
            await db.execute(
                "INSERT INTO retype_waits (user_id, line_id, chat_id, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "line_id = excluded.line_id, chat_id = excluded.chat_id, "
                "created_at = excluded.created_at",
                (user_id, line_id, chat_id, now()),
            )
            # One awaited text at a time: the next message is this line's, not a title.
            await db.execute("DELETE FROM rename_waits WHERE user_id = ?", (user_id,))
        return line

    async def retype_target(self, user_id: int, chat_id: int) -> Line | None:
        """The line the user is retyping in this chat, if it still awaits review; a stale wait
        is removed. A wait started in another chat is not this chat's business."""
        async with self._db.write() as db:
            row = await fetch_one(
                db,
                "SELECT line_id FROM retype_waits WHERE user_id = ? AND chat_id = ?",
                (user_id, chat_id),
            )
            if row is None:
                return None
            line = await owned_line(db, user_id, row["line_id"])
            if line is not None and line.state is LineState.PENDING:
                return line
            await db.execute("DELETE FROM retype_waits WHERE user_id = ?", (user_id,))
            return None

    async def await_rename(self, user_id: int, note_id: int, chat_id: int) -> Note:
        """Make the user's next text message in this chat the note's title (persisted)."""
        async with self._db.write() as db:
            note = await owned_note(db, user_id, note_id)
            if note is None:
                raise NoteNotFound(note_id)
            await db.execute(
                "INSERT INTO rename_waits (user_id, note_id, chat_id, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "note_id = excluded.note_id, chat_id = excluded.chat_id, "
                "created_at = excluded.created_at",
                (user_id, note_id, chat_id, now()),
            )
            await db.execute("DELETE FROM retype_waits WHERE user_id = ?", (user_id,))
        return note

    async def rename_target(self, user_id: int, chat_id: int) -> Note | None:
        """The note awaiting a new title from this user in this chat, if any."""
        async with self._db.read() as db:
            row = await fetch_one(
                db,
                "SELECT note_id FROM rename_waits WHERE user_id = ? AND chat_id = ?",
                (user_id, chat_id),
            )
            return await owned_note(db, user_id, row["note_id"]) if row else None

    async def cancel_waits(self, user_id: int) -> bool:
        """Stop waiting for a retyped line or a new title; True if something was awaited."""
        async with self._db.write() as db:
            retype = await changes(db, "DELETE FROM retype_waits WHERE user_id = ?", (user_id,))
            rename = await changes(db, "DELETE FROM rename_waits WHERE user_id = ?", (user_id,))
        return retype + rename > 0
