"""Aspose OCR, wrapped: one image in, recognized lines with confidences and boxes out.

This module runs inside an OCR worker process (see `bot.ocr.backends.worker`) or, for the CLI,
in-process. It owns everything engine-specific: license, resources folder, handwriting model
(used only once it is on disk; `aspose_models` fetches it in the background) with fallback to
the built-in model, turning the engine's result objects into plain data, and asking the
cross-check for a confidence when the engine gives none (trial, temporary licenses, some
language groups).
"""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path
from typing import Any

from bot.domain.models import Box, ImageFlaw
from bot.ocr.contract import (
    HANDWRITING,
    PRINTED,
    EngineConfig,
    ModelMissing,
    OcrFailed,
    OcrOutcome,
    with_crops,
)
from bot.ocr.engines.aspose_models import HANDWRITING_MODEL, ModelStore
from bot.ocr.engines.confidence import ConfidenceEstimator, language_for_ocr, line_confidence
from bot.ocr.engines.crosscheck import CrossChecker, crosscheck_wanted
from bot.ocr.engines.parse import (
    EngineLine,
    ParsedLine,
    characters_from_json,
    parse_engine_output,
)
from bot.ocr.engines.prerequisites import EngineUnavailable, prepare_engine_runtime
from bot.ocr.engines.rapid_reader import to_bgr
from bot.ocr.images.intake import ImageRejected, prepare_for_ocr, to_png
from bot.ocr.images.prepare import prepare_pixels

ENGINE_NAME = "aspose"
# Flattening the background changed nothing measurable for Aspose (BENCHMARKS.md).
FLATTEN_DEFAULT = False

log = logging.getLogger(__name__)


