"""`python -m bot`: start-up checks, then polling or the webhook until SIGINT/SIGTERM, with the
bot's HTTP server (the Mini App editor, /healthz, /metrics, and the webhook) beside it.

Every start-up failure is one line on stderr and a non-zero exit code: never a traceback, and
never the token (python-telegram-bot's own message for a rejected token quotes it).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable

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
from bot.telegram.updates import Poller, WebhookUpdates
from bot.web.server import CannotServe, Webhook, WebServer

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


def build_web_server(
    application: BotApplication,
    updates_alive: Callable[[], bool],
    webhook: Webhook | None = None,
) -> WebServer:
    """The HTTP server for a started application (its services running)."""
    svc = application.bot_data.services
    assert svc is not None
    return WebServer(
        svc.settings, svc.storage, svc.ocr, svc.catalogs, svc.editor, updates_alive, webhook
    )


async def _listen(server: WebServer) -> None:
    try:
        await server.start()
    except CannotServe as error:
        raise CannotRun(str(error)) from None


async def serve(application: BotApplication, settings: Settings) -> None:
    """The application's whole life: start, take updates until a signal, stop cleanly."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stopping.set)
    await _introduce(application)
    server: WebServer | None = None
    try:
        await start_services(application)
        await application.start()
        if settings.webhook_url:
            options = webhook_options(settings)
            updates = WebhookUpdates(application)
            hook = Webhook("/" + options["url_path"], options["secret_token"], updates)
            server = build_web_server(application, lambda: True, hook)
            await _listen(server)  # listening before Telegram is told to post
            await application.bot.set_webhook(
                options["webhook_url"],
                secret_token=options["secret_token"],
                allowed_updates=ALLOWED_UPDATES,
            )
            await stopping.wait()
            log.info("event=stopping")
            await server.stop(SHUTDOWN_GRACE_S)  # updates being handled get the grace
        else:
            await application.bot.delete_webhook()
            poller = Poller(application, ALLOWED_UPDATES)
            server = build_web_server(application, poller.alive)
            await _listen(server)
            poller.start()
            stopped = asyncio.create_task(stopping.wait())
            polling = asyncio.create_task(poller.wait())
            await asyncio.wait({stopped, polling}, return_when=asyncio.FIRST_COMPLETED)
            if polling.done() and (error := polling.exception()) is not None:
                stopped.cancel()
                if isinstance(error, InvalidToken):
                    raise CannotRun("Telegram rejected the bot token") from None
                log.error("event=polling_failed", exc_info=error)  # redacted, one record
                raise CannotRun(f"polling stopped: {type(error).__name__}; see the log") from None
            log.info("event=stopping")
            await poller.stop(SHUTDOWN_GRACE_S)
    finally:
        if server is not None:
            await server.stop(SHUTDOWN_GRACE_S)
        if application.running:
            await application.stop()
        await stop_services(application)
        await application.shutdown()
