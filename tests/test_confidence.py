"""The confidence estimate, on lines we construct (the engine gives 0 in trial mode)."""

from __future__ import annotations

import pytest

from bot.domain.models import ConfidenceSource
from bot.ocr.engines.confidence import ConfidenceEstimator, language_for_ocr, line_confidence
from bot.ocr.engines.parse import ParsedLine

ENGLISH = ConfidenceEstimator("en")


def test_clean_sentence_scores_high() -> None:
    assert ENGLISH.estimate("Buy milk and bread today") >= 0.9


def test_gibberish_scores_low() -> None:
    assert ENGLISH.estimate("xq7 zzkp1 Rr!!") < 0.3


def test_one_confusable_word_sits_between() -> None:
    clean = ENGLISH.estimate("Buy milk today")
    confused = ENGLISH.estimate("Buy rnilk today")
    assert ENGLISH.estimate("xq7 zzkp1 Rr!!") < confused < clean


def test_engine_hesitation_lowers_the_score_and_says_why() -> None:
    text = "Buy mi1k"
    alternatives: list[list[str]] = [[] for _ in text]
    alternatives[6] = ["l", "I", "i", "t"]  # the engine's own second guesses for '1'
    with_hint = ENGLISH.explain(text, alternatives)
    assert with_hint[1][2] == "engine hesitated: could be 'milk'"
    assert ENGLISH.estimate(text, alternatives) < ENGLISH.estimate("Buy milk")
    assert ENGLISH.estimate(text, alternatives) > ENGLISH.estimate(text)  # better than noise


@pytest.mark.parametrize("text", ["12", "3.5", "10:30", "2024-05-01", "€20", "50%", "10am", "A4"])
def test_numbers_dates_and_amounts_score_high(text: str) -> None:
    assert ENGLISH.estimate(f"at {text}") >= 0.9


def test_language_matters_and_unknown_languages_are_capped() -> None:
    german = "Einkaufen gehen und Milch kaufen"
    assert ConfidenceEstimator("de").estimate(german) >= 0.9
    shape_only = ConfidenceEstimator(None)
    assert shape_only.estimate(german) == pytest.approx(0.8)
    assert shape_only.estimate("he1lo wOrLd") < 0.5


@pytest.mark.parametrize("text", ["", "   ", "!!!", "— … —"])
def test_empty_or_punctuation_only_is_low(text: str) -> None:
    assert ENGLISH.estimate(text) <= 0.1


def test_short_lines_are_capped() -> None:
    assert ENGLISH.estimate("I") <= 0.6


def test_deterministic() -> None:
    assert {ENGLISH.estimate("Meeting wiht Alice at noon") for _ in range(5)} == {
        ENGLISH.estimate("Meeting wiht Alice at noon")
    }


def test_engine_confidence_wins_over_the_estimate() -> None:
    engine = line_confidence(ParsedLine("xq7 zzkp1", 0.97, []), ENGLISH)
    assert (engine.confidence, engine.confidence_source) == (0.97, ConfidenceSource.ENGINE)
    estimated = line_confidence(ParsedLine("Buy milk", None, []), ENGLISH)
    assert estimated.confidence_source is ConfidenceSource.ESTIMATE
    assert estimated.confidence >= 0.9


def test_language_mapping() -> None:
    assert language_for_ocr("ENG") == "en"
    assert language_for_ocr("deu") == "de"
    assert language_for_ocr("LATIN") == "en"
    assert language_for_ocr("JPN") is None
    assert language_for_ocr(None) is None
