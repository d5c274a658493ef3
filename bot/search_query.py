"""Turn whatever a user types after /search into a safe SQLite FTS5 MATCH expression.

FTS5 has its own query language (quotes, AND/OR/NOT/NEAR, `*`, `:`, `^`, parentheses), so raw
input can be a syntax error or an unintended column filter. We keep only word tokens and quote
each one, which leaves the user nothing to break while still matching what they meant.
"""

from __future__ import annotations

import re

MAX_TOKENS = 16  # more words than this only makes the query slower, never better
MAX_TOKEN_CHARS = 64  # longer "words" are pasted junk; the prefix still matches

_WORD = re.compile(r"\w+")


def _quote(token: str) -> str:
    """An FTS5 string: operators and column names inside quotes are plain text."""
    return '"' + token.replace('"', '""') + '"'


def build_fts_query(user_text: str) -> str | None:
    """Words of `user_text`, all required, the last one as a prefix (the user may still be typing).

    Returns None when there is no word at all, so the caller can ask for some.
    """
    tokens = [token[:MAX_TOKEN_CHARS] for token in _WORD.findall(user_text)[:MAX_TOKENS]]
    if not tokens:
        return None
    parts = [_quote(token) for token in tokens]
    parts[-1] += "*"
    return " ".join(parts)
