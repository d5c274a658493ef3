"""Turning per-line signals into one confidence that tracks whether the line is right.

Each rule is `min` over signals of a piecewise-linear map `term(x; cut)` that is 0.75 exactly
at the signal's cut-off, so "confidence < 75%" (the default threshold) means "some signal is
under its cut-off", and the value still orders lines by how far they are from it. Cut-offs
were chosen on the development set (../shared/ocr-eval-dev and 3 more whiteboard and
handwritten photos) and checked on held-out photos (BENCHMARKS.md §10). What was measured:

- **Aspose, cross-checked** (RapidOCR re-reads each line's region): the two readings agreeing
  within 10% of edits is the signal. On the development set it flags every wrong line at 7%
  false flags (24 wrong, 28 right); the dictionary estimate under 0.4 on top (the rule
  before) caught no further wrong line and more than doubled the false flags (names, code,
  other languages: 18%), so it counts only for noise (under 0.15, `NOISE_CUT`: no change on
  the development set).
- **RapidOCR** (`OCR_ENGINE=rapidocr`): its score (the mean of its characters' scores) under
  0.95, or the region read again with a margin (`rereading`) giving another text (agreement
  under 0.9), or the dictionary estimate under 0.15 (noise: digits inside words, a letter
  three times; the same from 0.2 down to 0.15 on the development set, one wrong line fewer
  without it). Development set, 54 wrong and 154 right lines: 94% / 17%
  (the rule before, score < 0.95 or estimate < 0.4: 93% / 20% on the same readings, 92% /
  21% on the bot's readings before). The score of the least sure word (RapidOCR gives a
  score per character) did worse than the line's score (at the same false flags, fewer wrong
  lines); a second reading of the background-flattened or enlarged region agreed with the
  first too often to tell wrong lines. Handwriting lines read with a letter or two wrong
  (right by the 10% rule) make most of the false flags.
"""

from __future__ import annotations

# The threshold the cut-offs are tuned for (OCR_CONFIDENCE_THRESHOLD's default, 75%).
PIVOT = 0.75
# Two readings of a line (two engines, or one engine on two pieces) "agree" within 10% edits.
AGREEMENT_CUT = 0.90
# RapidOCR's score means "probably right" only from 0.95 up.
SCORE_CUT = 0.95
# The dictionary estimate, for both engines: only what looks like noise (digits inside words,
# a letter three times, symbol soup), flagged even when two readings agree on it. On the
# development set no right line was that noisy (the lowest: 0.17, "APP.GET (/").
NOISE_CUT = 0.15
# The dictionary estimate's cut-off of the rules measured before this one (the Vietnamese
# line rule, `vietnamese.py`, BENCHMARKS.md §13): a line of words it doesn't know.
ESTIMATE_CUT = 0.40


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
    """Confidence of a line another engine re-read: `agreement` is 1 - normalised edits;
    `estimate` counts only when the line looks like noise."""
    return round(min(term(agreement, AGREEMENT_CUT), term(estimate, NOISE_CUT)), 3)


def calibrated(score: float, estimate: float, agreement: float = 1.0) -> float:
    """Confidence of a RapidOCR line from its score, the dictionary estimate and how much
    its second reading agrees with it (1.0 when it was not read again)."""
    return round(
        min(
            term(score, SCORE_CUT),
            term(agreement, AGREEMENT_CUT),
            term(estimate, NOISE_CUT),
        ),
        3,
    )


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