class AsposeEngine:
    """A ready Aspose engine; build once per process (the first call warms up for seconds)."""

    name = ENGINE_NAME

    def __init__(self, config: EngineConfig) -> None:
        prepare_engine_runtime(config.openssl_path)
        import aspose.ocr as ocr

        self._ocr = ocr
        self.config = config
        resources = Path(config.resources_dir)
        resources.mkdir(parents=True, exist_ok=True)
        ocr.Resources.set_local_path(str(resources.resolve()))
        # The engine's own error log goes with its other files, not into the working directory.
        ocr.Logging.set_log_file_path(str(resources.resolve() / "Aspose.OCR.log.txt"))
        self._models = ModelStore(
            resources,
            openssl_dir=config.openssl_path,
            auto_download=config.auto_download,
            recheck_s=config.model_recheck_s,
        )
        # Downloads stay off unless the store answered: offline, every missing model would
        # otherwise cost 15 s of the engine's retries inside a recognition.
        ocr.Resources.allow_automatic_downloads(self._models.reachable())
        if config.license_path:
            try:
                ocr.License().set_license(config.license_path)
            except RuntimeError as error:
                raise EngineUnavailable(
                    f"Aspose license {config.license_path!r} was rejected: {error}"
                ) from None
        self.licensed = bool(ocr.License().is_licensed)
        self._api = ocr.AsposeOcr()
        self._handwriting_failed = False
        self._pending_notices: list[str] = []
        self._estimators: dict[str, ConfidenceEstimator] = {}
        self.language_enum(config.language)  # fail early on an unknown language
        self._crosscheck: CrossChecker | None = None
        if crosscheck_wanted(config.crosscheck):
            # EngineUnavailable if on but RapidOCR is missing
            self._crosscheck = CrossChecker(vietnamese=config.vietnamese)
        self._flatten = FLATTEN_DEFAULT if config.flatten is None else config.flatten
        self._prepare_handwriting()

    def _prepare_handwriting(self) -> None:
        """Use the handwriting model only once it is on disk; fetch it in the background."""
        if self._models.has(HANDWRITING_MODEL):
            return
        if self._models.reachable():
            self._models.fetch_in_background(HANDWRITING_MODEL)
            notice = (
                "handwriting model is being downloaded in the background; "
                "using the built-in model until it is there"
            )
        else:
            notice = (
                "handwriting model unavailable (not in the resources folder, and Aspose's "
                "model store can't be reached or downloads are off); using the built-in model"
            )
        log.warning("event=ocr_fallback reason=%s", notice)
        self._pending_notices.append(notice)

    def language_enum(self, name: str) -> Any:
        try:
            return getattr(self._ocr.Language, name.upper())
        except AttributeError:
            raise EngineUnavailable(f"OCR language {name!r} is not known to Aspose OCR") from None

    def languages(self) -> list[str]:
        """Every language name the engine knows (e.g. ENG, DEU, LATIN), sorted."""
        return sorted(name for name in dir(self._ocr.Language) if name.isupper())

    def check_language(self, language: str) -> str | None:
        """None if the engine can read this language now, else why not (one line).

        Many languages need a model Aspose downloads on first use; offline that fails at once,
        so trying a tiny blank image tells the user before they send a real photo.
        """
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("L", (64, 32), 255).save(buffer, format="PNG")
        source = self._ocr.OcrInput(self._ocr.InputType.SINGLE_IMAGE)
        source.add(io.BytesIO(buffer.getvalue()))
        try:
            self._api.recognize(source, self._settings(language))
        except RuntimeError as error:
            return _first_line(error)
        return None

    def _settings(self, language: str) -> Any:
        settings = self._ocr.RecognitionSettings()
        settings.language = self.language_enum(language)
        settings.detect_areas_mode = getattr(self._ocr.DetectAreasMode, self.config.areas_mode)
        return settings

    def _estimator(self, language: str) -> ConfidenceEstimator:
        if language not in self._estimators:
            self._estimators[language] = ConfidenceEstimator(language_for_ocr(language))
        return self._estimators[language]

    def _run(self, png: bytes, language: str) -> tuple[Any, str]:
        """Handwriting model if it is here, else the built-in one; returns (results, model)."""
        ocr = self._ocr
        if not self._handwriting_failed and self._models.has(HANDWRITING_MODEL):
            source = ocr.OcrInput(ocr.InputType.SINGLE_IMAGE)
            source.add(io.BytesIO(png))
            try:
                return self._api.recognize_handwritten_text(source), HANDWRITING
            except RuntimeError as error:
                if not _is_missing_model(error):
                    raise
                self._handwriting_failed = True  # e.g. a damaged file: don't try every photo
                notice = "handwriting model could not be loaded; using the built-in model"
                log.warning("event=ocr_fallback reason=%s", _first_line(error))
                self._pending_notices.append(notice)
        source = ocr.OcrInput(ocr.InputType.SINGLE_IMAGE)
        source.add(io.BytesIO(png))
        return self._api.recognize(source, self._settings(language)), PRINTED

    def recognize(
        self, image: bytes, language: str | None = None, crop_below: float | None = None
    ) -> OcrOutcome:
        """OCR one image (any format Pillow reads); raises ImageRejected or OcrFailed."""
        language = (language or self.config.language).upper()
        self.language_enum(language)
        started = time.monotonic()
        prepared = prepare_for_ocr(image, max_side=self.config.max_side)
        pixels = prepare_pixels(prepared, self._flatten)
        try:
            results, model = self._run(to_png(pixels), language)
        except RuntimeError as error:
            if "open file" in str(error).lower():
                raise ImageRejected(ImageFlaw.DAMAGED) from None
            if _is_missing_model(error):
                raise ModelMissing(_first_line(error)) from None
            raise OcrFailed(_first_line(error)) from None
        estimator = self._estimator(language)
        parsed_lines: list[ParsedLine] = []
        for result in results:
            engine_lines = [
                EngineLine(
                    text=str(line.text_in_line or ""),
                    confidence=float(line.confidence),
                    box=_box(line.line),
                )
                for line in result.recognition_lines_result
            ]
            try:
                characters = characters_from_json(result.get_json(True))
            except RuntimeError:
                characters = []
            parsed, _watermark = parse_engine_output(
                str(result.recognition_text or ""), engine_lines, characters
            )
            parsed_lines.extend(parsed)
        crosscheck_s = 0.0
        bgr = to_bgr(pixels) if self._crosscheck is not None and parsed_lines else None
        if self._crosscheck is not None and bgr is not None:
            placing_started = time.monotonic()
            parsed_lines = self._crosscheck.place_missing(bgr, parsed_lines)
            crosscheck_s += time.monotonic() - placing_started
        lines = [line_confidence(line, estimator) for line in parsed_lines]
        if self._crosscheck is not None and bgr is not None:
            pieces = [line.pieces for line in parsed_lines]
            cut = [line.cut for line in parsed_lines]
            lines, checking_s = self._crosscheck.check(bgr, lines, pieces, cut, language)
            crosscheck_s += checking_s
        notices, self._pending_notices = self._pending_notices, []
        outcome = OcrOutcome(
            lines=lines,
            trial=not self.licensed,
            model=model,
            elapsed_s=time.monotonic() - started,
            notices=notices,
            engine=ENGINE_NAME,
            image_size=prepared.size,
            crosscheck_s=crosscheck_s,
        )
        return with_crops(outcome, prepared, crop_below)


def _box(rectangle: Any) -> Box | None:
    """A line's rectangle as (x, y, w, h); None when the engine gave none."""
    try:
        box = (int(rectangle.x), int(rectangle.y), int(rectangle.width), int(rectangle.height))
    except (AttributeError, TypeError, ValueError):
        return None
    return box if box[2] > 0 and box[3] > 0 else None


def _is_missing_model(error: Exception) -> bool:
    text = str(error).lower()
    return "download" in text or "install" in text or "fetchresource" in text


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
