"""The rules that turn per-line signals into one confidence (cut-offs from BENCHMARKS.md)."""

from __future__ import annotations

import pytest

from bot.ocr.engines.scoring import (
    AGREEMENT_CUT,
    ESTIMATE_CUT,
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
        (AGREEMENT_CUT, ESTIMATE_CUT, False),  # both just at their cut-offs
        (0.89, 1.0, True),  # the second engine read something else
        (1.0, 0.39, True),  # both engines agree on noise
    ],
)
def test_crosschecked_flags_when_a_signal_is_under_its_cut(
    agree: float, estimate: float, flagged: bool
) -> None:
    assert (crosschecked(agree, estimate) < PIVOT) is flagged


def test_calibrated_does_not_trust_a_score_of_0_9() -> None:
    assert calibrated(0.93, 1.0) < PIVOT  # right only about half the time when measured
    assert calibrated(SCORE_CUT, 1.0) >= PIVOT
    assert calibrated(0.99, 0.2) < PIVOT


def test_agreement_is_one_minus_normalised_edits() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert agreement("Buy milk", "Buy  milk ") == 1.0
    assert agreement("Kelly Wred", "Hello World") == pytest.approx(1 - 4 / 11)
    assert agreement("", "") == 1.0
    assert agreement("abc", "") == 0.0
