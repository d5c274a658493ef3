"""`python -m bot` runs the bot; `python -m bot ocr IMAGE...` OCRs images without Telegram;
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
    ocr = sub.add_parser("ocr", help="recognize images and print their lines")
    ocr.add_argument("images", type=Path, nargs="+", metavar="IMAGE")
    ocr.add_argument("--language", help="language code, e.g. ENG, DEU (default: OCR_LANGUAGE)")
    ocr.add_argument(
        "--json", action="store_true", help="one JSON object per image per output line"
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

        return run_ocr_cli(
            args.images, language=args.language, threshold=args.threshold, as_json=args.json
        )
    worker = args.command == "worker"
    try:
        settings = Settings.from_env(require_token=not worker)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if worker:
        from bot.ocr.backends.taskqueue.worker import run_worker

        return run_worker(settings)
    from bot.telegram.serve import run_bot

    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
