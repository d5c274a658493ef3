"""Turn whatever a user types after /search into a safe SQLite FTS5 MATCH expression.

FTS5 has its own query language (quotes, AND/OR/NOT/NEAR, `*`, `:`, `^`, parentheses), so raw
input can be a syntax error or an unintended column filter. We keep only word tokens and quote
each one, which leaves the user nothing to break while still matching what they meant.

The search table holds every user's notes; each row also carries its owner as a token in the
`owner` column, and `user_match` restricts a query to one owner inside FTS5 itself. That keeps
a search as cheap as the user's own notes are few, however many notes other users have.

Each word may also stand for close spellings of it found in the user's own vocabulary
(`bot.storage.search_terms`): `expanded_query` OR-s them in beside the word as typed.
"""

from __future__ import annotations

import re

MAX_TOKENS = 16  # more words than this only makes the query slower, never better
MAX_TOKEN_CHARS = 64  # longer "words" are pasted junk; the prefix still matches
# The last word also matches as a prefix ("meet" finds "meeting") from this length on; the
# search table keeps prefix indexes for 3 and 4 characters, so such queries stay fast. Shorter
# prefixes ("a*") would merge the posting lists of thousands of words and find everything.
MIN_PREFIX_CHARS = 3

_WORD = re.compile(r"\w+")


def _quote(token: str) -> str:
    """An FTS5 string: operators and column names inside quotes are plain text."""
    return '"' + token.replace('"', '""') + '"'


def owner_token(user_id: int) -> str:
    """The token stored in the search table's `owner` column for a user's notes.

    Storage writes it with the same rule in SQL ('u' || user_id).
    """
    return f"u{user_id}"


def query_words(user_text: str) -> list[str]:
    """The words of `user_text` that a search looks for (at most MAX_TOKENS, each cut)."""
    return [token[:MAX_TOKEN_CHARS] for token in _WORD.findall(user_text)[:MAX_TOKENS]]


def _as_typed(word: str, last: bool) -> str:
    return _quote(word) + ("*" if last and len(word) >= MIN_PREFIX_CHARS else "")


def build_fts_query(user_text: str) -> str | None:
    """Words of `user_text`, all required, the last one also as a prefix when long enough.

    Returns None when there is no word at all, so the caller can ask for some.
    """
    words = query_words(user_text)
    if not words:
        return None
    last = len(words) - 1
    return " ".join(_as_typed(word, last=index == last) for index, word in enumerate(words))


def expanded_query(words: list[str], close: dict[str, list[str]]) -> str:
    """Every word required, each either as typed (the last also as a prefix) or as one of its
    close terms (`close[word]`, terms of the user's own notes). FTS5 needs the explicit AND
    beside a parenthesised OR."""
    parts = []
    for index, word in enumerate(words):
        typed = _as_typed(word, last=index == len(words) - 1)
        others = [_quote(term) for term in close.get(word, ())]
        parts.append(f"({' OR '.join([typed, *others])})" if others else typed)
    return " AND ".join(parts)


def user_match(user_id: int, fts_query: str, *, hidden: bool = False) -> str:
    """`fts_query` limited to one user's notes and to the text columns: the note's text and
    title, and with `hidden` also the readings the user has not settled (never shown)."""
    columns = "{body title hidden}" if hidden else "{body title}"
    return f"owner:{_quote(owner_token(user_id))} AND {columns}: ({fts_query})"
