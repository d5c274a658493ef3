"""Search tolerant of OCR errors, against real SQLite files: which close spellings a word
stands for, exact matches first, each user's own vocabulary only, and the readings the OCR step
did not choose searchable (never shown) until the user settles their line."""

from __future__ import annotations

import io
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.editor import LineEdit, NoteEdit
from bot.domain.export import ExportFormat, write_export
from bot.domain.i18n import Catalogs
from bot.domain.models import ConfidenceSource, LineDraft, LineState, Note, ReviewAction
from bot.storage import Storage
from bot.storage.schema import MIGRATIONS, SCHEMA_VERSION
from bot.storage.search import Search
from bot.storage.search_terms import (
    DICTIONARY,
    EXACT_ONLY,
    TOKENIZER_ONCE,
    FuzzyRules,
    Tokenizer,
    close_terms,
)

ALICE, BOB = 111, 222


def line(text: str, *alternatives: str, state: LineState = LineState.ACCEPTED) -> LineDraft:
    return LineDraft(text, 0.9, ConfidenceSource.ENGINE, state, alternatives=alternatives)


def unsure(text: str, *alternatives: str) -> LineDraft:
    return line(text, *alternatives, state=LineState.PENDING)


async def note(storage: Storage, user_id: int, *lines: LineDraft, title: str | None = None):
    return await storage.create_note(
        user_id=user_id, chat_id=user_id, lines=list(lines), title=title
    )


async def found(storage: Storage, user_id: int, words: str) -> list[tuple[int, bool]]:
    """(note id, approximate) of every hit, best first."""
    hits = await storage.search.find(user_id, words, limit=50)
    return [(hit.note_id, hit.approximate) for hit in hits]


def vocabulary(path: Path, user_id: int) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT term, notes FROM search_terms WHERE user_id = ?", (user_id,))
        return dict(rows.fetchall())


