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

from bot.domain.models import ConfidenceSource, RecognizedLine
from bot.ocr.contract import PRINTED, EngineConfig, ModelMissing, OcrOutcome, with_crops
from bot.ocr.engines.confidence import ConfidenceEstimator, language_for_ocr
from bot.ocr.engines.crosscheck import other_readings
from bot.ocr.engines.layout import reading_order
from bot.ocr.engines.prerequisites import EngineUnavailable
from bot.ocr.engines.rapid_reader import RapidReader, box_of, to_bgr
from bot.ocr.engines.rereading import second_opinions
from bot.ocr.engines.scoring import calibrated
from bot.ocr.images.intake import prepare_for_ocr
from bot.ocr.images.prepare import prepare_pixels

log = logging.getLogger(__name__)

ENGINE_NAME = "rapidocr"
# OCR_FLATTEN's default for this engine, from the measurement in BENCHMARKS.md.
FLATTEN_DEFAULT = False
# RapidOCR drops regions it scores under 0.5 (its `text_score`): mostly strokes read as text.
MIN_SCORE = 0.5
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
        bgr = to_bgr(pixels)
        found = [
            (quad, reading)
            for quad, reading in self._reader.read_lines(bgr)
            if reading.score >= MIN_SCORE
        ]
        readings = [reading for _, reading in found]
        opinions = second_opinions(self._reader, bgr, [quad for quad, _ in found], readings)
        boxes = [box_of(quad) for quad, _ in found]
        lines = []
        for index in reading_order(boxes):
            reading, opinion = readings[index], opinions[index]
            lines.append(
                RecognizedLine(
                    reading.text,
                    calibrated(reading.score, estimator.estimate(reading.text), opinion.agreement),
                    ConfidenceSource.CALIBRATED,
                    boxes[index],
                    alternatives=other_readings(
                        reading.text, *([opinion.other.text] if opinion.other else [])
                    ),
                )
            )
        outcome = OcrOutcome(
            lines=lines,
            trial=False,
            model=PRINTED,
            elapsed_s=time.monotonic() - started,
            engine=ENGINE_NAME,
            image_size=prepared.size,
        )
        return with_crops(outcome, prepared, crop_below)
