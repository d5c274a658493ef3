"""The rules that turn per-line signals into one confidence (cut-offs from BENCHMARKS.md)."""

from __future__ import annotations

import pytest

from bot.ocr.engines.scoring import (
    AGREEMENT_CUT,
    NOISE_CUT,
    PIVOT,
    SCORE_CUT,
    agreement,
    calibrated,
    crosschecked,
    edit_distance,
    term,
)


def test_term_is_the_pivot_exactly_at_the_cut_and_keeps_order() -> None:
    assert term(0.9, 0.9) == pytest.approx(PIVOT)
    assert term(0.0, 0.9) == 0.0
    assert term(1.0, 0.9) == pytest.approx(1.0)
    values = [term(x / 20, 0.4) for x in range(21)]
    assert values == sorted(values)
    assert term(1.7, 0.5) == 1.0  # out-of-range input is clipped


@pytest.mark.parametrize(
    ("agree", "estimate", "flagged"),
    [
        (1.0, 1.0, False),
        (AGREEMENT_CUT, NOISE_CUT, False),  # both just at their cut-offs
        (0.89, 1.0, True),  # the second engine read something else
        (1.0, 0.1, True),  # both engines agree on noise
        (1.0, 0.35, False),  # names, jargon, code read the same by both are not flagged
    ],
)
def test_crosschecked_flags_disagreement_and_noise(
    agree: float, estimate: float, flagged: bool
) -> None:
    assert (crosschecked(agree, estimate) < PIVOT) is flagged


@pytest.mark.parametrize(
    ("score", "estimate", "agree", "flagged"),
    [
        (0.99, 1.0, 1.0, False),
        (SCORE_CUT, NOISE_CUT, AGREEMENT_CUT, False),  # every signal just at its cut-off
        (0.93, 1.0, 1.0, True),  # RapidOCR's own score is over-confident
        (0.99, 1.0, 0.8, True),  # the second reading with a margin read something else
        (0.99, 0.1, 1.0, True),  # noise, however sure the model is
        (0.99, 0.35, 1.0, False),  # an unknown word (a name, jargon) is not flagged for that
    ],
)
def test_calibrated_flags_when_a_signal_is_under_its_cut(
    score: float, estimate: float, agree: float, flagged: bool
) -> None:
    assert (calibrated(score, estimate, agree) < PIVOT) is flagged


def test_agreement_is_one_minus_normalised_edits() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert agreement("Buy milk", "Buy  milk ") == 1.0
    assert agreement("Kelly Wred", "Hello World") == pytest.approx(1 - 4 / 11)
    assert agreement("", "") == 1.0
    assert agreement("abc", "") == 0.0
