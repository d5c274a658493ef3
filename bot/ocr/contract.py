"""What every part of the OCR path agrees on: the engine's settings, its result, its errors.

Plain data, so it pickles to worker processes and back, and no engine import, so the bot's
own process never loads the engine by importing this.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from PIL import Image

from bot.config import Settings
from bot.domain.models import RecognizedLine
from bot.ocr.images.crops import for_review
from bot.ocr.images.intake import DEFAULT_OCR_MAX_SIDE

HANDWRITING = "handwriting"
PRINTED = "printed"
# How often an image may fail in a way that may be its own fault (its worker died reading it)
# before it is given up: the pipeline counts such attempts, the task queue's workers count
# deaths of whole workers (which no one else sees).
MAX_ATTEMPTS = 3


# What the operator can do about Aspose's trial mode (start-up log, /stats, the CLI).
TRIAL_HINT = (
    "Aspose runs in trial mode: only the start of each image is read. For full text, set "
    "ASPOSE_LICENSE_PATH to a license file, or use OCR_ENGINE=rapidocr (free, bundled models)"
)


class OcrFailed(RuntimeError):
    """The engine could not read this image: an engine error, a timeout, or the worker dying
    while reading it. The image may be at fault, so it counts toward giving up on it."""


class ModelMissing(OcrFailed):
    """The language needs an extra Aspose model that is not installed and can't be fetched."""


class WorkerLost(OcrFailed):
    """The worker process died while reading the image (it may have crashed the engine, or
    been killed): worth another try or two, then the image is given up."""


class ImageGivenUp(OcrFailed):
    """Workers died reading this image MAX_ATTEMPTS times (whole workers, counted by the task
    queue): it is not read again."""


class OcrTimeout(OcrFailed):
    """The engine took longer than the configured timeout on one image."""


class OcrUnavailable(RuntimeError):
    """OCR could not be attempted at all (shutting down, no worker, queue unreachable). Not
    the image's fault: the photo waits and is tried again, never given up for this."""


@dataclass(frozen=True)
class EngineConfig:
    """Everything a worker needs to build its engine; plain data so it pickles to workers."""

    language: str = "ENG"
    license_path: str | None = None
    resources_dir: str = "data/aspose"
    auto_download: bool = True
    openssl_dir: str | None = None  # None: ASPOSE_OPENSSL_DIR or the project's vendor folder
    max_side: int = DEFAULT_OCR_MAX_SIDE
    # Aspose's layout detection. UNIVERSAL (its default) finds sparse, tilted text on photos;
    # LEAN is twice as fast on clean pages but loses whiteboard text (BENCHMARKS.md).
    areas_mode: str = "UNIVERSAL"
    engine: str = "aspose"  # OCR_ENGINE: "aspose" or "rapidocr"
    # Re-read each line without an engine confidence with RapidOCR (OCR_CROSSCHECK);
    # None: whenever RapidOCR is installed on the machine that reads the image.
    crosscheck: bool | None = None
    flatten: bool | None = None  # OCR_FLATTEN; None: the engine's measured default
    # Read Vietnamese (VIE) lines again with the Vietnamese line recognizer (`trueocr`) when it
    # is installed. Not a setting: off only for bench.quality's "before" baseline.
    vietnamese: bool = True
    # How long "Aspose's model store can't be reached" is remembered before asking again.
    model_recheck_s: float = 3600.0

    @property
    def openssl_path(self) -> Path | None:
        return Path(self.openssl_dir) if self.openssl_dir else None

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineConfig:
        license_path = settings.aspose_license_path
        return cls(
            language=settings.ocr_language,
            license_path=str(license_path) if license_path else None,
            resources_dir=str(settings.aspose_resources_dir),
            auto_download=settings.aspose_auto_download,
            openssl_dir=str(settings.aspose_openssl_dir) if settings.aspose_openssl_dir else None,
            engine=settings.ocr_engine,
            crosscheck=settings.ocr_crosscheck,
            flatten=settings.ocr_flatten,
            model_recheck_s=settings.aspose_model_recheck_s,
        )


@dataclass(frozen=True)
class OcrOutcome:
    """One image's reading: its lines in reading order and how they were read."""

    lines: list[RecognizedLine]
    trial: bool  # engine ran without a license: output truncated
    model: str  # HANDWRITING or PRINTED
    elapsed_s: float
    notices: list[str] = field(default_factory=list)  # one-off operator notices (fallbacks)
    engine: str = "aspose"  # which engine read it ("aspose", "rapidocr")
    # (width, height) of the image the engine read, the pixels the lines' boxes refer to
    # (after EXIF rotation and downscaling): what a crop of each line is cut from.
    image_size: tuple[int, int] | None = None
    crosscheck_s: float = 0.0  # of elapsed_s, the seconds the cross-check took
    # Asked for with `crop_below`: one entry per line, the JPEG of its piece of the image when
    # it is below that confidence and has a box (the review prompt's picture), else None.
    crops: list[bytes | None] = field(default_factory=list)
    crop_s: float = 0.0  # of elapsed_s, the seconds cutting them took


def with_crops(outcome: OcrOutcome, prepared: Image.Image, crop_below: float | None) -> OcrOutcome:
    """`outcome` with the pieces of its unsure lines, cut from `prepared` (the pixels the
    boxes refer to), when asked for; the time it took counts in `elapsed_s`."""
    if crop_below is None:
        return outcome
    started = time.monotonic()
    pieces = for_review(prepared, outcome.lines, crop_below)
    spent = time.monotonic() - started
    return replace(outcome, crops=pieces, crop_s=spent, elapsed_s=outcome.elapsed_s + spent)


class Engine(Protocol):
    """What a worker needs of an OCR engine (Aspose, RapidOCR); built once per process."""

    name: str
    config: EngineConfig
    licensed: bool

    def recognize(
        self, image: bytes, language: str | None = None, crop_below: float | None = None
    ) -> OcrOutcome:
        """OCR one image; raises ImageRejected, ModelMissing or OcrFailed. With `crop_below`,
        the outcome holds the pieces of the lines below that confidence (`OcrOutcome.crops`)."""

    def languages(self) -> list[str]:
        """The language codes this engine really reads here."""

    def check_language(self, language: str) -> str | None:
        """None if `language` can be read now, else why not (one line)."""
