"""`python -m bot ocr IMAGE`: the engine on one image, without Telegram.

Prints each line with its confidence (engine or estimate) and whether the bot would accept it
or ask the user to review it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.domain import messages
from bot.domain.i18n import ENGLISH
from bot.domain.models import ConfidenceSource
from bot.ocr.aspose import AsposeEngine
from bot.ocr.engine import EngineConfig, OcrFailed
from bot.ocr.images import ImageRejected, inspect_image
from bot.ocr.prerequisites import EngineUnavailable


def run_ocr_cli(image: Path, *, language: str | None, threshold: float | None) -> int:
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
    try:
        data = image.read_bytes()
    except OSError as error:
        print(f"error: cannot read {image}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        inspect_image(data, max_pixels=settings.max_image_pixels)
        engine = AsposeEngine(EngineConfig.from_settings(settings))
        outcome = engine.recognize(data, language)
    except ImageRejected as rejected:
        print(
            f"error: {messages.image_flaw(ENGLISH, rejected.flaw, rejected.detail)}",
            file=sys.stderr,
        )
        return 1
    except (EngineUnavailable, OcrFailed) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    mode = "licensed" if not outcome.trial else "TRIAL (output truncated, no engine confidence)"
    print(
        f"# {image.name}: {len(outcome.lines)} lines, model={outcome.model}, mode={mode}, "
        f"{outcome.elapsed_s:.2f}s"
    )
    for notice in outcome.notices:
        print(f"# note: {notice}")
    for number, line in enumerate(outcome.lines, start=1):
        verdict = "accepted" if line.confidence >= limit else "LOW-CONFIDENCE"
        source = "engine" if line.confidence_source is ConfidenceSource.ENGINE else "estimate"
        print(f"{number:3d}  {line.confidence * 100:5.1f}% {source:8s} {verdict:14s} {line.text}")
    return 0
