"""Turning per-line signals into one confidence that tracks whether the line is right.

Measured on 28 real photos and scans with hand-checked ground truth (BENCHMARKS.md, "Quality"):
the dictionary estimate alone flags most wrong lines but also half the right ones, RapidOCR's
own score is over-confident, and a second engine re-reading the same region is the strongest
signal. Each rule below is `min` over signals of a piecewise-linear map `term(x; cut)` that is
0.75 exactly at the signal's cut-off, so "confidence < 75%" (the default threshold) means "some
signal is under its cut-off", and the value still orders lines by how far they are from it.
The cut-offs were chosen on the development set and checked on held-out images.
"""

from __future__ import annotations

# The threshold the cut-offs are tuned for (OCR_CONFIDENCE_THRESHOLD's default, 75%).
PIVOT = 0.75
# Aspose primary, cross-checked: the second engine must agree within 10% edits, and the line
# must not look like noise to the dictionary estimate.
AGREEMENT_CUT = 0.90
ESTIMATE_CUT = 0.40
# RapidOCR primary: its score means "probably right" only from 0.95 up (lines scored 0.90-0.95
# were right about half the time on held-out photos).
SCORE_CUT = 0.95


def term(value: float, cut: float) -> float:
    """`PIVOT * value / cut` below the cut-off, then linearly up to 1.0 at value 1.0."""
    value = min(max(value, 0.0), 1.0)
    if cut <= 0:
        return 1.0
    if value < cut:
        return PIVOT * value / cut
    if cut >= 1:
        return 1.0
    return PIVOT + (1 - PIVOT) * (value - cut) / (1 - cut)


def crosschecked(agreement: float, estimate: float) -> float:
    """Confidence of a line another engine re-read: `agreement` is 1 - normalised edits."""
    return round(min(term(agreement, AGREEMENT_CUT), term(estimate, ESTIMATE_CUT)), 3)


def calibrated(score: float, estimate: float) -> float:
    """Confidence of a RapidOCR line from its own score and the dictionary estimate."""
    return round(min(term(score, SCORE_CUT), term(estimate, ESTIMATE_CUT)), 3)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance; lines are short (a few dozen characters), so plain Python is
    fast enough (~0.1 ms a pair) and needs no extra dependency in the bot."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def agreement(a: str, b: str) -> float:
    """1 - edits / longer length, after collapsing whitespace; 1.0 for two empty texts."""
    a, b = " ".join(a.split()), " ".join(b.split())
    longest = max(len(a), len(b))
    return 1.0 - edit_distance(a, b) / longest if longest else 1.0
