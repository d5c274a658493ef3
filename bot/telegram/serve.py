"""`python -m bot`: start-up checks, then polling or the webhook server until SIGINT/SIGTERM.

Every start-up failure is one line on stderr and a non-zero exit code: never a traceback, and
never the token (python-telegram-bot's own message for a rejected token quotes it).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from telegram.error import InvalidToken, NetworkError

from bot.config import Settings
from bot.domain.i18n import CatalogError
from bot.logs import configure_logging
from bot.ocr.backends.taskqueue.broker import BrokerRefused, check_credentials
from bot.ocr.contract import EngineConfig
from bot.ocr.engines.factory import prepare_runtime
from bot.ocr.engines.prerequisites import EngineUnavailable
from bot.storage import StorageError
from bot.telegram.app import (
    ALLOWED_UPDATES,
    SHUTDOWN_GRACE_S,
    build_application,
    start_services,
    stop_services,
    webhook_options,
)
from bot.telegram.context import BotApplication
from bot.telegram.limits import with_retries
from bot.telegram.updates import Poller, WebhookReceiver

log = logging.getLogger("bot")


class CannotRun(Exception):
    """The bot can't start or go on; the message is one line for the operator, no secrets."""


def run_bot(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; returns the process exit code."""
    configure_logging(settings.log_level, settings.token)
    try:
        if settings.ocr_backend == "local":  # with a task queue the engine runs elsewhere
            prepare_runtime(EngineConfig.from_settings(settings))
        elif settings.ocr_broker_url is not None:
            check_credentials(settings.ocr_broker_url)
        asyncio.run(serve(build_application(settings), settings))
    except (EngineUnavailable, StorageError, CannotRun, CatalogError, BrokerRefused) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


async def _introduce(application: BotApplication) -> None:
    """Meet the Bot API (getMe): the first call, where a bad token or no network shows."""
    try:
        await with_retries(application.initialize, "initialize")
    except InvalidToken:
        raise CannotRun(
            "Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN (from @BotFather)"
        ) from None
    except NetworkError as error:
        raise CannotRun(f"cannot reach the Telegram Bot API: {error}") from None


async def serve(application: BotApplication, settings: Settings) -> None:
    """The application's whole life: start, take updates until a signal, stop cleanly."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stopping.set)
    await _introduce(application)
    try:
        await start_services(application)
        await application.start()
        source: Poller | WebhookReceiver
        if settings.webhook_url:
            options = webhook_options(settings)
            await application.bot.set_webhook(
                options["webhook_url"],
                secret_token=options["secret_token"],
                allowed_updates=ALLOWED_UPDATES,
            )
            source = WebhookReceiver(
                application,
                listen=options["listen"],
                port=options["port"],
                url_path=options["url_path"],
                secret=options["secret_token"],
            )
            source.start()
            await stopping.wait()
        else:
            await application.bot.delete_webhook()
            source = Poller(application, ALLOWED_UPDATES)
            source.start()
            stopped = asyncio.create_task(stopping.wait())
            polling = asyncio.create_task(source.wait())
            await asyncio.wait({stopped, polling}, return_when=asyncio.FIRST_COMPLETED)
            if polling.done() and (error := polling.exception()) is not None:
                stopped.cancel()
                if isinstance(error, InvalidToken):
                    raise CannotRun("Telegram rejected the bot token") from None
                log.error("event=polling_failed", exc_info=error)  # redacted, one record
                raise CannotRun(f"polling stopped: {type(error).__name__}; see the log") from None
        log.info("event=stopping")
        await source.stop(SHUTDOWN_GRACE_S)
    finally:
        if application.running:
            await application.stop()
        await stop_services(application)
        await application.shutdown()
