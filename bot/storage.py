"""Durable storage for jobs, notes, review state and full-text search, in one SQLite file.

Every write runs in its own transaction and commits before the method returns, so anything the
bot has confirmed to a user survives the process being killed right afterwards. Every query on
user data is scoped to the owner in SQL, so a forged or replayed id from another user finds
nothing rather than someone else's note.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from bot.models import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    ConfidenceSource,
    Job,
    JobStatus,
    Line,
    LineDraft,
    LineState,
    Note,
    ReviewAction,
    SearchHit,
    UserSettings,
)
from bot.priority_lock import PriorityLock
from bot.search_query import user_match

# Index + 1 is the schema version a script brings the database to (PRAGMA user_version).
# Append new scripts; never edit one that has shipped.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        title TEXT,
        file_unique_id TEXT,
        engine_mode TEXT NOT NULL DEFAULT 'licensed',
        created_at TEXT NOT NULL
    );
    CREATE INDEX notes_user_created ON notes(user_id, created_at);
    CREATE INDEX notes_user_file ON notes(user_id, file_unique_id);

    CREATE TABLE lines (
        id INTEGER PRIMARY KEY,
        note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        original_text TEXT NOT NULL,
        confidence REAL NOT NULL,
        confidence_source TEXT NOT NULL,
        state TEXT NOT NULL
            CHECK (state IN ('accepted', 'pending', 'kept', 'retyped', 'dropped')),
        review_message_id INTEGER,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX lines_note ON lines(note_id);
    CREATE INDEX lines_review_message ON lines(review_message_id)
        WHERE review_message_id IS NOT NULL;

    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        file_id TEXT NOT NULL,
        file_unique_id TEXT NOT NULL,
        file_size INTEGER,
        status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        note_id INTEGER REFERENCES notes(id) ON DELETE SET NULL,
        status_message_id INTEGER,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (chat_id, message_id)
    );
    CREATE INDEX jobs_status_user ON jobs(status, user_id);
    CREATE INDEX jobs_user ON jobs(user_id);
    CREATE INDEX jobs_note ON jobs(note_id);

    CREATE TABLE retype_waits (
        user_id INTEGER PRIMARY KEY,
        line_id INTEGER NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
    );
    CREATE INDEX retype_waits_line ON retype_waits(line_id);

    CREATE VIRTUAL TABLE notes_fts USING fts5(
        body, title, tokenize = 'unicode61 remove_diacritics 2'
    );
    """,
    # 2: per-user preferences and one-off notices.
    """
    CREATE TABLE user_settings (
        user_id INTEGER PRIMARY KEY,
        language TEXT,
        threshold REAL CHECK (threshold IS NULL OR (threshold >= 0 AND threshold <= 100)),
        trial_notified INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    );
    """,
    # 3: albums (photos sent together become one note) and captions (a note's title).
    """
    ALTER TABLE jobs ADD COLUMN media_group_id TEXT;
    ALTER TABLE jobs ADD COLUMN caption TEXT;
    CREATE INDEX jobs_media_group ON jobs(user_id, media_group_id)
        WHERE media_group_id IS NOT NULL;
    """,
    # 4: renaming a note by sending its new title; paged search results remember their query.
    """
    CREATE TABLE rename_waits (
        user_id INTEGER PRIMARY KEY,
        note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
    );
    CREATE INDEX rename_waits_note ON rename_waits(note_id);

    CREATE TABLE saved_searches (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        query TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX saved_searches_user ON saved_searches(user_id, id);
    """,
    # 5: search scoped to the owner inside FTS5 (an `owner` token column) with prefix indexes,
    # so /search costs what the user's own notes cost, not what everyone's do (BENCHMARKS.md).
    """
    DROP TABLE notes_fts;
    CREATE VIRTUAL TABLE notes_fts USING fts5(
        body, title, owner, tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4'
    );
    INSERT INTO notes_fts (rowid, body, title, owner)
    SELECT n.id, coalesce((SELECT group_concat(text, char(10)) FROM
            (SELECT text FROM lines WHERE note_id = n.id AND state != 'dropped'
             ORDER BY position)), ''),
        coalesce(n.title, ''), 'u' || n.user_id
    FROM notes n;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

_NEW_STATE = {
    ReviewAction.KEEP: LineState.KEPT,
    ReviewAction.DROP: LineState.DROPPED,
    ReviewAction.RETYPE: LineState.RETYPED,
}

_LINE_COLUMNS = (
    "l.id, l.note_id, l.position, l.text, l.original_text, l.confidence, "
    "l.confidence_source, l.state, l.review_message_id"
)
_JOB_COLUMNS = (
    "id, user_id, chat_id, message_id, file_id, file_unique_id, file_size, status, attempts, "
    "note_id, status_message_id, error, created_at, media_group_id, caption"
)
# An album counts once against the limits: its pages are one submission.
_WAITING_PHOTOS = "count(DISTINCT coalesce(media_group_id, 'job:' || id))"
_OWNED_NOTE_IDS = "SELECT id FROM notes WHERE user_id = ?"
# A note's search row: its visible lines in order, its title, and its owner's token
# (search_query.owner_token). Append a WHERE clause on `n`.
_FTS_ROWS = (
    "INSERT INTO notes_fts (rowid, body, title, owner) "
    "SELECT n.id, coalesce((SELECT group_concat(text, char(10)) FROM "
    "  (SELECT text FROM lines WHERE note_id = n.id AND state != 'dropped' "
    "   ORDER BY position)), ''), coalesce(n.title, ''), 'u' || n.user_id "
    "FROM notes n "
)


class StorageError(Exception):
    """The database cannot be used at all (corrupt, unreachable, or from a newer version)."""


class JobNotFound(LookupError):
    """No job with that id (it was deleted with the user's data)."""


class JobRefused(Exception):
    """A new photo was not queued; args[0] says why: duplicate, user_limit or queue_full."""

    @property
    def reason(self) -> str:
        return str(self.args[0])


class LineNotFound(LookupError):
    """No such line for this user: missing and someone else's look the same, on purpose."""


class NoteNotFound(LookupError):
    """The note does not exist or belongs to someone else (the same answer, on purpose)."""


class LineAlreadyResolved(Exception):
    """The line was already reviewed; args[0] is the line as it now stands."""

    def __init__(self, line: Line) -> None:
        super().__init__(line)
        self.line = line


def _now() -> str:
    # Fixed width (always microseconds, always +00:00), so text order is time order.
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _line(row: sqlite3.Row) -> Line:
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
    )


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        file_id=row["file_id"],
        file_unique_id=row["file_unique_id"],
        file_size=row["file_size"],
        status=JobStatus(row["status"]),
        attempts=row["attempts"],
        note_id=row["note_id"],
        status_message_id=row["status_message_id"],
        error=row["error"],
        created_at=_parse_time(row["created_at"]),
        media_group_id=row["media_group_id"],
        caption=row["caption"],
    )