def vocabulary_from_scratch(path: Path) -> dict[tuple[int, str], int]:
    """Every user's terms as FTS5 itself indexes them (migration 9's way), to compare with
    the vocabulary that `refresh` kept in step."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, notes_fts, instance)")
        rows = db.execute(
            "SELECT n.user_id, v.term, count(DISTINCT v.doc) FROM v JOIN notes n "
            "ON n.id = v.doc WHERE v.col != 'owner' AND length(v.term) BETWEEN 2 AND 64 "
            "AND v.term GLOB '*[^0-9]*' GROUP BY n.user_id, v.term"
        ).fetchall()
        kept = db.execute("SELECT user_id, term, notes FROM search_terms").fetchall()
    assert {(user, term): count for user, term, count in kept} == {
        (user, term): count for user, term, count in rows
    }
    return {(user, term): count for user, term, count in rows}


# --- which close spellings a word stands for ---


def test_budget_grows_with_the_words_length_and_spares_numbers() -> None:
    rules = FuzzyRules()
    assert [rules.budget(word) for word in ("milk", "plans", "meeting", "whiteboard")] == [
        0,
        1,
        2,
        2,
    ]
    assert rules.budget("20261203") == 0  # a number: exact only
    assert rules.budget("room42b") == 0  # a code with digits
    assert EXACT_ONLY.budget("whiteboard") == 0


def test_close_terms_are_the_nearest_within_the_budget() -> None:
    words = DICTIONARY.load()
    vocabulary = ["meetimq", "meetng", "meeting", "mtg", "meetinqs"]
    close = close_terms("meeting", vocabulary, FuzzyRules(), words=words)
    assert close == ["meetng", "meetimq", "meetinqs"]  # one edit, then two
    assert "meeting" not in close  # the word itself is matched exactly anyway
    assert "mtg" not in close  # four edits
    assert close_terms("meeting", vocabulary, FuzzyRules(max_close=1), words=words) == ["meetng"]


def test_dictionary_words_are_not_misreadings_of_each_other() -> None:
    words = DICTIONARY.load()
    assert close_terms("world", ["word", "worlb", "would"], FuzzyRules(), words=words) == ["worlb"]
    # A word the dictionary lacks (a typo, a name) may still stand for a real word.
    assert close_terms("meetng", ["meeting"], FuzzyRules(), words=words) == ["meeting"]
    alike = FuzzyRules(words_differ=False)
    assert set(close_terms("world", ["word", "would"], alike, words=words)) == {"word", "would"}


def test_lookalike_letters_match_at_any_length() -> None:
    assert close_terms("dinh", ["đinh", "dinx"], FuzzyRules()) == ["đinh"]
    assert close_terms("đon", ["don"], FuzzyRules()) == ["don"]


def test_terms_are_the_search_tables_own() -> None:
    (terms,) = Tokenizer().terms(["Ghi chú ĐƠN, e\u0301cole foo_bar 2026"])
    assert terms == {"ghi", "chu", "đon", "ecole", "foo", "bar", "2026"}
    assert TOKENIZER_ONCE.term("Café") == "cafe"
    assert TOKENIZER_ONCE.term("foo_bar") is None  # a phrase: matched exactly only


# --- ranking, snippets, wording the search gives the reply ---


async def test_a_misspelled_note_is_found_after_the_exact_ones(storage: Storage) -> None:
    # bm25 alone would put the short note full of "meetng" first.
    typo = await note(storage, ALICE, line("meetng meetng meetng"))
    exact = await note(storage, ALICE, line("the weekly team meeting " + "and more " * 30))
    other = await note(storage, ALICE, line("nothing to see"))
    assert await found(storage, ALICE, "meeting") == [(exact.id, False), (typo.id, True)]
    assert await storage.search.count(ALICE, "meeting") == 2
    (_, hit) = await storage.search.find(ALICE, "meeting")
    assert hit.close_words == ("meetng",)
    assert "\ue000meetng\ue001" in hit.snippet  # the word that matched is highlighted
    assert await found(storage, ALICE, "meetng") == [(typo.id, False), (exact.id, True)]
    exact_only = Search(storage.db, EXACT_ONLY)
    assert [hit.note_id for hit in await exact_only.find(ALICE, "meeting")] == [exact.id]
    assert other.id not in [hit.note_id for hit in await storage.search.find(ALICE, "nothing")][1:]


async def test_every_word_must_match_as_typed_or_closely(storage: Storage) -> None:
    both = await note(storage, ALICE, line("Budgett review on Friday"))
    await note(storage, ALICE, line("Budget only"))
    assert await found(storage, ALICE, "budget friday") == [(both.id, True)]
    assert await found(storage, ALICE, "budget fri") == [(both.id, True)]  # prefix, as before
    # Last, "budget" is also a prefix: "budgett" matches it as typed.
    assert await found(storage, ALICE, "review budget") == [(both.id, False)]
    assert await found(storage, ALICE, "budgett review") == [(both.id, False)]


async def test_short_words_and_numbers_are_matched_exactly(storage: Storage) -> None:
    await note(storage, ALICE, line("plan room 4217 milk"))
    assert await found(storage, ALICE, "plam") == []
    assert await found(storage, ALICE, "4218") == []
    assert await found(storage, ALICE, "mik") == []


async def test_diacritics_and_lookalike_letters_fold(storage: Storage) -> None:
    viet = await note(storage, ALICE, line("ghi chú Đinh Tiên Hoàng"))
    assert await found(storage, ALICE, "ghi chu") == [(viet.id, False)]
    assert await found(storage, ALICE, "hoang") == [(viet.id, False)]
    ocr = await note(storage, ALICE, line("Dinh Tien Hoang"))  # the engine dropped the Đ
    assert await found(storage, ALICE, "Đinh") == [(viet.id, False), (ocr.id, True)]


# --- users stay isolated ---


async def test_close_spellings_come_from_the_users_own_vocabulary(storage: Storage) -> None:
    # Bob's "meetin" is closer to "meeting" than Alice's "meetnig": with one close term per
    # word, a search that read Bob's vocabulary would OR in his word and miss Alice's note.
    alices = await note(storage, ALICE, line("meetnig at noon"))
    bobs = await note(storage, BOB, line("meetin meeting meetnig u111 owner"))
    storage.search = Search(storage.db, FuzzyRules(max_close=1))
    assert await found(storage, ALICE, "meeting") == [(alices.id, True)]
    assert await found(storage, BOB, "meeting") == [(bobs.id, False)]
    assert await found(storage, ALICE, "u111") == []  # owner tokens are not text
    assert await found(storage, ALICE, "owner") == []
    (hit,) = await storage.search.find(ALICE, "meeting")
    assert hit.close_words == ("meetnig",)


async def test_forgetting_a_user_clears_their_vocabulary_only(
    storage: Storage, db_path: Path
) -> None:
    await note(storage, ALICE, line("Quarterly budget"))
    await note(storage, BOB, line("Quarterly budget"))
    await storage.forget_user(ALICE)
    assert vocabulary(db_path, ALICE) == {}
    assert vocabulary(db_path, BOB) == {"quarterly": 1, "budget": 1}


# --- the vocabulary follows every change ---


async def test_vocabulary_counts_notes_through_every_write(storage: Storage, db_path: Path) -> None:
    first = await note(storage, ALICE, line("Budget plan"), unsure("Zorblat", "Budget"))
    second = await note(storage, ALICE, line("budget again 2026"), title="Plan")
    await note(storage, BOB, line("Budget"))
    assert vocabulary(db_path, ALICE) == {"budget": 2, "plan": 2, "zorblat": 1, "again": 1}
    await storage.finish_rename(ALICE, second.id, "Renamed")
    line_id = first.lines[1].id
    await storage.resolve_line(ALICE, line_id, ReviewAction.RETYPE, "Quexx")
    assert vocabulary(db_path, ALICE) == {
        "budget": 2,
        "plan": 1,
        "quexx": 1,
        "again": 1,
        "renamed": 1,
    }
    vocabulary_from_scratch(db_path)
    await storage.delete_note(ALICE, first.id)
    assert vocabulary(db_path, ALICE) == {"budget": 1, "again": 1, "renamed": 1}
    vocabulary_from_scratch(db_path)


async def test_version_8_database_gets_its_vocabulary(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    stamp = "2026-01-01T00:00:00.000000+00:00"
    with closing(sqlite3.connect(db_path)) as db:
        db.executescript("\n".join(MIGRATIONS[:8]) + "\nPRAGMA user_version = 8;")
        for note_id, user, text, state in [
            (1, ALICE, "Team meetng notes", "accepted"),
            (2, ALICE, "hidden secret", "dropped"),
            (3, BOB, "meeting 2026", "kept"),
        ]:
            db.execute(
                "INSERT INTO notes (id, user_id, chat_id, title, created_at) "
                "VALUES (?, ?, ?, 'Title', ?)",
                (note_id, user, user, stamp),
            )
            db.execute(
                "INSERT INTO lines (note_id, position, text, original_text, confidence, "
                "confidence_source, state, updated_at) VALUES (?, 0, ?, ?, 0.9, 'engine', ?, ?)",
                (note_id, text, text, state, stamp),
            )
            body = "" if state == "dropped" else text
            db.execute(
                "INSERT INTO notes_fts (rowid, body, title, owner) VALUES (?, ?, 'Title', ?)",
                (note_id, body, f"u{user}"),
            )
        db.commit()
    async with await Storage.open(db_path) as storage:
        assert await found(storage, ALICE, "meeting") == [(1, True)]
        assert await found(storage, BOB, "meeting") == [(3, False)]
    assert vocabulary(db_path, ALICE) == {"team": 1, "meetng": 1, "notes": 1, "title": 2}
    assert vocabulary(db_path, BOB) == {"meeting": 1, "title": 1}
    vocabulary_from_scratch(db_path)
    with closing(sqlite3.connect(db_path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


# --- the readings the OCR step did not choose ---


async def exported(storage: Storage, user_id: int) -> str:
    t = Catalogs.english_only().get("en")
    parts = []
    for kind in ExportFormat:
        out = io.StringIO()
        await write_export(
            storage.notes.every(user_id), kind, out, exported_at=datetime.now(UTC), t=t
        )
        parts.append(out.getvalue())
    return "\n".join(parts)


def visible(note_: Note) -> str:
    return json.dumps([note_.title, note_.text, [vars(line) for line in note_.lines]], default=str)


async def test_other_readings_are_searchable_and_never_shown(storage: Storage) -> None:
    made = await note(
        storage,
        ALICE,
        line("Agenda", "Agenda"),  # the same reading is no other reading
        unsure("Zorblat quexx", "Budget review"),
        line("Call Maria", "Call Marla"),
    )
    assert await found(storage, ALICE, "budget") == [(made.id, True)]
    assert await found(storage, ALICE, "marla") == [(made.id, True)]
    assert await found(storage, BOB, "budget") == []
    (hit,) = await storage.search.find(ALICE, "budget review")
    assert hit.approximate
    assert hit.close_words == ()
    assert "udget" not in hit.snippet.lower()
    stored = await storage.notes.get(ALICE, made.id)
    assert stored is not None
    assert "udget" not in visible(stored).lower()
    assert "marla" not in visible(stored).lower()
    assert "udget" not in (await exported(storage, ALICE)).lower()
    # A note matching as typed comes before one found through a hidden reading.
    typed = await note(storage, ALICE, line("budget for 2027"))
    assert await found(storage, ALICE, "budget") == [(typed.id, False), (made.id, True)]


@pytest.mark.parametrize("action", list(ReviewAction))
async def test_settling_a_line_drops_its_other_readings(
    storage: Storage, db_path: Path, action: ReviewAction
) -> None:
    made = await note(storage, ALICE, line("Agenda"), unsure("Zorblat quexx", "Budget review"))
    assert "budget" in vocabulary(db_path, ALICE)
    text = "Something else" if action is ReviewAction.RETYPE else None
    await storage.resolve_line(ALICE, made.lines[1].id, action, text)
    assert await found(storage, ALICE, "budget") == []
    assert await found(storage, ALICE, "review") == []
    assert "budget" not in vocabulary(db_path, ALICE)
    vocabulary_from_scratch(db_path)


async def test_an_editor_save_settles_the_lines_it_changes(storage: Storage, db_path: Path) -> None:
    """The Mini App's save: a line retyped, a flagged line kept, a line dropped lose their
    other readings; a line the save left as the OCR step read it keeps them."""
    made = await note(
        storage,
        ALICE,
        line("Zorblat quexx", "Budget review"),
        unsure("Wcter", "Walrus"),
        line("Plonk", "Pelican"),
        line("Agenda", "Anaconda"),
    )
    edits = [
        LineEdit(made.lines[0].id, "Fixed text"),
        LineEdit(made.lines[1].id, "Wcter", keep=True),
        LineEdit(made.lines[2].id, "Plonk", drop=True),
        LineEdit(made.lines[3].id, "Agenda"),
    ]
    await storage.save_edits(ALICE, made.id, NoteEdit(made.version, None, tuple(edits)))
    for gone in ("budget", "walrus", "pelican", "plonk"):
        assert await found(storage, ALICE, gone) == [], gone
    assert await found(storage, ALICE, "fixed") == [(made.id, False)]
    assert await found(storage, ALICE, "anaconda") == [(made.id, True)]
    vocabulary_from_scratch(db_path)
