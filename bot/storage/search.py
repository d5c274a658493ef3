"""Full-text search over each note's current text and title (SQLite FTS5), scoped to its owner,
tolerant of OCR errors.

Each note's search row is rewritten whenever the note changes, by `refresh` inside the
transaction that changed it: every write path calls it (a new note, a settled line, a new title,
an edited note). `refresh` also keeps the owner's vocabulary (`search_terms`) in step, and
indexes the readings the OCR step had and did not choose as hidden text, for the lines the user
has not settled. A query word then matches its exact form, or one of the close spellings found
in the user's own vocabulary; notes matching every word as typed come first. Paged results
remember their query in `saved_searches`, because a button's 64 bytes can't hold it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, replace

from bot.domain.models import HIGHLIGHT_END, HIGHLIGHT_START, SearchHit
from bot.domain.paging import Page
from bot.storage.database import Connection, Database, fetch_all, fetch_one, now, parse_time
from bot.storage.search_query import expanded_query, query_words, user_match
from bot.storage.search_terms import (
    DICTIONARY,
    LOOKALIKE_GLOB,
    TOKENIZER_ONCE,
    FuzzyRules,
    close_terms,
    in_vocabulary,
    lookalike,
)

# A line's other readings are searchable while the user has not settled it: not kept, retyped
# or dropped, and its text still the one the OCR step read (an editor that changes the text
# settles it too).
UNSETTLED = "state IN ('accepted', 'pending') AND text = original_text"
# Whether the terms of those readings join the owner's vocabulary, so that a close spelling
# can reach them too (measured: BENCHMARKS.md, search recall).
HIDDEN_TERMS_IN_VOCABULARY = True
# bm25 weights of body, title, owner, hidden: a word found only in another reading counts for
# less than one in the note's text.
_RANK = "bm25(notes_fts, 1.0, 1.0, 0.0, 0.25)"
# A note's search row: its visible lines in order, its title, its owner's token
# (search_query.owner_token) and its unsettled lines' other readings. Append a WHERE clause on
# `n`. Migrations repeat this SQL on purpose: shipped migrations are never edited.
_FTS_ROWS = (
    "INSERT INTO notes_fts (rowid, body, title, owner, hidden) "
    "SELECT n.id, coalesce((SELECT group_concat(text, char(10)) FROM "
    "  (SELECT text FROM lines WHERE note_id = n.id AND state != 'dropped' "
    "   ORDER BY position)), ''), coalesce(n.title, ''), 'u' || n.user_id, "
    "  coalesce((SELECT group_concat(alternatives, char(10)) FROM "
    "  (SELECT alternatives FROM lines WHERE note_id = n.id AND alternatives IS NOT NULL "
    f"   AND {UNSETTLED} ORDER BY position)), '') "
    "FROM notes n "
)


@dataclass(frozen=True)
class _IndexedRow:
    user_id: int
    text: str  # everything whose terms go into the owner's vocabulary


async def _indexed(db: Connection, note_id: int) -> _IndexedRow | None:
    row = await fetch_one(
        db, "SELECT owner, body, title, hidden FROM notes_fts WHERE rowid = ?", (note_id,)
    )
    if row is None:
        return None
    parts = [row["body"], row["title"], row["hidden"] if HIDDEN_TERMS_IN_VOCABULARY else ""]
    text = "\n".join(part or "" for part in parts)
    return _IndexedRow(int(row["owner"][1:]), text)


async def _count_terms(db: Connection, old: _IndexedRow | None, new: _IndexedRow | None) -> None:
    """Move the owner's vocabulary from the note's old terms to its new ones: each term
    counts the owner's notes that hold it, and goes when none does."""
    if old is None and new is None:
        return
    texts = [row.text if row is not None else "" for row in (old, new)]
    old_terms, new_terms = (
        {(len(term), term) for term in found if in_vocabulary(term)}
        for found in await asyncio.to_thread(TOKENIZER_ONCE.terms, texts)
    )
    owner = next(row.user_id for row in (old, new) if row is not None)  # a note keeps its owner
    gone = [(owner, *term) for term in old_terms - new_terms]
    came = [(owner, *term) for term in new_terms - old_terms]
    if gone or came:
        await db.executemany(
            "INSERT INTO search_terms (user_id, size, term, notes) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id, size, term) DO UPDATE SET notes = notes + excluded.notes",
            [(*key, -1) for key in gone] + [(*key, 1) for key in came],
        )
    if gone:
        await db.executemany(
            "DELETE FROM search_terms WHERE user_id = ? AND size = ? AND term = ? AND notes <= 0",
            gone,
        )


