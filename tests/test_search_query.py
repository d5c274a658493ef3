"""build_fts_query must turn any input into None or a query FTS5 accepts."""

from __future__ import annotations

import sqlite3

import pytest

from bot.search_query import MAX_TOKEN_CHARS, MAX_TOKENS, build_fts_query

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


@pytest.fixture(scope="module")
def fts() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE t USING fts5(body, title, tokenize='unicode61 remove_diacritics 2')"
    )
    db.execute(
        "INSERT INTO t (rowid, body, title) VALUES "
        "(1, 'buy milk and eggs', 'shopping'), (2, 'Straße cafe naive', ''), "
        "(3, 'Привет мир', '東京')"
    )
    return db


@pytest.mark.parametrize("text", NASTY_INPUTS)
def test_nasty_input_is_none_or_valid(fts: sqlite3.Connection, text: str) -> None:
    query = build_fts_query(text)
    if query is None:
        return
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall()  # must not raise


@pytest.mark.parametrize("text", ["", "  ", "!!!", "🥛🥚", "*:^()", '"'])
def test_no_words_gives_none(text: str) -> None:
    assert build_fts_query(text) is None


def test_words_are_quoted_and_last_is_prefix() -> None:
    assert build_fts_query("buy milk") == '"buy" "milk"*'
    assert build_fts_query("NOT milk") == '"NOT" "milk"*'


def test_operators_are_plain_words(fts: sqlite3.Connection) -> None:
    query = build_fts_query("bread OR milk")
    assert query is not None
    # As an operator OR would find the milk note; as a word, every note lacks "bread".
    assert fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall() == []


def test_prefix_and_diacritics_match(fts: sqlite3.Connection) -> None:
    def rows(text: str) -> list[int]:
        query = build_fts_query(text)
        assert query is not None
        return [r[0] for r in fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,))]

    assert rows("eggs mil") == [1]
    assert rows("café") == [2]
    assert rows("привет") == [3]
    assert rows("shopping") == [1]  # titles are searched too


def test_caps_tokens_and_length() -> None:
    query = build_fts_query(" ".join(f"w{i}" for i in range(40)) + " " + "y" * 200)
    assert query is not None
    parts = query.split(" ")
    assert len(parts) == MAX_TOKENS
    assert parts[-1] == f'"w{MAX_TOKENS - 1}"*'
    long_query = build_fts_query("z" * 200)
    assert long_query == '"' + "z" * MAX_TOKEN_CHARS + '"*'
