"""`python -m bot`: start-up checks, then polling or the webhook server until a signal."""

from __future__ import annotations

import logging
import sys

from bot.config import Settings
from bot.logs import configure_logging
from bot.ocr.prerequisites import EngineUnavailable, prepare_engine_runtime
from bot.storage import StorageError
from bot.telegram.app import ALLOWED_UPDATES, build_application, webhook_options

log = logging.getLogger("bot")


def run_bot(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; returns the process exit code."""
    configure_logging(settings.log_level, settings.token)
    try:
        if settings.ocr_backend == "local":  # with a task queue the engine runs elsewhere
            prepare_engine_runtime(settings.aspose_openssl_dir)
    except EngineUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    application = build_application(settings)
    try:
        # Both stop cleanly on SIGINT/SIGTERM: post_stop drains jobs and closes the database.
        if settings.webhook_url:
            application.run_webhook(**webhook_options(settings))
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