async def refresh(db: Connection, note_id: int) -> None:
    """Rewrite the note's search row from its lines, title and owner, and its owner's
    vocabulary with it (in the write that changed the note). Every write path calls this."""
    old = await _indexed(db, note_id)
    await db.execute("DELETE FROM notes_fts WHERE rowid = ?", (note_id,))
    await db.execute(_FTS_ROWS + "WHERE n.id = ?", (note_id,))
    await _count_terms(db, old, await _indexed(db, note_id))


async def drop(db: Connection, note_id: int) -> None:
    """Remove a deleted note's search row and its terms (in the write that deletes it)."""
    old = await _indexed(db, note_id)
    await db.execute("DELETE FROM notes_fts WHERE rowid = ?", (note_id,))
    await _count_terms(db, old, None)


async def forget(db: Connection, user_id: int) -> None:
    """Remove every search row and the vocabulary of a user (before their notes go)."""
    await db.execute(
        "DELETE FROM notes_fts WHERE rowid IN (SELECT id FROM notes WHERE user_id = ?)",
        (user_id,),
    )
    await db.execute("DELETE FROM search_terms WHERE user_id = ?", (user_id,))


async def _vocabulary(
    db: Connection, user_id: int, wanted: list[tuple[str, int]]
) -> dict[int, str]:
    """The user's terms that may be close to the wanted (term, budget) pairs, by size, each
    size's terms as one newline-joined string (far cheaper than a row per term). A word
    matched exactly (budget 0) can only stand for a lookalike spelling: only terms of its
    size that are its plain form or hold a lookalike letter are read."""
    fuzzy = sorted(
        {
            size
            for term, budget in wanted
            if budget
            for size in range(len(term) - budget, len(term) + budget + 1)
        }
    )
    conditions = [f"size IN ({','.join('?' * len(fuzzy))})"] if fuzzy else []
    params: list[object] = [*fuzzy]
    for term, budget in wanted:
        if not budget:
            conditions.append("(size = ? AND (term = ? OR term GLOB ?))")
            params += [len(term), lookalike(term), LOOKALIKE_GLOB]
    rows = await fetch_all(
        db,
        "SELECT size, group_concat(term, char(10)) FROM search_terms "
        f"WHERE user_id = ? AND ({' OR '.join(conditions)}) GROUP BY size",
        (user_id, *params),
    )
    return {size: terms for size, terms in rows}


@dataclass(frozen=True)
class _Plan:
    typed: str  # every word as typed: a note matching it is an exact match
    expanded: str  # every word as typed or as one of its close terms
    close: list[str]  # the close terms that were OR-ed in


