"""Turn whatever a user types after /search into a safe SQLite FTS5 MATCH expression.

FTS5 has its own query language (quotes, AND/OR/NOT/NEAR, `*`, `:`, `^`, parentheses), so raw
input can be a syntax error or an unintended column filter. We keep only word tokens and quote
each one, which leaves the user nothing to break while still matching what they meant.

The search table holds every user's notes; each row also carries its owner as a token in the
`owner` column, and `user_match` restricts a query to one owner inside FTS5 itself. That keeps
a search as cheap as the user's own notes are few, however many notes other users have.
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


def build_fts_query(user_text: str) -> str | None:
    """Words of `user_text`, all required, the last one also as a prefix when long enough.

    Returns None when there is no word at all, so the caller can ask for some.
    """
    tokens = [token[:MAX_TOKEN_CHARS] for token in _WORD.findall(user_text)[:MAX_TOKENS]]
    if not tokens:
        return None
    parts = [_quote(token) for token in tokens]
    if len(tokens[-1]) >= MIN_PREFIX_CHARS:
        parts[-1] += "*"
    return " ".join(parts)


def user_match(user_id: int, fts_query: str) -> str:
    """`fts_query` (from `build_fts_query`) limited to one user's notes and to the text columns."""
    return f"owner:{_quote(owner_token(user_id))} AND {{body title}}: ({fts_query})"
