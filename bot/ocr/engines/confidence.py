"""Confidence for recognized lines: the engine's when it gives one, else our own estimate.

Aspose reports 0 ("not computed") in trial mode, with temporary licenses and for some
languages. 0 is unknown, not bad, so we estimate how much a line *looks like* real language:
dictionary words, numbers and dates score high; words the engine itself hesitated on (a
per-character alternative turns them into a dictionary word), near-misses and odd shapes score
lower. The method and its limits are in README.md ("Confidence: engine or estimate").
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from bot.domain.models import ConfidenceSource, RecognizedLine
from bot.ocr.engines.parse import ParsedLine

_DICTIONARY_LANGUAGES = {"en", "es", "fr", "pt", "de", "it", "ru", "ar", "lv", "eu", "nl", "fa"}
_OCR_TO_DICTIONARY = {
    "ENG": "en", "DEU": "de", "FRA": "fr", "SPA": "es", "ITA": "it", "POR": "pt", "RUS": "ru",
    "NLD": "nl", "LAV": "lv", "ARA": "ar", "PES": "fa",
    "LATIN": "en", "EUROPEAN": "en", "UNIVERSAL": "en", "AUTO": "en", "EXT_LATIN": "en",
    "MULTILANGUAGE": "en",
}  # fmt: skip

_TOKEN = re.compile(r"[^\W_]+(?:['’.:/-][^\W_]+)*")
_NUMBER_LIKE = re.compile(
    r"^(?:[$€£¥]?\d+(?:[.,:/-]\d+)*(?:%|[$€£¥])?"  # 12, 3.5, 10:30, 2024-05-01, €20, 50%
    r"|\d+(?:st|nd|rd|th|am|pm|h|min|kg|g|km|m|cm|mm|x)"  # 2nd, 10am, 5kg
    r"|[A-Za-z]\d{1,2})$",  # A4, B12
    re.IGNORECASE,
)
_ONE_LETTER_WORDS = {"a", "i", "o", "y", "e", "à", "é"}

SCORE_KNOWN = 1.0
SCORE_ALTERNATIVE = 0.55
SCORE_NEAR_MISS = 0.45
SCORE_PLAUSIBLE = 0.35
SCORE_IMPLAUSIBLE = 0.1
SHAPE_ONLY_PLAUSIBLE = 0.8
SHAPE_ONLY_IMPLAUSIBLE = 0.2


def language_for_ocr(aspose_language: str | None) -> str | None:
    """Dictionary language for an Aspose language name; None when we have no dictionary."""
    if not aspose_language:
        return None
    code = aspose_language.strip()
    if code.lower() in _DICTIONARY_LANGUAGES:
        return code.lower()
    return _OCR_TO_DICTIONARY.get(code.upper())


def _plausible_shape(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return bool(_NUMBER_LIKE.match(word))
    if any(c.isdigit() for c in word) and not _NUMBER_LIKE.match(word):
        return False  # digits inside letters: he1lo, l0ve
    if re.search(r"(.)\1\1", word):
        return False  # three of a kind: zzz, lll
    core = "".join(letters)
    return core.islower() or core.isupper() or (core[0].isupper() and core[1:].islower())


class ConfidenceEstimator:
    """Reusable estimator for one language; the dictionary is loaded on first use."""

    def __init__(self, language: str | None) -> None:
        self.language = language if language in _DICTIONARY_LANGUAGES else None

    @cached_property
    def _spell(self) -> Any:  # SpellChecker (untyped), loaded on first use
        if self.language is None:
            return None
        from spellchecker import SpellChecker

        return SpellChecker(language=self.language, distance=1)

    def _known(self, word: str) -> bool:
        spell = self._spell
        return spell is not None and word.lower() in spell

    def _score_word(self, word: str, alternatives: list[list[str]]) -> tuple[float, str]:
        if _NUMBER_LIKE.match(word):
            return SCORE_KNOWN, "number, date or amount"
        plausible = _plausible_shape(word)
        if self._spell is None:
            if plausible:
                return SHAPE_ONLY_PLAUSIBLE, "no dictionary: plausible shape"
            return SHAPE_ONLY_IMPLAUSIBLE, "no dictionary: implausible shape"
        if len(word) == 1 and word.isalpha():
            if word.lower() in _ONE_LETTER_WORDS:
                return 0.9, "one-letter word"
            return SCORE_PLAUSIBLE, "stray letter"
        if self._known(word):
            return SCORE_KNOWN, "dictionary word"
        for index, options in enumerate(alternatives[: len(word)]):
            for option in options:
                if len(option) == 1 and self._known(word[:index] + option + word[index + 1 :]):
                    fixed = word[:index] + option + word[index + 1 :]
                    return SCORE_ALTERNATIVE, f"engine hesitated: could be {fixed!r}"
        if not plausible:
            return SCORE_IMPLAUSIBLE, "implausible shape"
        if len(word) >= 3 and self._spell.candidates(word.lower()):
            return SCORE_NEAR_MISS, "one edit from a dictionary word"
        return SCORE_PLAUSIBLE, "unknown word"

    def explain(
        self, text: str, alternatives: list[list[str]] | None = None
    ) -> list[tuple[str, float, str]]:
        """Each word with its score and the reason, for the CLI and for debugging."""
        alternatives = alternatives or []
        explained = []
        for match in _TOKEN.finditer(text):
            word_alternatives = alternatives[match.start() : match.end()]
            score, reason = self._score_word(match.group(), word_alternatives)
            explained.append((match.group(), score, reason))
        return explained

    def estimate(self, text: str, alternatives: list[list[str]] | None = None) -> float:
        """A confidence in [0, 1] for one line; deterministic."""
        stripped = text.strip()
        words = self.explain(stripped, alternatives)
        if not words:
            return 0.1
        total = sum(len(word) for word, _, _ in words)
        score = sum(len(word) * value for word, value, _ in words) / total
        visible = [c for c in stripped if not c.isspace()]
        symbols = [c for c in visible if not c.isalnum()]
        if visible and len(symbols) / len(visible) > 0.3:
            score *= 0.5
        if len(stripped) < 3:
            score = min(score, 0.6)
        if self._spell is None:
            score = min(score, SHAPE_ONLY_PLAUSIBLE)
        return round(max(0.0, min(1.0, score)), 3)


def line_confidence(line: ParsedLine, estimator: ConfidenceEstimator) -> RecognizedLine:
    """The engine's confidence when it computed one, otherwise our estimate (and say so)."""
    if line.engine_confidence is not None:
        return RecognizedLine(line.text, line.engine_confidence, ConfidenceSource.ENGINE, line.box)
    estimate = estimator.estimate(line.text, line.alternatives)
    return RecognizedLine(line.text, estimate, ConfidenceSource.ESTIMATE, line.box)
