"""RapidOCR (PP-OCRv6, ONNX models inside the `rapidocr` wheel): the second engine.

Two uses, one reader class: as the primary engine (`OCR_ENGINE=rapidocr`: detect and read a
whole page) and as the cross-check of Aspose's lines (recognition only, on each line's crop).
Nothing is downloaded at run time: the default models are files of the installed package.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.domain.models import Box, ConfidenceSource, ImageFlaw, RecognizedLine
from bot.ocr.contract import PRINTED, EngineConfig, ModelMissing, OcrOutcome, with_crops
from bot.ocr.engines.confidence import ConfidenceEstimator, language_for_ocr
from bot.ocr.engines.prerequisites import EngineUnavailable
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
# The detector settings measured best on real photos (the defaults are 0.5 / 1.6: they drop
# whole lines of a curved book page and of small whiteboard text). BENCHMARKS.md, "Quality".
DETECTOR_PARAMS: dict[str, Any] = {"Det.box_thresh": 0.4, "Det.unclip_ratio": 1.8}
# What the bundled multilingual PP-OCRv6 model reads, by the bot's (Aspose-style) language
# codes: Latin-script languages, Chinese and Japanese. The language only picks the dictionary
# of the confidence estimate; the model is the same.
# RapidOCR's refusals of an image it can't scale for its models (an extreme strip given whole):
# the image's fault. Told by name: rapidocr 3.x defines the class twice, in internal modules.
REFUSALS = frozenset({"ResizeImgError"})
LANGUAGES = frozenset(
    {
        "AFR", "BOS", "CAT", "CES", "CHINESE", "CYM", "DAN", "DEU", "ENG", "EST", "EUS", "FIN",
        "FRA", "GLE", "GLG", "HRV", "HUN", "IND", "ISL", "ITA", "JPN", "LATIN", "LAV", "LIT",
        "LTZ", "MLT", "MSA", "NLD", "NOR", "POL", "POR", "RON", "SLK", "SLV", "SPA", "SQI",
        "SWE", "SWH", "TGL", "TUR", "UZB", "VIE",
    }
)  # fmt: skip


def rapidocr_installed() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("rapidocr") is not None
    except ImportError:
        return False


def box_of(points: Any) -> Box:
    """The axis-aligned (x, y, w, h) of a detector quadrilateral (four corner points)."""
    xs = [float(point[0]) for point in points]
    ys = [float(point[1]) for point in points]
    x, y = max(0, round(min(xs))), max(0, round(min(ys)))
    return x, y, max(1, round(max(xs)) - x), max(1, round(max(ys)) - y)


class RapidReader:
    """One RapidOCR instance. Every call passes use_det/use_cls/use_rec explicitly: RapidOCR
    3.x keeps call flags between calls, so a recognition-only call would otherwise make the
    next page call skip detection."""

    def __init__(self) -> None:
        from rapidocr import RapidOCR

        # Any: its result type is a union over call flags that mypy can't narrow.
        self._engine: Any = RapidOCR(params={**DETECTOR_PARAMS, "Global.log_level": "warning"})

    def read_page(self, bgr: Any) -> list[tuple[str, float, Box]]:
        """Detect and read every line: (text, score, box), top to bottom."""
        return [(text, score, box_of(points)) for points, text, score in self.read_lines(bgr)]

    def read_lines(self, bgr: Any) -> list[tuple[Any, str, float]]:
        """Detect and read every line: (corner points, text, score), top to bottom. Raises
        ImageRejected when the engine refuses the image (its size, its shape)."""
        try:
            result = self._engine(bgr, use_det=True, use_cls=True, use_rec=True)
        except Exception as error:
            if type(error).__name__ not in REFUSALS:
                raise
            height, width = bgr.shape[:2]
            raise ImageRejected(ImageFlaw.REFUSED, f"{width}×{height}") from None
        if result.boxes is None or result.txts is None:
            return []
        found = []
        for points, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
            text = " ".join(str(text).split())
            if text:
                found.append((points, text, float(score)))
        return found

    def read_crop(self, bgr: Any) -> tuple[str, float]:
        """Recognition only, on an image holding one line: (text, score)."""
        if bgr.shape[0] < 2 or bgr.shape[1] < 2:
            return "", 0.0
        result = self._engine(bgr, use_det=False, use_cls=False, use_rec=True)
        texts = [str(text) for text in (result.txts or ()) if str(text).strip()]
        scores = [float(score) for score in (result.scores or ())]
        if not texts:
            return "", 0.0
        return " ".join(" ".join(texts).split()), sum(scores) / len(scores) if scores else 0.0


def to_bgr(image: Any) -> Any:
    """A Pillow image as the BGR uint8 array OpenCV-based engines expect."""
    import numpy as np

    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


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
                found = [(text, score, box, None) for text, score, box in pieces]
            else:
                page = self._reader.read_lines(bgr)
                found = [(text, score, box_of(points), points) for points, text, score in page]
        except ImageRejected as refused:  # say the size of the image, not of a piece
            width, height = prepared.size
            raise ImageRejected(refused.flaw, f"{width}×{height}") from None
        vietnamese = self._vietnamese_lines(language)
        if vietnamese is not None and bgr is not None:
            # PP-OCRv6 has no code for most Vietnamese letters: each line is read again (not
            # on a strip, whose pieces' corner points are not kept: PP-OCRv6's reading stays).
            places = [(points, text, box) for text, _, box, points in found]
            lines = vietnamese.reread(bgr, places, estimator)
        else:
            lines = [
                RecognizedLine(
                    text,
                    calibrated(score, estimator.estimate(text)),
                    ConfidenceSource.CALIBRATED,
                    box,
                )
                for text, score, box, _ in found
            ]
        outcome = OcrOutcome(
            lines=lines,
            trial=False,
            model=PRINTED,
            elapsed_s=time.monotonic() - started,
            engine=ENGINE_NAME,
            image_size=prepared.size,
        )
        return with_crops(outcome, prepared, crop_below)
