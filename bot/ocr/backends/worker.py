"""What runs inside an OCR worker process: its set-up, and the calls the pool sends it.

Module-level functions, so they pickle by name; the engine is built on first use and kept for
the life of the process (building it costs seconds).
"""

from __future__ import annotations

import io
import logging
import os
import time

from bot.domain.models import Box
from bot.logs import configure_logging
from bot.ocr.contract import Engine, EngineConfig, OcrOutcome
from bot.ocr.engines.factory import build_engine
from bot.ocr.images.crops import cut_boxes
from bot.ocr.images.intake import prepare_for_ocr

log = logging.getLogger(__name__)

# The engine keeps ~1.8 cores busy per image (measured, bench/): at normal priority one
# worker starves the bot's own process on a 2-core machine and commands slow down.
WORKER_NICENESS = 10


def init_worker(log_level: str) -> None:
    """Runs in each OCR worker at start: the bot's log format (one line per event, token-shaped
    text redacted), and a lower CPU priority so OCR yields the CPU to the bot's event loop."""
    configure_logging(log_level, token="")
    try:
        os.nice(WORKER_NICENESS)
    except OSError as error:  # e.g. a sandbox forbidding it: slower answers, nothing worse
        log.warning("event=worker_nice_failed error=%s", error)


_worker_engine: Engine | None = None


def worker_recognize(
    config: EngineConfig, image: bytes, language: str | None, crop_below: float | None = None
) -> OcrOutcome:
    """Run inside a pool worker: build the engine on first use, then OCR (and cut the pieces
    of the lines below `crop_below`, when given)."""
    return _engine(config).recognize(image, language, crop_below)


def worker_cut(config: EngineConfig, image: bytes, boxes: list[Box | None]) -> list[bytes | None]:
    """Pieces of an image read earlier (a note's page, downloaded again), one per box: the
    same preparation as for reading (EXIF rotation, downscaling), so the stored boxes land
    on the same pixels. No engine needed."""
    return cut_boxes(prepare_for_ocr(image, max_side=config.max_side), boxes)


def _engine(config: EngineConfig) -> Engine:
    global _worker_engine
    if _worker_engine is None or _worker_engine.config != config:
        _worker_engine = build_engine(config)
    return _worker_engine


def worker_languages(config: EngineConfig) -> list[str]:
    return _engine(config).languages()


def worker_check_language(config: EngineConfig, language: str) -> str | None:
    return _engine(config).check_language(language)


def worker_warm_up(config: EngineConfig) -> tuple[bool, float]:
    """Build the engine and run one tiny recognition (the cross-check's model loads on its
    first line, so the image has text); returns (licensed, seconds)."""
    from PIL import Image, ImageDraw

    started = time.monotonic()
    image = Image.new("L", (200, 60), 255)
    ImageDraw.Draw(image).text((10, 20), "warm up", fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    outcome = worker_recognize(config, buffer.getvalue(), None)
    return not outcome.trial, time.monotonic() - started
