"""Words as the search index sees them, and the close spellings a query word may stand for.

OCR misreads letters ("meetng" for "meeting"), so a query word also matches the user's indexed
terms within a few edits. The terms come from each user's vocabulary (`search_terms`, kept by
`bot.storage.search`); which of them are close is decided here, with `rapidfuzz`.

Terms must be exactly the ones FTS5 indexes, or a close spelling would find nothing: rather
than imitate SQLite's `unicode61` tokenizer (its diacritic folding differs from Unicode's in
hundreds of letters), text is cut into terms by that very tokenizer, in a private in-memory
SQLite database.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

# The search table's tokenizer (schema migration 9 writes the same words).
TOKENIZER = "unicode61 remove_diacritics 2"
# Terms kept in the vocabulary: shorter ones are never a close spelling of a word long enough
# to be fuzzy, longer ones are pasted junk (query words are cut at the same length).
MIN_TERM_CHARS = 2
MAX_TERM_CHARS = 64
_NUMBER = re.compile(r"[0-9]+")
# Letters FTS5 keeps although a reader sees them as a plain letter with a mark: "Đinh" typed
# with a Vietnamese keyboard must find an OCR's "Dinh" (and the other way round), whatever
# the word's length.
_LOOKALIKES = {"đ": "d", "ð": "d", "ø": "o", "ł": "l", "ħ": "h", "ı": "i"}
_LOOKALIKE = str.maketrans(_LOOKALIKES)
LOOKALIKE_GLOB = f"*[{''.join(_LOOKALIKES)}]*"  # a term holding one of them (SQL GLOB)


@dataclass(frozen=True)
class FuzzyRules:
    """How far a query word may be from a term it stands for (chosen on real photos:
    BENCHMARKS.md, search recall). A word with a digit is a number or a code: only exact."""

    min_chars: int = 5  # shorter words are matched exactly (or by a lookalike letter)
    long_chars: int = 7  # from this length on, `long_edits` edits are allowed
    edits: int = 1
    long_edits: int = 2
    max_close: int = 12  # close terms OR-ed in per word, the closest first
    # Two dictionary words a letter apart ("work", "word") are two words, not a misreading.
    words_differ: bool = True

    def budget(self, term: str) -> int:
        """Edits allowed between `term` (a query word as indexed) and a close term."""
        if len(term) < self.min_chars or any(char.isdigit() for char in term):
            return 0
        return self.long_edits if len(term) >= self.long_chars else self.edits


EXACT_ONLY = FuzzyRules(min_chars=MAX_TERM_CHARS + 1, max_close=0)  # the search before fuzziness


def in_vocabulary(term: str) -> bool:
    """Whether a term is kept in the vocabulary (migration 9 applies the same rule in SQL)."""
    return MIN_TERM_CHARS <= len(term) <= MAX_TERM_CHARS and not _NUMBER.fullmatch(term)


def lookalike(term: str) -> str:
    return term.translate(_LOOKALIKE)


def close_terms(
    term: str,
    vocabulary: Sequence[str],
    rules: FuzzyRules,
    *,
    budget: int | None = None,
    words: frozenset[str] = frozenset(),
) -> list[str]:
    """The vocabulary's terms within the word's budget, the closest first (the word itself
    left out: it is matched exactly anyway). When the word is one of `words` (a dictionary),
    other dictionary words are not taken for misreadings of it."""
    if rules.max_close <= 0:
        return []
    allowed = rules.budget(term) if budget is None else budget
    found = process.extract(
        lookalike(term),
        "\n".join(vocabulary).translate(_LOOKALIKE).split("\n") if vocabulary else [],
        scorer=Levenshtein.distance,
        score_cutoff=allowed,
        limit=None,
    )
    close = [vocabulary[index] for _, _, index in found if vocabulary[index] != term]
    if rules.words_differ and term in words:
        close = [candidate for candidate in close if candidate not in words]
    return close[: rules.max_close]


def _fold(word: str) -> str:
    """Lowercase without marks: FTS5's folding for the Latin letters of a dictionary."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class Dictionary:
    """English words (pyspellchecker's list, ~160k, folded as the index folds them): which
    close spellings are other words. Loaded once per process, off the event loop (~0.5 s)."""

    def __init__(self, language: str = "en") -> None:
        self._language = language
        self._lock = threading.Lock()
        self._words: frozenset[str] | None = None

    @property
    def loaded(self) -> frozenset[str] | None:
        return self._words

    def load_in_background(self) -> None:
        """Start loading it now, so that the first search after a start doesn't wait."""
        if self._words is None:
            threading.Thread(target=self.load, name="dictionary", daemon=True).start()

    def load(self) -> frozenset[str]:
        with self._lock:
            if self._words is None:
                from spellchecker import SpellChecker

                known = SpellChecker(language=self._language, distance=1).word_frequency
                self._words = frozenset(
                    word.lower() if word.isascii() else _fold(word) for word in known.dictionary
                )
            return self._words


class Tokenizer:
    """FTS5's own tokenizer, run on text outside the database: an in-memory, contentless
    FTS5 table and its `fts5vocab` view. Thread-safe; each call costs ~0.5 ms a page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            f"CREATE VIRTUAL TABLE scratch USING fts5(text, content = '', tokenize = '{TOKENIZER}')"
        )
        self._db.execute("CREATE VIRTUAL TABLE scratch_terms USING fts5vocab(scratch, instance)")

    def terms(self, texts: Iterable[str]) -> list[set[str]]:
        """The distinct terms of each text, as the search table indexes them."""
        rows = list(enumerate(texts))
        found: list[set[str]] = [set() for _ in rows]
        if not rows:
            return found
        with self._lock:
            self._db.execute("INSERT INTO scratch (scratch) VALUES ('delete-all')")
            self._db.executemany("INSERT INTO scratch (rowid, text) VALUES (?, ?)", rows)
            for term, doc in self._db.execute("SELECT term, doc FROM scratch_terms"):
                found[doc].add(term)
        return found

    def term(self, word: str) -> str | None:
        """The one term a query word is indexed as, or None when it makes none or several
        (`foo_bar` is the phrase "foo bar": matched exactly only)."""
        (terms,) = self.terms([word])
        return next(iter(terms)) if len(terms) == 1 else None


TOKENIZER_ONCE = Tokenizer()
DICTIONARY = Dictionary()
