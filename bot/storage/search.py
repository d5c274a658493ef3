"""Full-text search over each note's current text and title (SQLite FTS5), scoped to its owner.

Each note's search row is rewritten from its visible lines whenever they change
(`refresh`, inside the transaction that changed them). Paged results remember their query in
`saved_searches`, because a button's 64 bytes can't hold it.
"""

from __future__ import annotations

import sqlite3

from bot.domain.models import HIGHLIGHT_END, HIGHLIGHT_START, SearchHit
from bot.storage.database import Connection, Database, fetch_all, fetch_one, now, parse_time
from bot.storage.search_query import user_match

# A note's search row: its visible lines in order, its title, and its owner's token
# (search_query.owner_token). Append a WHERE clause on `n`. Migration 5 repeats this SQL on
# purpose: shipped migrations are never edited.
_FTS_ROWS = (
    "INSERT INTO notes_fts (rowid, body, title, owner) "
    "SELECT n.id, coalesce((SELECT group_concat(text, char(10)) FROM "
    "  (SELECT text FROM lines WHERE note_id = n.id AND state != 'dropped' "
    "   ORDER BY position)), ''), coalesce(n.title, ''), 'u' || n.user_id "
    "FROM notes n "
)


async def refresh(db: Connection, note_id: int) -> None:
    """Rewrite the note's search row from its visible lines, title and owner (in a write)."""
    await db.execute("DELETE FROM notes_fts WHERE rowid = ?", (note_id,))
    await db.execute(_FTS_ROWS + "WHERE n.id = ?", (note_id,))


async def drop(db: Connection, note_id: int) -> None:
    """Remove a deleted note's search row (in the write that deletes it)."""
    await db.execute("DELETE FROM notes_fts WHERE rowid = ?", (note_id,))


class Search:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def find(
        self, user_id: int, fts_query: str, *, limit: int = 5, offset: int = 0
    ) -> list[SearchHit]:
        """The user's notes matching an FTS5 query, best first; a malformed query finds nothing.

        FTS5 itself keeps to the owner's rows (`user_match`); the join re-checks the owner in
        SQL as a second wall. CROSS JOIN keeps FTS5 as the outer loop (few rows), where the
        planner would otherwise walk the user's notes and run the match once per note.
        """
        try:
            async with self._db.read() as db:
                rows = await fetch_all(
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
                created_at=parse_time(row["created_at"]),
                title=row["title"],
                snippet=row["snippet"] or "",
                rank=float(row["rank"]),  # bm25: lower (more negative) is a better match
            )
            for row in rows
        ]

    async def count(self, user_id: int, fts_query: str) -> int:
        """How many of the user's notes match (for "showing 5 of N")."""
        try:
            async with self._db.read() as db:
                row = await fetch_one(
                    db,
                    "SELECT count(*) FROM notes_fts CROSS JOIN notes n "
                    "ON n.id = notes_fts.rowid WHERE notes_fts MATCH ? AND n.user_id = ?",
                    (user_match(user_id, fts_query), user_id),
                )
        except sqlite3.OperationalError:
            return 0
        return int(row[0])

    async def save(self, user_id: int, query: str, *, keep: int = 50) -> int:
        """Remember a query so its result pages can be buttons; returns its id.

        Only the user's last `keep` queries are kept: older result pages say they expired.
        """
        async with self._db.write() as db:
            async with db.execute(
                "INSERT INTO saved_searches (user_id, query, created_at) VALUES (?, ?, ?)",
                (user_id, query, now()),
            ) as cursor:
                search_id = cursor.lastrowid
            assert search_id is not None
            await db.execute(
                "DELETE FROM saved_searches WHERE user_id = ? AND id NOT IN "
                "(SELECT id FROM saved_searches WHERE user_id = ? ORDER BY id DESC LIMIT ?)",
                (user_id, user_id, keep),
            )
        return search_id

    async def saved(self, user_id: int, search_id: int) -> str | None:
        async with self._db.read() as db:
            row = await fetch_one(
                db,
                "SELECT query FROM saved_searches WHERE id = ? AND user_id = ?",
                (search_id, user_id),
            )
        return row["query"] if row else None
