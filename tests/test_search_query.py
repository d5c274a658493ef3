"""build_fts_query must turn any input into None or a query FTS5 accepts."""

from __future__ import annotations

import re
import sqlite3

import pytest

from bot.storage.search_query import (
    MAX_TOKEN_CHARS,
    MAX_TOKENS,
    MIN_PREFIX_CHARS,
    build_fts_query,
    user_match,
)

NASTY_INPUTS = [
    "",
    "   ",
    "\n\t",
    '"',
    '""',
    '"unbalanced',
    "'single'",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "a AND",
    "AND OR NOT",
    "NOT milk",
    "milk NOT",
    "NEAR(milk eggs, 2)",
    "NEAR/3",
    "*",
    "milk*",
    "*milk",
    "**",
    ":",
    "body:milk",
    "title:",
    "{body title}: milk",
    "-body:milk",
    "^milk",
    "^",
    "(",
    ")",
    "((milk)",
    "(milk OR eggs) AND NOT bread",
    "+",
    "-milk",
    "milk + eggs",
    "a.b,c;d!e?f",
    "@#$%&[]{}<>|\\/~`",
    "🥛🥚",
    "🥛 milk 🥚",
    "👨‍👩‍👧",
    "Straße café naïve",
    "Привет мир",
    "東京 タワー",
    "مرحبا",
    "e\u0301",  # combining accent
    "_",
    "___",
    "foo_bar",
    "\u0000nul",
    "\ue000marker\ue001",
    "x" * 500,
    " ".join(["word"] * 100),
    "¹²³ ½",
    "'; DROP TABLE notes; --",
    'say "hello" to "NEAR"',
]


USER = 7


@pytest.fixture(scope="module")
def fts() -> sqlite3.Connection:
    """The bot's search table (the latest migration's), holding one user's three notes."""
    from bot.storage.schema import MIGRATIONS

    pattern = r"CREATE VIRTUAL TABLE notes_fts USING fts5\(.*?\);"
    ddl = next(m for script in reversed(MIGRATIONS) if (m := re.search(pattern, script, re.S)))
    db = sqlite3.connect(":memory:")
    db.execute(ddl.group(0).replace("notes_fts", "t"))
    db.execute(
        "INSERT INTO t (rowid, body, title, owner) VALUES "
        "(1, 'buy milk and eggs', 'shopping', 'u7'), (2, 'Straße cafe naive', '', 'u7'), "
        "(3, 'Привет мир', '東京', 'u7')"
    )
    return db


def matching(fts: sqlite3.Connection, text: str) -> list[int]:
    query = build_fts_query(text)
    assert query is not None
    sql = "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid"
    return [row[0] for row in fts.execute(sql, (user_match(USER, query),))]


@pytest.mark.parametrize("text", NASTY_INPUTS)
def test_nasty_input_is_none_or_valid(fts: sqlite3.Connection, text: str) -> None:
    query = build_fts_query(text)
    if query is None:
        return
    for match in (query, user_match(USER, query)):
        fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,)).fetchall()  # must not raise


@pytest.mark.parametrize("text", ["", "  ", "!!!", "🥛🥚", "*:^()", '"'])
def test_no_words_gives_none(text: str) -> None:
    assert build_fts_query(text) is None


def test_words_are_quoted_and_last_is_prefix() -> None:
    assert build_fts_query("buy milk") == '"buy" "milk"*'
    assert build_fts_query("NOT milk") == '"NOT" "milk"*'


def test_short_last_word_is_matched_whole() -> None:
    assert MIN_PREFIX_CHARS == 3
    assert build_fts_query("milk is") == '"milk" "is"'
    assert build_fts_query("a") == '"a"'
    assert build_fts_query("mil") == '"mil"*'


def test_operators_are_plain_words(fts: sqlite3.Connection) -> None:
    # As an operator OR would find the milk note; as a word, every note lacks "bread".
    assert matching(fts, "bread OR milk") == []


def test_prefix_and_diacritics_match(fts: sqlite3.Connection) -> None:
    assert matching(fts, "eggs mil") == [1]
    assert matching(fts, "café") == [2]
    assert matching(fts, "привет") == [3]
    assert matching(fts, "shopping") == [1]  # titles are searched too
    assert matching(fts, "mi") == []  # too short to be a prefix: "mi" is not a word here


def test_only_the_owners_rows_and_only_text_columns_match(fts: sqlite3.Connection) -> None:
    query = build_fts_query("milk")
    assert query is not None
    other = fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (user_match(8, query),))
    assert other.fetchall() == []
    assert matching(fts, "u7") == []  # the owner token is not searchable text


def test_caps_tokens_and_length() -> None:
    query = build_fts_query(" ".join(f"w{i}" for i in range(40)) + " " + "y" * 200)
    assert query is not None
    parts = query.split(" ")
    assert len(parts) == MAX_TOKENS
    assert parts[-1] == f'"w{MAX_TOKENS - 1}"*'
    long_query = build_fts_query("z" * 200)
    assert long_query == '"' + "z" * MAX_TOKEN_CHARS + '"*'
