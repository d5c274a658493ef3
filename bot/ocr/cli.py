"""`python -m bot ocr [--json] IMAGE [IMAGE ...]`: the engine on images, without Telegram.

All images are read in this one process with one engine, built once (building it costs
seconds). Plain output: per image a header, then each line with its confidence, where that
came from, and whether the bot would accept it or ask the user to review it. `--json`: one
JSON object per image per output line, for scripts.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings
from bot.domain import messages
from bot.domain.i18n import ENGLISH
from bot.ocr.contract import TRIAL_HINT, Engine, EngineConfig, OcrFailed, OcrOutcome
from bot.ocr.engines.factory import build_engine
from bot.ocr.engines.prerequisites import EngineUnavailable
from bot.ocr.images.intake import ImageRejected, inspect_image


def run_ocr_cli(
    images: list[Path], *, language: str | None, threshold: float | None, as_json: bool = False
) -> int:
    """Read every image; exit code 0, 1 if some image could not be read, 2 for bad usage."""
    environ = dict(os.environ)
    environ.setdefault(
        "TELEGRAM_BOT_TOKEN", "not-needed-for-ocr"
    )  # the CLI never talks to Telegram
    try:
        settings = Settings.from_env(environ)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    limit = (threshold if threshold is not None else settings.confidence_threshold) / 100
    engine: Engine | None = None
    failed = False
    for image in images:
        try:
            data = image.read_bytes()
        except OSError as error:
            _report_error(image, f"cannot read {image}: {error.strerror}", as_json, False)
            failed = True
            continue
        try:
            inspect_image(data, max_pixels=settings.max_image_pixels)
            engine = engine or build_engine(EngineConfig.from_settings(settings))
            started = time.monotonic()  # the image's own time, not the engine's start
            outcome = engine.recognize(data, language)
        except ImageRejected as rejected:
            reason = messages.image_flaw(ENGLISH, rejected.flaw, rejected.detail)
            _report_error(image, reason, as_json, len(images) > 1)
            failed = True
            continue
        except EngineUnavailable as error:  # the same for every image: stop here
            print(f"error: {error}", file=sys.stderr)
            return 1
        except OcrFailed as error:
            _report_error(image, str(error), as_json, len(images) > 1)
            failed = True
            continue
        seconds = time.monotonic() - started
        if as_json:
            print(json.dumps(as_record(image, outcome, limit, seconds), ensure_ascii=False))
        else:
            _print_plain(image, outcome, limit)
        sys.stdout.flush()
    return 1 if failed else 0


def _report_error(image: Path, reason: str, as_json: bool, many: bool) -> None:
    """An image that can't be read: its own JSON record, or a line on stderr."""
    if as_json:
        print(json.dumps({"image": str(image), "error": reason}, ensure_ascii=False))
    else:
        print(f"error: {image}: {reason}" if many else f"error: {reason}", file=sys.stderr)


def as_record(image: Path, outcome: OcrOutcome, limit: float, seconds: float) -> dict[str, Any]:
    """One image's result for `--json`; `accepted` applies the configured threshold."""
    return {
        "image": str(image),
        "engine": outcome.engine,
        "trial": outcome.trial,
        "seconds": round(seconds, 3),
        "image_size": list(outcome.image_size) if outcome.image_size else None,
        "lines": [
            {
                "text": line.text,
                "confidence": round(line.confidence, 4),
                "source": str(line.confidence_source),
                "accepted": line.confidence >= limit,
                "box": list(line.box) if line.box else None,
            }
            for line in outcome.lines
        ],
    }


def _print_plain(image: Path, outcome: OcrOutcome, limit: float) -> None:
    if outcome.trial:
        mode = "TRIAL (output truncated, no engine confidence)"
    else:
        mode = "licensed" if outcome.engine == "aspose" else "free"
    print(
        f"# {image.name}: {len(outcome.lines)} lines, model={outcome.model}, mode={mode}, "
        f"{outcome.elapsed_s:.2f}s"
    )
    for notice in [*outcome.notices, *([TRIAL_HINT] if outcome.trial else [])]:
        print(f"# note: {notice}")
    for number, line in enumerate(outcome.lines, start=1):
        verdict = "accepted" if line.confidence >= limit else "LOW-CONFIDENCE"
        source = str(line.confidence_source)
        print(f"{number:3d}  {line.confidence * 100:5.1f}% {source:8s} {verdict:14s} {line.text}")
