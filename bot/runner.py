"""Start-up checks and the polling loop for `python -m bot`."""

from __future__ import annotations

import logging
import sys

from bot.app import build_application
from bot.config import Settings
from bot.logs import configure_logging
from bot.runtime import EngineUnavailable, prepare_engine_runtime
from bot.storage import StorageError

log = logging.getLogger("bot")


def run_bot(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; returns the process exit code."""
    configure_logging(settings.log_level, settings.token)
    try:
        prepare_engine_runtime()
    except EngineUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    application = build_application(settings)
    try:
        # run_polling stops cleanly on SIGINT/SIGTERM: post_stop drains jobs and closes the DB.
        application.run_polling(allowed_updates=["message", "edited_message", "callback_query"])
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