class Search:
    """The one search behind /search, inline mode and the Mini App.

    `rules` says how far a word may be from the terms it stands for (`EXACT_ONLY`: the search
    before OCR errors were tolerated, for benchmarks).
    """

    def __init__(self, db: Database, rules: FuzzyRules | None = None) -> None:
        self._db = db
        self.rules = rules or FuzzyRules()
        if self.rules.words_differ and self.rules.max_close > 0:
            DICTIONARY.load_in_background()

    async def _plan(self, db: Connection, user_id: int, text: str) -> _Plan | None:
        """The words of `text` and the close spellings of each in the user's vocabulary:
        read from this user's rows of `search_terms` only, the sizes in reach first."""
        words = query_words(text)
        if not words:
            return None
        typed = expanded_query(words, {})
        if self.rules.max_close <= 0:
            return _Plan(typed, typed, [])
        wanted: dict[str, tuple[str, int]] = {}
        for word in words:
            term = TOKENIZER_ONCE.term(word)
            if term is not None and in_vocabulary(term):
                wanted[word] = (term, self.rules.budget(term))
        if not wanted:
            return _Plan(typed, typed, [])
        by_size = await _vocabulary(db, user_id, list(wanted.values()))
        dictionary = DICTIONARY.loaded
        if dictionary is None:
            dictionary = await asyncio.to_thread(DICTIONARY.load)
        close: dict[str, list[str]] = {}
        for word, (term, budget) in wanted.items():
            reach = range(len(term) - budget, len(term) + budget + 1)
            joined = "\n".join(by_size[size] for size in reach if size in by_size)
            close[word] = close_terms(
                term,
                joined.split("\n") if joined else [],
                self.rules,
                budget=budget,
                words=dictionary,
            )
        terms = list(dict.fromkeys(term for found in close.values() for term in found))
        return _Plan(typed, expanded_query(words, close), terms)

    async def _hits(
        self, db: Connection, user_id: int, plan: _Plan, limit: int, offset: int
    ) -> list[SearchHit]:
        """A page of hits: notes matching every word as typed (in their text or title)
        first, then the approximate ones, each by bm25. The snippet is of the note's text,
        never of its hidden readings."""
        rows = await fetch_all(
            db,
            "SELECT n.id, n.created_at, n.title, "
            "snippet(notes_fts, 0, ?, ?, '…', 12) AS snippet, "
            f"{_RANK} AS rank, "
            "notes_fts.rowid NOT IN (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?) "
            "AS approximate "
            "FROM notes_fts CROSS JOIN notes n ON n.id = notes_fts.rowid "
            "WHERE notes_fts MATCH ? AND n.user_id = ? "
            "ORDER BY approximate, rank, n.id DESC LIMIT ? OFFSET ?",
            (
                HIGHLIGHT_START,
                HIGHLIGHT_END,
                user_match(user_id, plan.typed),
                user_match(user_id, plan.expanded, hidden=True),
                user_id,
                limit,
                offset,
            ),
        )
        hits = [
            SearchHit(
                note_id=row["id"],
                created_at=parse_time(row["created_at"]),
                title=row["title"],
                snippet=row["snippet"] or "",
                rank=float(row["rank"]),  # bm25: lower (more negative) is a better match
                approximate=bool(row["approximate"]),
            )
            for row in rows
        ]
        return await self._name_close_words(db, plan, hits)

    async def _name_close_words(
        self, db: Connection, plan: _Plan, hits: list[SearchHit]
    ) -> list[SearchHit]:
        """Which close terms each approximate hit shows in its text or title (never one found
        only in its hidden readings), so the reply can say what it matched: its visible text
        cut into terms (a rowid lookup and FTS5's tokenizer, cheaper than a match per term)."""
        approximate = [hit.note_id for hit in hits if hit.approximate]
        if not approximate or not plan.close:
            return hits
        marks = ",".join("?" * len(approximate))
        rows = await fetch_all(
            db,
            f"SELECT rowid, body || char(10) || title FROM notes_fts WHERE rowid IN ({marks})",
            approximate,
        )
        found = await asyncio.to_thread(TOKENIZER_ONCE.terms, [text for _, text in rows])
        shown = {
            note_id: tuple(term for term in plan.close if term in terms)
            for (note_id, _), terms in zip(rows, found, strict=True)
        }
        return [replace(hit, close_words=shown.get(hit.note_id, ())) for hit in hits]

    async def _count(self, db: Connection, user_id: int, plan: _Plan) -> int:
        row = await fetch_one(
            db,
            "SELECT count(*) FROM notes_fts CROSS JOIN notes n "
            "ON n.id = notes_fts.rowid WHERE notes_fts MATCH ? AND n.user_id = ?",
            (user_match(user_id, plan.expanded, hidden=True), user_id),
        )
        return int(row[0])

    async def find(
        self, user_id: int, words: str, *, limit: int = 5, offset: int = 0
    ) -> list[SearchHit]:
        """A page of the user's notes matching `words` (what they typed), best first: notes
        matching every word as typed before approximate ones. Nothing for a text without words.

        FTS5 itself keeps to the owner's rows (`user_match`); the join re-checks the owner in
        SQL as a second wall. CROSS JOIN keeps FTS5 as the outer loop (few rows), where the
        planner would otherwise walk the user's notes and run the match once per note.
        """
        try:
            async with self._db.read() as db:
                plan = await self._plan(db, user_id, words)
                return [] if plan is None else await self._hits(db, user_id, plan, limit, offset)
        except sqlite3.OperationalError:
            return []

    async def page(
        self, user_id: int, words: str, number: int, size: int
    ) -> tuple[Page, list[SearchHit]]:
        """Page `number` (clamped into range) of the user's notes matching `words`, and its
        hits: what /search shows, with one read and one look at the vocabulary."""
        try:
            async with self._db.read() as db:
                plan = await self._plan(db, user_id, words)
                total = 0 if plan is None else await self._count(db, user_id, plan)
                page = Page.of(number, size, total)
                if plan is None or not total:
                    return page, []
                return page, await self._hits(db, user_id, plan, page.size, page.offset)
        except sqlite3.OperationalError:
            return Page.of(0, size, 0), []

    async def count(self, user_id: int, words: str) -> int:
        """How many of the user's notes match `words` (for "showing 5 of N")."""
        try:
            async with self._db.read() as db:
                plan = await self._plan(db, user_id, words)
                return 0 if plan is None else await self._count(db, user_id, plan)
        except sqlite3.OperationalError:
            return 0

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
