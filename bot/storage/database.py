"""The SQLite file: opening and migrating it, and its two connections and transactions.

Every write runs in its own transaction and commits before the caller goes on, so anything the
bot has confirmed to a user survives the process being killed right afterwards.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.errors import StorageError
from bot.storage.priority_lock import PriorityLock
from bot.storage.schema import MIGRATIONS, SCHEMA_VERSION

Connection = aiosqlite.Connection


def now() -> str:
    """The current time as stored: fixed width (always microseconds, always +00:00), so text
    order is time order."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


async def fetch_all(db: Connection, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
    async with db.execute(sql, tuple(params)) as cursor:
        return list(await cursor.fetchall())


async def fetch_one(db: Connection, sql: str, params: Iterable[Any] = ()) -> Any:
    async with db.execute(sql, tuple(params)) as cursor:
        return await cursor.fetchone()


async def changes(db: Connection, sql: str, params: Iterable[Any] = ()) -> int:
    """Run a write statement; returns how many rows it changed."""
    async with db.execute(sql, tuple(params)) as cursor:
        return cursor.rowcount


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


class Database:
    """Two SQLite connections: one for writes and one for reads, each with its own lock.

    WAL lets a reader see the last committed state while a write is in progress, so a user's
    /search or /notes never queues behind the writes of a burst of incoming photos, and the
    write lock serves users' writes before the pipeline's. Each lock keeps its connection's
    transactions from interleaving.
    """

    def __init__(self, path: Path, writer: Connection, reader: Connection) -> None:
        self.path = path
        self._writer: Connection | None = writer
        self._reader: Connection | None = reader
        self._write_lock = PriorityLock()  # users' writes before the pipeline's
        self._read_lock = asyncio.Lock()

    @staticmethod
    async def _connect(path: Path) -> Connection:
        # Autocommit mode: transactions are explicit (BEGIN ... COMMIT).
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = sqlite3.Row
        await db.execute("PRAGMA busy_timeout = 5000")
        return db

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (creating if needed) and migrate; any failure is one clear StorageError."""
        path = Path(path)
        opened: list[Connection] = []
        try:
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            writer = await cls._connect(path)
            opened.append(writer)
            await writer.execute("PRAGMA journal_mode = WAL")
            await writer.execute("PRAGMA synchronous = NORMAL")
            await writer.execute("PRAGMA foreign_keys = ON")
            problems = [row[0] for row in await fetch_all(writer, "PRAGMA quick_check")]
            if problems != ["ok"]:
                detail = " ".join("; ".join(map(str, problems)).split())[:200]
                raise StorageError(f"database {path} is corrupt (quick_check: {detail})")
            await cls._migrate(writer, path)
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
        return cls(path, writer, reader)

    @staticmethod
    async def _migrate(db: Connection, path: Path) -> None:
        row = await fetch_one(db, "PRAGMA user_version")
        version = row[0] if row else 0
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"database {path} has schema version {version}, newer than this bot knows "
                f"({SCHEMA_VERSION}); upgrade the bot or use another database file"
            )
        if version == SCHEMA_VERSION:
            return
        # Rebuilding a table (to change its keys) needs foreign keys off while old and new
        # tables swap names; they are checked once every script has run.
        await db.execute("PRAGMA foreign_keys = OFF")
        try:
            for number in range(version + 1, SCHEMA_VERSION + 1):
                script = MIGRATIONS[number - 1]
                try:
                    # user_version lives in the file header: it commits with the script.
                    await db.executescript(
                        f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                    )
                except BaseException:
                    with suppress(sqlite3.Error):
                        await db.execute("ROLLBACK")
                    raise
        finally:
            await db.execute("PRAGMA foreign_keys = ON")
        broken = await fetch_all(db, "PRAGMA foreign_key_check")
        if broken:
            raise StorageError(f"database {path}: {len(broken)} rows lost their parent row")

    async def close(self) -> None:
        """Close both connections (idempotent); SQLite checkpoints the WAL on the last close."""
        reader, self._reader = self._reader, None
        if reader is not None:
            async with self._read_lock:
                await reader.close()
        writer, self._writer = self._writer, None
        if writer is not None:
            async with self._write_lock.hold(urgent=True):
                await writer.close()

    def _usable(self, connection: Connection | None) -> Connection:
        if connection is None:
            raise StorageError(f"database {self.path} is closed")
        return connection

    @asynccontextmanager
    async def write(self, *, background: bool = False) -> AsyncIterator[Connection]:
        """One committed transaction; IMMEDIATE so it never fails halfway on a lock upgrade.

        `background` is the photo pipeline's bookkeeping: it waits while a write that a user is
        waiting for (a button, a command) is queued, so bursts of photos don't delay people.
        """
        async with self._write_lock.hold(urgent=not background):
            db = self._usable(self._writer)
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
    async def read(self) -> AsyncIterator[Connection]:
        """A read transaction on the reader connection: every statement in it sees the same
        committed state, never half of a write, and it does not wait for writes."""
        async with self._read_lock:
            db = self._usable(self._reader)
            await db.execute("BEGIN")
            try:
                yield db
            finally:
                with suppress(sqlite3.Error):
                    await db.execute("COMMIT")
