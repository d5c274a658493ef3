"""The real Application, polling a fake Bot API server, as `python -m bot` runs it: for the
end-to-end tests and the benchmarks alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from bot.config import Settings
from bot.ocr.backends.pool import OcrPool
from bot.telegram.app import ALLOWED_UPDATES, build_application, start_services, stop_services
from bot.telegram.context import BotApplication
from bot.telegram.serve import build_web_server
from bot.telegram.updates import Poller
from bot.web.server import WebServer

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnopq"


@asynccontextmanager
async def running_bot(settings: Settings, ocr: OcrPool | None) -> AsyncIterator[BotApplication]:
    """The real Application, polling the fake server with the bot's own poller, as
    `python -m bot` runs it (`bot.telegram.serve`)."""
    application = build_application(settings, ocr=ocr)
    await application.initialize()
    await start_services(application)  # post_init: run_polling would call it
    await application.start()
    poller = Poller(application, ALLOWED_UPDATES)
    poller.start()
    try:
        yield application
    finally:
        await poller.stop(grace_s=5)
        await application.stop()
        await stop_services(application)  # post_stop
        await application.shutdown()


@asynccontextmanager
async def running_web_bot(
    settings: Settings, ocr: OcrPool | None
) -> AsyncIterator[tuple[BotApplication, WebServer]]:
    """`running_bot` with the bot's HTTP server (the editor, /healthz, /metrics) listening on
    127.0.0.1 at a free port (`server.port`), as `python -m bot` serves them."""
    async with running_bot(replace(settings, http_listen="127.0.0.1", http_port=0), ocr) as app:
        server = build_web_server(app, lambda: True)
        await server.start()
        try:
            yield app, server
        finally:
            await server.stop(grace_s=5)