class Storage:
    """Two SQLite connections: one for writes and one for reads, each with its own lock.

    WAL lets a reader see the last committed state while a write is in progress, so a user's
    /search or /notes never queues behind the writes of a burst of incoming photos, and the
    write lock serves users' writes before the pipeline's. Each lock keeps its connection's
    transactions from interleaving.
    """

    def __init__(self, path: Path, db: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._db: aiosqlite.Connection | None = db
        self._reader: aiosqlite.Connection | None = reader
        self._lock = PriorityLock()  # writes: users' before the pipeline's
        self._read_lock = asyncio.Lock()

    # --- lifecycle ---

    @staticmethod
    async def _connect(path: Path) -> aiosqlite.Connection:
        # Autocommit mode: transactions are explicit (BEGIN ... COMMIT).
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = sqlite3.Row
        await db.execute("PRAGMA busy_timeout = 5000")
        return db

    @classmethod
    async def open(cls, path: str | Path) -> Storage:
        """Open (creating if needed) and migrate; any failure is one clear StorageError."""
        path = Path(path)
        opened: list[aiosqlite.Connection] = []
        try:
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            db = await cls._connect(path)
            opened.append(db)
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            async with db.execute("PRAGMA quick_check") as cursor:
                problems = [row[0] for row in await cursor.fetchall()]
            if problems != ["ok"]:
                detail = " ".join("; ".join(map(str, problems)).split())[:200]
                raise StorageError(f"database {path} is corrupt (quick_check: {detail})")
            await cls._migrate(db, path)
            reader = await cls._connect(path)
            opened.append(reader)
            await reader.execute("PRAGMA query_only = ON")  # a read path can never write
        except BaseException as error:
            for connection in opened:
                with suppress(Exception):
                    await connection.close()
            if isinstance(error, StorageError):
                raise
            if isinstance(error, sqlite3.Error | OSError):
                raise StorageError(f"cannot open database {path}: {_one_line(error)}") from error
            raise
        return cls(path, db, reader)

    @staticmethod
    async def _migrate(db: aiosqlite.Connection, path: Path) -> None:
        async with db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = row[0] if row else 0
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"database {path} has schema version {version}, newer than this bot knows "
                f"({SCHEMA_VERSION}); upgrade the bot or use another database file"
            )
        for number in range(version + 1, SCHEMA_VERSION + 1):
            script = MIGRATIONS[number - 1]
            try:
                # user_version lives in the file header, so it commits atomically with the script.
                await db.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                )
            except BaseException:
                with suppress(sqlite3.Error):
                    await db.execute("ROLLBACK")
                raise

    async def close(self) -> None:
        """Close both connections (idempotent); SQLite checkpoints the WAL on the last close."""
        reader, self._reader = self._reader, None
        if reader is not None:
            async with self._read_lock:
                await reader.close()
        db, self._db = self._db, None
        if db is not None:
            async with self._lock.hold(urgent=True):
                await db.close()

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _open(self, connection: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if connection is None:
            raise StorageError(f"database {self.path} is closed")
        return connection

    @asynccontextmanager
    async def _write(self, *, background: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """One committed transaction; IMMEDIATE so it never fails halfway on a lock upgrade.

        `background` is the photo pipeline's bookkeeping: it waits while a write that a user is
        waiting for (a button, a command) is queued, so bursts of photos don't delay people.
        """
        async with self._lock.hold(urgent=not background):
            db = self._open(self._db)
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                await db.execute("COMMIT")
            except BaseException:
                # Also after a failed COMMIT: the shared connection must not stay mid-transaction.
                with suppress(sqlite3.Error):
                    await db.execute("ROLLBACK")
                raise

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read transaction on the reader connection: every statement in it sees the same
        committed state, never half of a write, and it does not wait for writes."""
        async with self._read_lock:
            db = self._open(self._reader)
            await db.execute("BEGIN")
            try:
                yield db
            finally:
                with suppress(sqlite3.Error):
                    await db.execute("COMMIT")

    # --- small helpers (callers hold the lock) ---

    @staticmethod
    async def _rows(db: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        async with db.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    @staticmethod
    async def _row(db: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()) -> Any:
        async with db.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    @staticmethod
    async def _changes(db: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()) -> int:
        async with db.execute(sql, tuple(params)) as cursor:
            return cursor.rowcount

    async def _job_row(self, db: aiosqlite.Connection, job_id: int) -> Job | None:
        row = await self._row(db, f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return _job(row) if row else None

    async def _owned_line(
        self, db: aiosqlite.Connection, user_id: int, line_id: int
    ) -> Line | None:
        row = await self._row(
            db,
            f"SELECT {_LINE_COLUMNS} FROM lines l JOIN notes n ON n.id = l.note_id "
            "WHERE l.id = ? AND n.user_id = ?",
            (line_id, user_id),
        )
        return _line(row) if row else None

    async def _notes(self, db: aiosqlite.Connection, note_rows: list[Any]) -> list[Note]:
        """Attach lines (in reading order) to note rows, keeping the rows' order."""
        if not note_rows:
            return []
        ids = [row["id"] for row in note_rows]
        marks = ",".join("?" * len(ids))
        line_rows = await self._rows(
            db,
            f"SELECT {_LINE_COLUMNS} FROM lines l WHERE l.note_id IN ({marks}) "
            "ORDER BY l.note_id, l.position",
            ids,
        )
        by_note: dict[int, list[Line]] = {note_id: [] for note_id in ids}
        for row in line_rows:
            by_note[row["note_id"]].append(_line(row))
        return [
            Note(
                id=row["id"],
                user_id=row["user_id"],
                chat_id=row["chat_id"],
                title=row["title"],
                created_at=_parse_time(row["created_at"]),
                lines=by_note[row["id"]],
            )
            for row in note_rows
        ]

    async def _owned_note(
        self, db: aiosqlite.Connection, user_id: int, note_id: int
    ) -> Note | None:
        row = await self._row(
            db,
            "SELECT id, user_id, chat_id, title, created_at FROM notes "
            "WHERE id = ? AND user_id = ?",
            (note_id, user_id),
        )
        notes = await self._notes(db, [row] if row else [])
        return notes[0] if notes else None

    async def _refresh_fts(self, db: aiosqlite.Connection, note_id: int) -> None:
        """Rewrite the note's search row from its visible lines, title and owner."""
        await db.execute("DELETE FROM notes_fts WHERE rowid = ?", (note_id,))
        await db.execute(_FTS_ROWS + "WHERE n.id = ?", (note_id,))

    # --- jobs ---

    async def create_job(
        self,
        *,
        user_id: int,
        chat_id: int,
        message_id: int,
        file_id: str,
        file_unique_id: str,
        file_size: int | None,
        max_per_user: int | None = None,
        max_total: int | None = None,
        media_group_id: str | None = None,
        caption: str | None = None,
    ) -> Job:
        """Record a photo before any slow work; a redelivered update gets the existing job.

        The limits are checked in the same transaction as the insert, so photos arriving at
        the same moment cannot all slip under them. Raises JobRefused.
        """
        now = _now()
        async with self._write(background=True) as db:
            row = await self._row(
                db,
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE chat_id = ? AND message_id = ?",
                (chat_id, message_id),
            )
            if row is not None:
                return _job(row)
            same_photo = await self._row(
                db,
                "SELECT 1 FROM jobs WHERE user_id = ? AND file_unique_id = ? AND status = 'queued'",
                (user_id, file_unique_id),
            )
            if same_photo is not None:
                raise JobRefused("duplicate")
            if max_per_user is not None:
                mine = await self._row(
                    db,
                    f"SELECT {_WAITING_PHOTOS} FROM jobs WHERE user_id = ? AND status = 'queued' "
                    "AND (media_group_id IS NULL OR media_group_id IS NOT ?)",
                    (user_id, media_group_id),
                )
                if mine[0] >= max_per_user:
                    raise JobRefused("user_limit")
            if max_total is not None:
                total = await self._row(
                    db,
                    f"SELECT {_WAITING_PHOTOS} FROM jobs WHERE status = 'queued' "
                    "AND (media_group_id IS NULL OR media_group_id IS NOT ?)",
                    (media_group_id,),
                )
                if total[0] >= max_total:
                    raise JobRefused("queue_full")
            await db.execute(
                "INSERT INTO jobs (user_id, chat_id, message_id, file_id, file_unique_id, "
                "file_size, status, attempts, created_at, updated_at, media_group_id, caption) "
                "VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)",
                (
                    user_id,
                    chat_id,
                    message_id,
                    file_id,
                    file_unique_id,
                    file_size,
                    now,
                    now,
                    media_group_id,
                    caption,
                ),
            )
            row = await self._row(
                db,
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE chat_id = ? AND message_id = ?",
                (chat_id, message_id),
            )
        return _job(row)

    async def get_job(self, job_id: int) -> Job | None:
        async with self._read() as db:
            return await self._job_row(db, job_id)

    async def set_job_status_message(self, job_id: int, message_id: int) -> None:
        """Remember the "working…" message so a resumed job edits it instead of sending another."""
        async with self._write(background=True) as db:
            await db.execute(
                "UPDATE jobs SET status_message_id = ?, updated_at = ? WHERE id = ?",
                (message_id, _now(), job_id),
            )

    async def begin_job_attempt(self, job_id: int) -> Job:
        """Count an attempt before it starts, so a job that crashes the bot cannot loop forever."""
        async with self._write(background=True) as db:
            await db.execute(
                "UPDATE jobs SET attempts = attempts + 1, updated_at = ? WHERE id = ?",
                (_now(), job_id),
            )
            job = await self._job_row(db, job_id)
        if job is None:
            raise JobNotFound(job_id)
        return job

    async def fail_job(self, job_id: int, error: str) -> None:
        async with self._write(background=True) as db:
            await db.execute(
                "UPDATE jobs SET status = 'failed', error = ?, updated_at = ? WHERE id = ?",
                (error, _now(), job_id),
            )

    async def mark_job_done(self, job_id: int) -> None:
        """Only after every reply is sent: until then a restart resumes (and re-sends) the job."""
        async with self._write(background=True) as db:
            await db.execute(
                "UPDATE jobs SET status = 'done', error = NULL, updated_at = ? WHERE id = ?",
                (_now(), job_id),
            )

    async def unfinished_jobs(self) -> list[Job]:
        """Queued jobs, oldest first: what a restart has to pick up."""
        async with self._read() as db:
            rows = await self._rows(
                db,
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE status = 'queued' ORDER BY created_at, id",
            )
        return [_job(row) for row in rows]

    async def album_jobs(self, user_id: int, media_group_id: str) -> list[Job]:
        """The queued pages of one album, in the order they were sent."""
        async with self._read() as db:
            rows = await self._rows(
                db,
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE user_id = ? AND media_group_id = ? "
                "AND status = 'queued' ORDER BY message_id",
                (user_id, media_group_id),
            )
        return [_job(row) for row in rows]

    async def count_unfinished_jobs(self, user_id: int | None = None) -> int:
        """Queue length, overall or for one user (used to refuse floods)."""
        async with self._read() as db:
            if user_id is None:
                row = await self._row(db, "SELECT count(*) FROM jobs WHERE status = 'queued'")
            else:
                row = await self._row(
                    db,
                    "SELECT count(*) FROM jobs WHERE status = 'queued' AND user_id = ?",
                    (user_id,),
                )
        return int(row[0])

    # --- notes ---

    async def create_note(
        self,
        *,
        user_id: int,
        chat_id: int,
        lines: list[LineDraft],
        title: str | None = None,
        file_unique_id: str | None = None,
        engine_mode: str = "licensed",
        job_id: int | None = None,
        job_ids: Iterable[int] = (),
    ) -> Note:
        """Note, lines, search row and job link(s) in one transaction: all or nothing.

        Linking the job lets a resumed job deliver this note instead of running OCR again.
        """
        now = _now()
        linked = [*job_ids, *([job_id] if job_id is not None else [])]
        async with self._write(background=True) as db:
            if linked:
                # The user may have used /forget while the photo was being read: then the
                # jobs are gone and the note must not come back to life.
                marks = ",".join("?" * len(linked))
                row = await self._row(
                    db,
                    f"SELECT count(*) FROM jobs WHERE id IN ({marks}) AND user_id = ?",
                    (*linked, user_id),
                )
                if row[0] == 0:
                    raise JobNotFound(linked[0])
            async with db.execute(
                "INSERT INTO notes (user_id, chat_id, title, file_unique_id, engine_mode, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, chat_id, title, file_unique_id, engine_mode, now),
            ) as cursor:
                note_id = cursor.lastrowid
            assert note_id is not None
            await db.executemany(
                "INSERT INTO lines (note_id, position, text, original_text, confidence, "
                "confidence_source, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        note_id,
                        position,
                        draft.text,
                        draft.text,
                        float(draft.confidence),
                        str(draft.confidence_source),
                        str(draft.state),
                        now,
                    )
                    for position, draft in enumerate(lines)
                ],
            )
            await self._refresh_fts(db, note_id)
            await db.executemany(
                "UPDATE jobs SET note_id = ?, updated_at = ? WHERE id = ? AND user_id = ?",
                [(note_id, now, linked_id, user_id) for linked_id in linked],
            )
            note = await self._owned_note(db, user_id, note_id)
        assert note is not None
        return note

    async def get_note(self, user_id: int, note_id: int) -> Note | None:
        """The note with its lines, or None if it is missing or not this user's."""
        async with self._read() as db:
            return await self._owned_note(db, user_id, note_id)

    async def find_note_by_file(self, user_id: int, file_unique_id: str) -> Note | None:
        """The user's most recent note from this exact file (to spot a re-sent photo)."""
        async with self._read() as db:
            row = await self._row(
                db,
                "SELECT id, user_id, chat_id, title, created_at FROM notes "
                "WHERE user_id = ? AND file_unique_id = ? ORDER BY created_at DESC, id DESC "
                "LIMIT 1",
                (user_id, file_unique_id),
            )
            notes = await self._notes(db, [row] if row else [])
        return notes[0] if notes else None

    async def list_notes(self, user_id: int, *, limit: int = 10, offset: int = 0) -> list[Note]:
        """One page of the user's notes, newest first."""
        async with self._read() as db:
            rows = await self._rows(
                db,
                "SELECT id, user_id, chat_id, title, created_at FROM notes WHERE user_id = ? "
                "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                (user_id, limit, offset),
            )
            return await self._notes(db, rows)

    async def count_notes(self, user_id: int) -> int:
        async with self._read() as db:
            row = await self._row(db, "SELECT count(*) FROM notes WHERE user_id = ?", (user_id,))
        return int(row[0])

    async def iter_notes(self, user_id: int, *, batch: int = 200) -> AsyncIterator[Note]:
        """Every note of the user, newest first, a batch at a time (exports of any size).

        Keyset paging on the id, so notes added or deleted meanwhile never shift a batch.
        """
        before: int | None = None
        while True:
            async with self._read() as db:
                rows = await self._rows(
                    db,
                    "SELECT id, user_id, chat_id, title, created_at FROM notes "
                    "WHERE user_id = ? AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?",
                    (user_id, before, before, batch),
                )
                notes = await self._notes(db, rows)
            for note in notes:
                yield note
            if len(notes) < batch:
                return
            before = notes[-1].id

    async def delete_note(self, user_id: int, note_id: int) -> bool:
        """Delete the user's note (lines and waits cascade); False if not theirs or missing."""
        async with self._write() as db:
            deleted = await self._changes(
                db, "DELETE FROM notes WHERE id = ? AND user_id = ?", (note_id, user_id)
            )
            if deleted:
                await db.execute("DELETE FROM notes_fts WHERE rowid = ?", (note_id,))
        return deleted > 0

    async def rename_note(self, user_id: int, note_id: int, title: str | None) -> bool:
        """Set (or clear, with None) the title; it is searchable. False if not theirs."""
        async with self._write() as db:
            changed = await self._changes(
                db,
                "UPDATE notes SET title = ? WHERE id = ? AND user_id = ?",
                (title, note_id, user_id),
            )
            if changed:
                await self._refresh_fts(db, note_id)
        return changed > 0

    async def delete_user_data(self, user_id: int) -> int:
        """Forget a user entirely: notes (with lines), jobs, settings, waits and searches.

        Returns how many notes were deleted.
        """
        async with self._write() as db:
            await db.execute(
                f"DELETE FROM notes_fts WHERE rowid IN ({_OWNED_NOTE_IDS})", (user_id,)
            )
            await db.execute("DELETE FROM retype_waits WHERE user_id = ?", (user_id,))
            await db.execute("DELETE FROM rename_waits WHERE user_id = ?", (user_id,))
            await db.execute("DELETE FROM saved_searches WHERE user_id = ?", (user_id,))
            notes = await self._changes(db, "DELETE FROM notes WHERE user_id = ?", (user_id,))
            await db.execute("DELETE FROM jobs WHERE user_id = ?", (user_id,))
            await db.execute("DELETE FROM user_settings WHERE user_id = ?", (user_id,))
        return notes

    # --- per-user settings ---

    async def user_settings(self, user_id: int) -> UserSettings:
        async with self._read() as db:
            row = await self._row(
                db,
                "SELECT language, threshold, trial_notified FROM user_settings WHERE user_id = ?",
                (user_id,),
            )
        if row is None:
            return UserSettings(user_id)
        return UserSettings(user_id, row[0], row[1], bool(row[2]))

    async def _upsert_setting(self, user_id: int, column: str, value: Any) -> None:
        async with self._write() as db:
            await db.execute(
                f"INSERT INTO user_settings (user_id, {column}, updated_at) VALUES (?, ?, ?) "
                f"ON CONFLICT(user_id) DO UPDATE SET {column} = excluded.{column}, "
                "updated_at = excluded.updated_at",
                (user_id, value, _now()),
            )

    async def set_language(self, user_id: int, language: str | None) -> None:
        await self._upsert_setting(user_id, "language", language)

    async def set_threshold(self, user_id: int, threshold: float | None) -> None:
        await self._upsert_setting(user_id, "threshold", threshold)

    async def claim_trial_notice(self, user_id: int) -> bool:
        """True exactly once per user: whoever gets True tells the user about trial mode."""
        async with self._write(background=True) as db:
            row = await self._row(
                db, "SELECT trial_notified FROM user_settings WHERE user_id = ?", (user_id,)
            )
            if row is not None and row[0]:
                return False
            await db.execute(
                "INSERT INTO user_settings (user_id, trial_notified, updated_at) VALUES (?, 1, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET trial_notified = 1",
                (user_id, _now()),
            )
        return True

    async def stats(self) -> dict[str, int]:
        """Counts for an operator: users (with notes or jobs), notes, lines, unfinished jobs."""
        async with self._read() as db:
            row = await self._row(
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

    # --- review ---

    async def get_line(self, user_id: int, line_id: int) -> Line | None:
        async with self._read() as db:
            return await self._owned_line(db, user_id, line_id)

    async def set_review_message(self, user_id: int, line_id: int, message_id: int) -> bool:
        """Remember which message asks about the line, so a reply to it retypes that line.

        Returns False (rather than raising) if the line is gone, e.g. the note was deleted
        while its review messages were being sent.
        """
        async with self._write(background=True) as db:
            changed = await self._changes(
                db,
                "UPDATE lines SET review_message_id = ?, updated_at = ? "
                f"WHERE id = ? AND note_id IN ({_OWNED_NOTE_IDS})",
                (message_id, _now(), line_id, user_id),
            )
        return changed > 0

    async def resolve_line(
        self, user_id: int, line_id: int, action: ReviewAction, text: str | None = None
    ) -> tuple[Line, Note]:
        """Apply the user's decision to a pending line; returns the line and the updated note.

        Raises LineNotFound (missing or not theirs) or LineAlreadyResolved (a second tap, or
        a retype racing a button). RETYPE needs `text`.
        """
        action = ReviewAction(action)
        if action is ReviewAction.RETYPE and not text:
            raise ValueError("RETYPE needs the new text")
        state = _NEW_STATE[action]
        async with self._write() as db:
            line = await self._owned_line(db, user_id, line_id)
            if line is None:
                raise LineNotFound(line_id)
            if line.state is not LineState.PENDING:
                raise LineAlreadyResolved(line)
            await db.execute(
                "UPDATE lines SET state = ?, text = coalesce(?, text), updated_at = ? "
                f"WHERE id = ? AND state = 'pending' AND note_id IN ({_OWNED_NOTE_IDS})",
                (
                    str(state),
                    text if action is ReviewAction.RETYPE else None,
                    _now(),
                    line_id,
                    user_id,
                ),
            )
            await db.execute("DELETE FROM retype_waits WHERE line_id = ?", (line_id,))
            await self._refresh_fts(db, line.note_id)
            updated = await self._owned_line(db, user_id, line_id)
            note = await self._owned_note(db, user_id, line.note_id)
        assert updated is not None
        assert note is not None
        return updated, note

    async def await_retype(self, user_id: int, line_id: int) -> None:
        """Make the user's next text message replace this line (persisted across restarts)."""
        async with self._write() as db:
            line = await self._owned_line(db, user_id, line_id)
            if line is None:
                raise LineNotFound(line_id)
            if line.state is not LineState.PENDING:
                raise LineAlreadyResolved(line)
            await db.execute(
                "INSERT INTO retype_waits (user_id, line_id, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET line_id = excluded.line_id, "
                "created_at = excluded.created_at",
                (user_id, line_id, _now()),
            )
            # One awaited text at a time: the next message is this line's, not a title.
            await db.execute("DELETE FROM rename_waits WHERE user_id = ?", (user_id,))

    async def retype_target(self, user_id: int) -> Line | None:
        """The line the user is retyping, if it still awaits review; a stale wait is removed."""
        async with self._write() as db:
            row = await self._row(
                db, "SELECT line_id FROM retype_waits WHERE user_id = ?", (user_id,)
            )
            if row is None:
                return None
            line = await self._owned_line(db, user_id, row["line_id"])
            if line is not None and line.state is LineState.PENDING:
                return line
            await db.execute("DELETE FROM retype_waits WHERE user_id = ?", (user_id,))
            return None

    async def cancel_waits(self, user_id: int) -> bool:
        """Stop waiting for a retyped line or a new title; True if something was awaited."""
        async with self._write() as db:
            retype = await self._changes(
                db, "DELETE FROM retype_waits WHERE user_id = ?", (user_id,)
            )
            rename = await self._changes(
                db, "DELETE FROM rename_waits WHERE user_id = ?", (user_id,)
            )
        return retype + rename > 0

    # --- renaming by message ---

    async def await_rename(self, user_id: int, note_id: int) -> Note:
        """Make the user's next text message the note's title (persisted across restarts)."""
        async with self._write() as db:
            note = await self._owned_note(db, user_id, note_id)
            if note is None:
                raise NoteNotFound(note_id)
            await db.execute(
                "INSERT INTO rename_waits (user_id, note_id, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET note_id = excluded.note_id, "
                "created_at = excluded.created_at",
                (user_id, note_id, _now()),
            )
            await db.execute("DELETE FROM retype_waits WHERE user_id = ?", (user_id,))
        return note

    async def rename_target(self, user_id: int) -> Note | None:
        """The note awaiting a new title from this user, if any (it may have been deleted)."""
        async with self._read() as db:
            row = await self._row(
                db, "SELECT note_id FROM rename_waits WHERE user_id = ?", (user_id,)
            )
            return await self._owned_note(db, user_id, row["note_id"]) if row else None

    async def finish_rename(self, user_id: int, note_id: int, title: str) -> Note:
        """Set the awaited title and stop waiting, in one transaction."""
        async with self._write() as db:
            changed = await self._changes(
                db,
                "UPDATE notes SET title = ? WHERE id = ? AND user_id = ?",
                (title, note_id, user_id),
            )
            if not changed:
                raise NoteNotFound(note_id)
            await db.execute("DELETE FROM rename_waits WHERE user_id = ?", (user_id,))
            await self._refresh_fts(db, note_id)
            note = await self._owned_note(db, user_id, note_id)
        assert note is not None
        return note

    async def line_by_review_message(
        self, user_id: int, chat_id: int, message_id: int
    ) -> Line | None:
        """The line a review message asks about, whatever its state (the caller reports that)."""
        async with self._read() as db:
            row = await self._row(
                db,
                f"SELECT {_LINE_COLUMNS} FROM lines l JOIN notes n ON n.id = l.note_id "
                "WHERE l.review_message_id = ? AND n.user_id = ? AND n.chat_id = ? "
                "ORDER BY l.id DESC LIMIT 1",
                (message_id, user_id, chat_id),
            )
        return _line(row) if row else None

    # --- search ---

    async def search(
        self, user_id: int, fts_query: str, *, limit: int = 5, offset: int = 0
    ) -> list[SearchHit]:
        """The user's notes matching an FTS5 query, best first; a malformed query finds nothing.

        FTS5 itself keeps to the owner's rows (`user_match`); the join re-checks the owner in
        SQL as a second wall. CROSS JOIN keeps FTS5 as the outer loop (few rows), where the
        planner would otherwise walk the user's notes and run the match once per note.
        """
        try:
            async with self._read() as db:
                rows = await self._rows(
                    db,
                    "SELECT n.id, n.created_at, n.title, "
                    "snippet(notes_fts, 0, ?, ?, '…', 12) AS snippet, "
                    "bm25(notes_fts, 1.0, 1.0, 0.0) AS rank "
                    "FROM notes_fts CROSS JOIN notes n ON n.id = notes_fts.rowid "
                    "WHERE notes_fts MATCH ? AND n.user_id = ? "
                    "ORDER BY rank, n.id DESC LIMIT ? OFFSET ?",
                    (
                        HIGHLIGHT_START,
                        HIGHLIGHT_END,
                        user_match(user_id, fts_query),
                        user_id,
                        limit,
                        offset,
                    ),
                )
        except sqlite3.OperationalError:
            return []
        return [
            SearchHit(
                note_id=row["id"],
                created_at=_parse_time(row["created_at"]),
                title=row["title"],
                snippet=row["snippet"] or "",
                rank=float(row["rank"]),  # bm25: lower (more negative) is a better match
            )
            for row in rows
        ]

    async def count_search(self, user_id: int, fts_query: str) -> int:
        """How many of the user's notes match (for "showing 5 of N")."""
        try:
            async with self._read() as db:
                row = await self._row(
                    db,
                    "SELECT count(*) FROM notes_fts CROSS JOIN notes n "
                    "ON n.id = notes_fts.rowid WHERE notes_fts MATCH ? AND n.user_id = ?",
                    (user_match(user_id, fts_query), user_id),
                )
        except sqlite3.OperationalError:
            return 0
        return int(row[0])

    async def save_search(self, user_id: int, query: str, *, keep: int = 50) -> int:
        """Remember a query so its result pages can be buttons (64 bytes can't hold a query).

        Only the user's last `keep` queries are kept: older result pages say they expired.
        """
        async with self._write() as db:
            async with db.execute(
                "INSERT INTO saved_searches (user_id, query, created_at) VALUES (?, ?, ?)",
                (user_id, query, _now()),
            ) as cursor:
                search_id = int(cursor.lastrowid)
            await db.execute(
                "DELETE FROM saved_searches WHERE user_id = ? AND id NOT IN "
                "(SELECT id FROM saved_searches WHERE user_id = ? ORDER BY id DESC LIMIT ?)",
                (user_id, user_id, keep),
            )
        return search_id

    async def saved_search(self, user_id: int, search_id: int) -> str | None:
        async with self._read() as db:
            row = await self._row(
                db,
                "SELECT query FROM saved_searches WHERE id = ? AND user_id = ?",
                (search_id, user_id),
            )
        return row["query"] if row else None
