"""Builds the python-telegram-bot Application: every feature's handlers in order, the button
router, and the services started and stopped with the application."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.domain.i18n import Catalogs
from bot.monitoring import watch_queue
from bot.ocr.backends.base import OcrBackend
from bot.ocr.backends.factory import build_backend
from bot.storage import Storage
from bot.telegram.access import ADDRESSED, allowlist_guard
from bot.telegram.buttons import ButtonCodec, ButtonRouter
from bot.telegram.context import CONTEXT_TYPES, BotApplication, Services
from bot.telegram.features import (
    admin,
    capture,
    export,
    general,
    inline,
    interface,
    notes,
    preferences,
    review,
    search,
    typed_text,
)
from bot.telegram.features.editor import EditorChat
from bot.telegram.limits import PatientRateLimiter
from bot.telegram.locale import warm_up_with_languages
from bot.telegram.menus import publish_commands
from bot.telegram.pipeline import PhotoPipeline

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 5.0
HANDLED_MESSAGES_KEPT = timedelta(days=2)
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "inline_query"]


def webhook_options(settings: Settings) -> dict[str, Any]:
    """The webhook's URL, its path on the bot's HTTP server and its secret (WEBHOOK_*).

    Telegram sends the secret in a header with every update; updates without it are refused.
    """
    assert settings.webhook_url is not None
    path = urlsplit(settings.webhook_url).path.strip("/") or "telegram"
    secret = (
        settings.webhook_secret or hashlib.sha256(f"webhook:{settings.token}".encode()).hexdigest()
    )
    return {
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


def _add_handlers(application: BotApplication, allowed_user_ids: frozenset[int]) -> None:
    """In order: the first handler that matches an update handles it."""
    if allowed_user_ids:
        application.add_handler(allowlist_guard(allowed_user_ids), group=-1)
    commands = {
        ("start", "help"): general.on_help,
        ("cancel",): general.on_cancel,
        ("notes",): notes.on_notes,
        ("search",): search.on_search,
        ("export",): export.on_export,
        ("forget",): preferences.on_forget,
        ("lang", "language"): preferences.on_lang,  # the OCR language
        ("settings",): interface.on_settings,  # the language the bot speaks, and the rest
        ("threshold",): preferences.on_threshold,
        ("stats",): admin.on_stats,
    }
    for names, callback in commands.items():
        application.add_handler(CommandHandler(list(names), callback))
    new_message = filters.UpdateType.MESSAGE & ADDRESSED
    private = new_message & filters.ChatType.PRIVATE
    router = ButtonRouter()
    for feature in (review, notes, search, export, preferences, interface):
        router.register(feature.BUTTONS)
    application.add_handler(InlineQueryHandler(inline.on_inline_query))
    application.add_handler(
        MessageHandler(new_message & (filters.PHOTO | filters.Document.ALL), capture.on_image)
    )
    application.add_handler(CallbackQueryHandler(router))
    application.add_handler(
        MessageHandler(new_message & filters.TEXT & ~filters.COMMAND, typed_text.on_text)
    )
    application.add_handler(
        MessageHandler(
            filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE, general.on_edited
        )
    )
    application.add_handler(MessageHandler(private & ~filters.COMMAND, general.on_unsupported))
    application.add_handler(MessageHandler(private & filters.COMMAND, general.on_unknown_command))
    application.add_error_handler(general.on_error)


def build_application(
    settings: Settings, *, ocr: OcrBackend | None = None, catalogs: Catalogs | None = None
) -> BotApplication:
    """The bot, ready for `run_polling`; pass `ocr` to share one engine pool (tests).

    The translation catalogs are loaded here (CatalogError if they were never compiled).
    """
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .context_types(CONTEXT_TYPES)
        .rate_limiter(PatientRateLimiter(max_retries=5))
        .concurrent_updates(True)
        .post_init(start_services)
        .post_stop(stop_services)
    )
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
    if settings.file_base_url:
        builder = builder.base_file_url(settings.file_base_url)
    application: BotApplication = builder.build()
    application.bot_data.settings = settings
    application.bot_data.catalogs = catalogs or Catalogs.load()
    application.bot_data.shared_ocr = ocr
    _add_handlers(application, settings.allowed_user_ids)
    return application


async def start_services(application: BotApplication) -> None:
    """Open storage, start OCR (workers or the queue), resume interrupted jobs (post_init)."""
    data = application.bot_data
    settings = data.settings
    catalogs = data.catalogs
    assert settings is not None
    assert catalogs is not None
    started_at = time.monotonic()
    storage = await Storage.open(settings.database_path)
    # Telegram keeps an unconfirmed update for a day: older records can't be needed.
    await storage.forget_handled_before(
        (datetime.now(UTC) - HANDLED_MESSAGES_KEPT).isoformat(timespec="microseconds")
    )
    ocr = data.shared_ocr or build_backend(settings)  # OCR_BACKEND: local pool or Celery
    ocr.start()
    buttons = ButtonCodec(callback_secret(settings))
    pipeline = PhotoPipeline(application.bot, storage, ocr, buttons, settings, catalogs)
    editor_chat = EditorChat(application.bot, storage, settings, catalogs)
    data.services = Services(
        settings, storage, ocr, buttons, pipeline, started_at, catalogs, editor_chat
    )
    watch_queue(lambda: len(pipeline.line))
    if data.shared_ocr is None and settings.ocr_warm_up:
        # In the background: the bot answers commands at once, the first photo finds the
        # engine ready (it saves ~1.5 s of the first OCR call; BENCHMARKS.md, "Cold start").
        data.warm_up = asyncio.create_task(warm_up_with_languages(ocr, settings, catalogs))
    await publish_commands(application.bot, catalogs)  # cosmetic: failures are only logged
    resumed = await pipeline.resume()
    resumed_saves = await editor_chat.resume()  # the chat's side of editor saves a stop cut
    # What is alive now (modules, the application, handlers) lives as long as the process:
    # leaving it out of the garbage collector's full passes keeps them from stalling the event
    # loop (~30 ms each, measured in BENCHMARKS.md) while users wait for answers.
    gc.collect()
    gc.freeze()
    log.info(
        "event=started resumed_jobs=%d resumed_saves=%d db=%s",
        resumed,
        resumed_saves,
        settings.database_path,
    )


async def stop_services(application: BotApplication) -> None:
    """Let running jobs finish briefly, then close everything (PTB's post_stop)."""
    data = application.bot_data
    svc, data.services = data.services, None
    if svc is None:
        return
    await svc.pipeline.drain(SHUTDOWN_GRACE_S)
    await svc.pipeline.cancel_all()
    warm_up, data.warm_up = data.warm_up, None
    if warm_up is not None:
        warm_up.cancel()
    if data.shared_ocr is None:
        await svc.ocr.close()
    await svc.storage.close()
    log.info("event=stopped")
