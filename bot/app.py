"""Builds the python-telegram-bot Application and wires services into it."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import time
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import handlers, note_handlers, settings_handlers
from bot.access import ADDRESSED, make_allowlist_guard
from bot.buttons import on_button
from bot.callbacks import CallbackSigner
from bot.config import Settings
from bot.keyboards import Keyboards
from bot.ocr_engine import EngineConfig
from bot.ocr_service import OcrService
from bot.pipeline import PhotoPipeline, Services
from bot.storage import Storage

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("notes", "Your notes, newest first"),
    BotCommand("search", "Find your notes: /search words"),
    BotCommand("export", "All your notes as a file"),
    BotCommand("lang", "The language I read"),
    BotCommand("threshold", "How sure I must be to accept a line"),
    BotCommand("cancel", "Stop retyping or renaming"),
    BotCommand("forget", "Delete all your data"),
    BotCommand("help", "What this bot does"),
]
SHUTDOWN_GRACE_S = 5.0


def engine_config(settings: Settings) -> EngineConfig:
    return EngineConfig(
        language=settings.ocr_language,
        license_path=str(settings.aspose_license_path) if settings.aspose_license_path else None,
        resources_dir=str(settings.aspose_resources_dir),
        auto_download=settings.aspose_auto_download,
        openssl_dir=str(settings.aspose_openssl_dir) if settings.aspose_openssl_dir else None,
    )


ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def webhook_options(settings: Settings) -> dict:
    """Arguments for `run_webhook` / `updater.start_webhook` from WEBHOOK_* settings.

    Telegram sends the secret in a header with every update; updates without it are refused.
    """
    assert settings.webhook_url is not None
    path = urlsplit(settings.webhook_url).path.strip("/") or "telegram"
    secret = (
        settings.webhook_secret or hashlib.sha256(f"webhook:{settings.token}".encode()).hexdigest()
    )
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": path,
        "webhook_url": settings.webhook_url,
        "secret_token": secret,
        "allowed_updates": ALLOWED_UPDATES,
    }


def callback_secret(settings: Settings) -> str:
    """An explicit secret, or one derived from the token so buttons survive restarts."""
    if settings.callback_secret:
        return settings.callback_secret
    return hashlib.sha256(f"notes-bot:{settings.token}".encode()).hexdigest()


def build_application(settings: Settings, *, ocr: OcrService | None = None) -> Application:
    """The bot, ready for `run_polling`; pass `ocr` to share one engine pool (tests)."""
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .rate_limiter(AIORateLimiter(max_retries=5))
        .concurrent_updates(True)
        .post_init(start_services)
        .post_stop(stop_services)
    )
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
    if settings.file_base_url:
        builder = builder.base_file_url(settings.file_base_url)
    application = builder.build()
    application.bot_data["settings"] = settings
    application.bot_data["shared_ocr"] = ocr

    if settings.allowed_user_ids:
        application.add_handler(
            TypeHandler(Update, make_allowlist_guard(settings.allowed_user_ids)), group=-1
        )
    new_message = filters.UpdateType.MESSAGE & ADDRESSED
    commands = {
        ("start", "help"): handlers.on_help,
        ("cancel",): handlers.on_cancel,
        ("notes",): note_handlers.on_notes,
        ("search",): note_handlers.on_search,
        ("export",): note_handlers.on_export,
        ("forget",): note_handlers.on_forget,
        ("lang", "language"): settings_handlers.on_lang,
        ("threshold",): settings_handlers.on_threshold,
        ("stats",): settings_handlers.on_stats,
    }
    for names, callback in commands.items():
        application.add_handler(CommandHandler(list(names), callback))
    application.add_handler(
        MessageHandler(new_message & (filters.PHOTO | filters.Document.ALL), handlers.on_image)
    )
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(
        MessageHandler(new_message & filters.TEXT & ~filters.COMMAND, handlers.on_text)
    )
    application.add_handler(
        MessageHandler(
            filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE, handlers.on_edited
        )
    )
    application.add_handler(
        MessageHandler(
            new_message & filters.ChatType.PRIVATE & ~filters.COMMAND, handlers.on_unsupported
        )
    )
    application.add_handler(
        MessageHandler(
            new_message & filters.ChatType.PRIVATE & filters.COMMAND, handlers.on_unknown_command
        )
    )
    application.add_error_handler(handlers.on_error)
    return application


async def start_services(application: Application) -> None:
    """Open storage, start OCR workers, resume interrupted jobs (PTB's post_init)."""
    settings: Settings = application.bot_data["settings"]
    application.bot_data["started_at"] = time.monotonic()
    storage = await Storage.open(settings.database_path)
    shared: OcrService | None = application.bot_data.get("shared_ocr")
    ocr = shared or OcrService(
        engine_config(settings),
        workers=settings.ocr_workers,
        timeout_s=settings.ocr_timeout_s,
        log_level=settings.log_level,
    )
    ocr.start()
    signer = CallbackSigner(callback_secret(settings))
    keyboards = Keyboards(signer)
    pipeline = PhotoPipeline(application.bot, storage, ocr, keyboards, settings)
    application.bot_data["services"] = Services(settings, storage, ocr, signer, keyboards, pipeline)
    if shared is None and settings.ocr_warm_up:
        # In the background: the bot answers commands at once, the first photo finds the
        # engine ready (it saves ~1.5 s of the first OCR call; BENCHMARKS.md, "Cold start").
        application.bot_data["warm_up"] = asyncio.create_task(ocr.warm_up())
    try:
        await application.bot.set_my_commands(COMMANDS)
    except Exception as error:  # a cosmetic call must not stop the bot from starting
        log.warning("event=set_commands_failed error=%s", error)
    resumed = await pipeline.resume()
    # What is alive now (modules, the application, handlers) lives as long as the process:
    # leaving it out of the garbage collector's full passes keeps them from stalling the event
    # loop (~30 ms each, measured in BENCHMARKS.md) while users wait for answers.
    gc.collect()
    gc.freeze()
    log.info("event=started resumed_jobs=%d db=%s", resumed, settings.database_path)


async def stop_services(application: Application) -> None:
    """Let running jobs finish briefly, then close everything (PTB's post_stop)."""
    svc: Services | None = application.bot_data.pop("services", None)
    if svc is None:
        return
    await svc.pipeline.drain(SHUTDOWN_GRACE_S)
    await svc.pipeline.cancel_all()
    warm_up = application.bot_data.pop("warm_up", None)
    if warm_up is not None:
        warm_up.cancel()
    if application.bot_data.get("shared_ocr") is None:
        await svc.ocr.close()
    await svc.storage.close()
    log.info("event=stopped")
