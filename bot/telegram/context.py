"""What handlers get besides the update: typed services, through a custom callback context.

python-telegram-bot builds a `BotContext` for every update (`ContextTypes(context=...)`), so a
handler writes `context.services.storage` and the type checker knows what that is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.config import Settings
from bot.domain.i18n import Catalogs
from bot.ocr.backends.base import OcrBackend
from bot.storage import Storage
from bot.telegram.refusals import RefusedPhotos

if TYPE_CHECKING:
    from bot.telegram.buttons import ButtonCodec
    from bot.telegram.features.editor import EditorChat
    from bot.telegram.pipeline import PhotoPipeline


@dataclass
class Services:
    """What handlers and the pipeline share, created when the application starts."""

    settings: Settings
    storage: Storage
    ocr: OcrBackend
    buttons: ButtonCodec
    pipeline: PhotoPipeline
    started_at: float
    catalogs: Catalogs
    editor: EditorChat
    refused_photos: RefusedPhotos = field(default_factory=RefusedPhotos)


@dataclass
class BotData:
    """`application.bot_data`: the settings from the start, the services once started."""

    settings: Settings | None = None
    catalogs: Catalogs | None = None  # loaded when the application is built
    services: Services | None = None
    shared_ocr: OcrBackend | None = None  # tests share one engine pool between applications
    warm_up: asyncio.Task[None] | None = field(default=None, repr=False)


class BotContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:  # only before post_init or after post_stop
            raise RuntimeError("the bot's services are not running")
        return services


BotApplication = Application[ExtBot[int], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)
