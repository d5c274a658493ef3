"""Which language to answer a user in, and which OCR language that suggests.

The interface language is the user's own choice (/settings), else their Telegram language
(`from.language_code`) when a catalog exists for it, else English. It is looked up for each
update and handed to the wording explicitly, so concurrent updates never share a language.
"""

from __future__ import annotations

import logging

from telegram import User

from bot.config import Settings
from bot.domain.i18n import Catalogs, Translator
from bot.domain.languages import ocr_language_of
from bot.ocr.backends.base import OcrBackend
from bot.ocr.contract import OcrFailed, OcrUnavailable
from bot.storage import Storage

log = logging.getLogger(__name__)


async def user_translator(catalogs: Catalogs, storage: Storage, user: User | None) -> Translator:
    """The user's interface language. If the stored choice can't be read, Telegram's language
    still gives a sensible answer (this also words the reply to a database failure)."""
    if user is None:
        return catalogs.source
    try:
        stored = await storage.users.interface_language(user.id)
    except Exception as error:  # the language must never stop a reply, even "it failed"
        log.warning("event=interface_language_unreadable user=%d error=%s", user.id, error)
        stored = None
    return catalogs.choose(stored, user.language_code)


async def default_ocr_language(ocr: OcrBackend, settings: Settings, interface: str | None) -> str:
    """The OCR language of a user who hasn't chosen one with /lang: their interface language's
    when the engine reads it with the models this server has (Vietnamese -> VIE), else
    OCR_LANGUAGE (always for English)."""
    suggested = ocr_language_of(interface or "")
    if suggested is None or suggested == settings.ocr_language:
        return settings.ocr_language
    try:
        usable = suggested in await ocr.languages()
        usable = usable and await ocr.language_problem(suggested) is None
    except (OcrFailed, OcrUnavailable) as error:
        log.warning("event=ocr_language_check_failed language=%s error=%s", suggested, error)
        usable = False
    return suggested if usable else settings.ocr_language


async def warm_up_with_languages(ocr: OcrBackend, settings: Settings, catalogs: Catalogs) -> None:
    """Load the engine, then, with the local pool, check each language's default OCR language
    (the answers are cached), so no user's first photo or /settings waits behind the check.
    With a task queue the check would be a task waiting for a worker: it is left to the first
    user who needs it."""
    await ocr.warm_up()
    if settings.ocr_backend != "local":
        return
    for code in catalogs.codes:
        await default_ocr_language(ocr, settings, code)
