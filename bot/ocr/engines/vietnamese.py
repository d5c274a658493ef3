"""Vietnamese lines: a second line recognizer that knows every Vietnamese letter.

RapidOCR's bundled PP-OCRv6 model has no "ợ", "ủ", "ị", "ế", ... in its dictionary: it drops
those letters ("Chợ Sủi Phú Thị" -> "Ch Si Phú Th") or strips their marks ("ĐƠN" -> "DON").
`trueocr` (Apache-2.0) ships a 4 MB Vietnamese CTC line recognizer inside its wheel; it is
loaded from the package's own folder by path, so nothing is ever looked up or downloaded.

When the OCR language is Vietnamese, each line RapidOCR detected is read again by this model
(recognition only, a few ms a line) and the two readings are combined (`combine`); Aspose's
cross-check reads Vietnamese lines with it too. Every rule and cut-off below was chosen on a
development set of Vietnamese photos and checked on held-out ones (BENCHMARKS.md §13).
"""

from __future__ import annotations

import importlib.util
import unicodedata
from pathlib import Path
from typing import Any

from bot.domain.models import Box, ConfidenceSource, RecognizedLine
from bot.ocr.engines.confidence import ConfidenceEstimator
from bot.ocr.engines.scoring import ESTIMATE_CUT, term

LANGUAGE = "VIE"
# Below this score of the Vietnamese model its reading is worse than PP-OCRv6's (both are
# wrong there, PP-OCRv6 less so: its letters are right more often, only its marks are lost).
KEEP_SCORE = 0.80
# A line is sure when both recognizers read the same letters (a marked letter PP-OCRv6 could
# not write is forgiven), the Vietnamese model is sure of it, and the words look like words.
LETTERS_CUT = 0.90
SCORE_CUT = 0.90


def vietnamese_installed() -> bool:
    try:
        return importlib.util.find_spec("trueocr") is not None
    except ImportError:
        return False


class VietnameseRecognizer:
    """trueocr's line recognizer (ONNX Runtime, CPU), from the model folder in its wheel."""

    def __init__(self, threads: int = 1) -> None:
        import trueocr
        from trueocr import Recognizer

        # Pinned to the package's own files: the model and its alphabet (meta.json).
        models = Path(trueocr.__file__).parent / "models"
        self._recognizer: Any = Recognizer(models, threads=threads)

    def read(self, crops: list[Any]) -> list[tuple[str, float]]:
        """(text, score) of each crop (a BGR array holding one line, tight: the model adds
        its own margins). Tiny or empty crops read as ("", 0.0)."""
        readable = [i for i, crop in enumerate(crops) if crop.shape[0] >= 2 and crop.shape[1] >= 2]
        found: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        if readable:
            predictions = self._recognizer.predict([crops[i] for i in readable])
            for index, prediction in zip(readable, predictions, strict=True):
                found[index] = (str(prediction.text), float(prediction.confidence))
        return found


def line_crop(bgr: Any, points: Any) -> Any:
    """The line's quadrilateral warped upright, as RapidOCR cuts it for its own recognizer
    (measured: better for this model than an axis-aligned rectangle, BENCHMARKS.md §13)."""
    import numpy as np
    from rapidocr.utils.process_img import get_rotate_crop_image

    return np.ascontiguousarray(get_rotate_crop_image(bgr, np.array(points, dtype=np.float32)))


def base_letter(char: str) -> str:
    """The letter without its marks ("ợ" -> "o", "Đ" -> "D"); one character always."""
    if char in "đĐ":
        return "d" if char == "đ" else "D"
    decomposed = unicodedata.normalize("NFD", char)
    return decomposed[0] if decomposed and decomposed[0] != char else char


def is_marked(char: str) -> bool:
    return char.isalpha() and base_letter(char) != char


def letters_agreement(primary: str, vietnamese: str) -> float:
    """1 - edits / longer length between the two readings' base letters, where a marked
    letter of the Vietnamese reading that the primary one lacks costs nothing (PP-OCRv6
    drops the letters it has no code for): "Ch Si Phú Th" agrees fully with "Chợ Sủi Phú
    Thị". Lines are short: plain Python is fast enough."""
    a, b = " ".join(primary.split()), " ".join(vietnamese.split())
    longest = max(len(a), len(b))
    if not longest:
        return 1.0
    base_a = [base_letter(char) for char in a]
    base_b = [base_letter(char) for char in b]
    skip_b = [0 if is_marked(char) else 1 for char in b]
    previous = [0]
    for cost in skip_b:
        previous.append(previous[-1] + cost)
    for i, letter in enumerate(base_a, start=1):
        current = [i]
        for j, other in enumerate(base_b, start=1):
            current.append(
                min(
                    previous[j] + 1,
                    current[j - 1] + skip_b[j - 1],
                    previous[j - 1] + (letter != other),
                )
            )
        previous = current
    return max(0.0, 1.0 - previous[-1] / longest)


def combine(primary: str, vietnamese: str, score: float) -> tuple[str, float]:
    """The line's text and its letters-and-score signal (before the estimate): the
    Vietnamese reading unless its model is unsure of it, then PP-OCRv6's."""
    text = vietnamese if vietnamese and score >= KEEP_SCORE else primary
    signal = min(term(letters_agreement(primary, vietnamese), LETTERS_CUT), term(score, SCORE_CUT))
    return text, signal


class VietnameseLines:
    """RapidOCR's lines read again by the Vietnamese model (`OCR_ENGINE=rapidocr`, VIE)."""

    def __init__(self, recognizer: VietnameseRecognizer | None = None) -> None:
        self._recognizer = recognizer or VietnameseRecognizer()

    def reread(
        self, bgr: Any, found: list[tuple[Any, str, Box]], estimator: ConfidenceEstimator
    ) -> list[RecognizedLine]:
        """One line per detected line, `found` = (corner points, PP-OCRv6's text, box). Its
        score is not used: it stays high on lines whose letters it dropped."""
        crops = [line_crop(bgr, points) for points, _, _ in found]
        lines = []
        for (_, primary, box), (vietnamese, score) in zip(
            found, self._recognizer.read(crops), strict=True
        ):
            text, signal = combine(primary, vietnamese, score)
            confidence = round(min(signal, term(estimator.estimate(text), ESTIMATE_CUT)), 3)
            others = tuple(dict.fromkeys(r for r in (primary, vietnamese) if r and r != text))
            lines.append(
                RecognizedLine(
                    text, confidence, ConfidenceSource.CROSSCHECK, box, alternatives=others
                )
            )
        return lines
