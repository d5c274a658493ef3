"""`python -m bot` runs the bot; `python -m bot ocr IMAGE` OCRs one image without Telegram;
`python -m bot worker` runs one OCR worker of the task queue (OCR_BACKEND=celery)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import ConfigError, Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the Telegram bot (the default)")
    ocr = sub.add_parser("ocr", help="recognize one image and print its lines")
    ocr.add_argument("image", type=Path)
    ocr.add_argument(
        "--language", help="Aspose language name, e.g. ENG, DEU (default: OCR_LANGUAGE)"
    )
    ocr.add_argument("--threshold", type=float, help="confidence threshold in percent")
    sub.add_parser(
        "worker",
        help="run one OCR worker for OCR_BACKEND=celery (reads OCR_BROKER_URL; needs no token)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "ocr":
        from bot.ocr.cli import run_ocr_cli

        return run_ocr_cli(args.image, language=args.language, threshold=args.threshold)
    worker = args.command == "worker"
    try:
        settings = Settings.from_env(require_token=not worker)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if worker:
        from bot.ocr.celery_worker import run_worker

        return run_worker(settings)
    from bot.telegram.serve import run_bot

    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
