"""`OCR_ENGINE=rapidocr`: RapidOCR (PP-OCRv6, models inside the `rapidocr` wheel) reads
the whole page.

The page's regions are found and read (`rapid_reader`), unsure ones read a second time from
a differently prepared piece (`rereading`), put in reading order (`layout`), and each line's
confidence says whether it is probably right (`scoring.calibrated`). The same reader also
cross-checks Aspose's lines (`crosscheck`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.domain.models import ConfidenceSource, RecognizedLine
from bot.ocr.contract import PRINTED, EngineConfig, ModelMissing, OcrOutcome, with_crops
from bot.ocr.engines.confidence import ConfidenceEstimator, language_for_ocr
from bot.ocr.engines.crosscheck import other_readings
from bot.ocr.engines.layout import reading_order
from bot.ocr.engines.prerequisites import EngineUnavailable
from bot.ocr.engines.rapid_reader import MIN_SCORE, RapidReader, box_of, to_bgr
from bot.ocr.engines.rereading import second_opinions
from bot.ocr.engines.scoring import calibrated
from bot.ocr.engines.strips import is_strip, read_strip
from bot.ocr.engines.vietnamese import LANGUAGE as VIETNAMESE
from bot.ocr.engines.vietnamese import VietnameseLines, vietnamese_installed
from bot.ocr.images.intake import ImageRejected, prepare_for_ocr
from bot.ocr.images.prepare import prepare_pixels

log = logging.getLogger(__name__)

ENGINE_NAME = "rapidocr"
# OCR_FLATTEN's default for this engine, from the measurement in BENCHMARKS.md.
FLATTEN_DEFAULT = False
# What the bundled multilingual PP-OCRv6 model reads, by the bot's (Aspose-style) language
# codes: Latin-script languages, Chinese and Japanese. The language only picks the dictionary
# of the confidence estimate; the model is the same.
LANGUAGES = frozenset(
    {
        "AFR", "BOS", "CAT", "CES", "CHINESE", "CYM", "DAN", "DEU", "ENG", "EST", "EUS", "FIN",
        "FRA", "GLE", "GLG", "HRV", "HUN", "IND", "ISL", "ITA", "JPN", "LATIN", "LAV", "LIT",
        "LTZ", "MLT", "MSA", "NLD", "NOR", "POL", "POR", "RON", "SLK", "SLV", "SPA", "SQI",
        "SWE", "SWH", "TGL", "TUR", "UZB", "VIE",
    }
)  # fmt: skip


class RapidEngine:
    """`OCR_ENGINE=rapidocr`: reads the whole page; confidence = its calibrated score and the
    dictionary estimate (ConfidenceSource.CALIBRATED). No license, so never in trial mode."""

    name = ENGINE_NAME
    licensed = True

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self._reader = RapidReader()
        self._estimators: dict[str, ConfidenceEstimator] = {}
        self._flatten = FLATTEN_DEFAULT if config.flatten is None else config.flatten
        self._vietnamese: VietnameseLines | None = None  # loaded with the first VIE photo
        if config.language.upper() not in LANGUAGES:
            raise EngineUnavailable(
                f"OCR language {config.language!r} is not one RapidOCR's bundled model reads"
            )

    def languages(self) -> list[str]:
        return sorted(LANGUAGES)

    def check_language(self, language: str) -> str | None:
        if language.upper() in LANGUAGES:
            return None
        return f"{language} is not a language of RapidOCR's bundled model"

    def _estimator(self, language: str) -> ConfidenceEstimator:
        if language not in self._estimators:
            self._estimators[language] = ConfidenceEstimator(language_for_ocr(language))
        return self._estimators[language]

    def _vietnamese_lines(self, language: str) -> VietnameseLines | None:
        """The Vietnamese re-reader for VIE photos (unless configured off or not installed)."""
        if language != VIETNAMESE or not self.config.vietnamese or not vietnamese_installed():
            return None
        if self._vietnamese is None:
            self._vietnamese = VietnameseLines()
        return self._vietnamese

    def _read(
        self, bgr: Any, language: str, estimator: ConfidenceEstimator
    ) -> list[RecognizedLine]:
        """The page's lines in reading order: each read, an unsure one read again with a
        margin (`rereading`), its confidence from both (`scoring.calibrated`). On a
        Vietnamese photo the Vietnamese model reads each line again instead."""
        found = [(q, r) for q, r in self._reader.read_lines(bgr) if r.score >= MIN_SCORE]
        order = reading_order([box_of(quad) for quad, _ in found])
        quads = [found[index][0] for index in order]
        readings = [found[index][1] for index in order]
        boxes = [box_of(quad) for quad in quads]
        vietnamese = self._vietnamese_lines(language)
        if vietnamese is not None:
            # PP-OCRv6 has no code for most Vietnamese letters: each line is read again.
            places = [
                (quad, reading.text, box)
                for quad, reading, box in zip(quads, readings, boxes, strict=True)
            ]
            return vietnamese.reread(bgr, places, estimator)
        opinions = second_opinions(self._reader, bgr, quads, readings)
        return [
            RecognizedLine(
                reading.text,
                calibrated(reading.score, estimator.estimate(reading.text), opinion.agreement),
                ConfidenceSource.CALIBRATED,
                box,
                alternatives=other_readings(
                    reading.text, *([opinion.other.text] if opinion.other else [])
                ),
            )
            for reading, opinion, box in zip(readings, opinions, boxes, strict=True)
        ]

    def recognize(
        self, image: bytes, language: str | None = None, crop_below: float | None = None
    ) -> OcrOutcome:
        language = (language or self.config.language).upper()
        if language not in LANGUAGES:
            raise ModelMissing(self.check_language(language) or language)
        started = time.monotonic()
        prepared = prepare_for_ocr(image, max_side=self.config.max_side)
        pixels = prepare_pixels(prepared, self._flatten)
        estimator = self._estimator(language)
        strip = is_strip(pixels.size)  # read in pieces: whole, it would shrink to nothing
        bgr = None if strip else to_bgr(pixels)
        try:
            if bgr is None:
                pieces = read_strip(pixels, lambda piece: self._reader.read_page(to_bgr(piece)))
                lines = [
                    RecognizedLine(
                        text,
                        calibrated(score, estimator.estimate(text)),
                        ConfidenceSource.CALIBRATED,
                        box,
                    )
                    for text, score, box in pieces
                ]
            else:
                lines = self._read(bgr, language, estimator)
        except ImageRejected as refused:  # say the size of the image, not of a piece
            width, height = prepared.size
            raise ImageRejected(refused.flaw, f"{width}×{height}") from None
        outcome = OcrOutcome(
            lines=lines,
            trial=False,
            model=PRINTED,
            elapsed_s=time.monotonic() - started,
            engine=ENGINE_NAME,
            image_size=prepared.size,
        )
        return with_crops(outcome, prepared, crop_below)
