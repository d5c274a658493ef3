"""Handlers for per-user settings (/lang, /threshold) and the admins' /stats."""

from __future__ import annotations

import logging
import time

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot import messages
from bot.button_support import BadFields, int_fields
from bot.delivery import edit_html
from bot.handler_support import command, private_command, reply, services
from bot.languages import find_language, language_page
from bot.metrics import summarize
from bot.ocr_engine import OcrFailed
from bot.pipeline import Services
from bot.review import parse_threshold

log = logging.getLogger(__name__)

RESET_WORDS = {"default", "reset", "off"}


# --- /lang ---


async def _languages(svc: Services) -> list[str] | None:
    try:
        return await svc.ocr.languages()
    except OcrFailed as error:
        log.error("event=languages_unavailable error=%s", error)
        return None


async def _menu(svc: Services, user_id: int, number: int, prefix: str = ""):
    available = await _languages(svc)
    if available is None:
        return messages.LANGUAGES_UNAVAILABLE, None
    current = (await svc.storage.user_settings(user_id)).language or svc.settings.ocr_language
    page = language_page(available, number)
    text = prefix + messages.language_menu(current, svc.settings.ocr_language)
    return text, svc.keyboards.languages(user_id, page, current)


async def _choose(svc: Services, user_id: int, code: str | None) -> str:
    """Check the language works on this server, then save it; returns the answer text."""
    if code is not None:
        problem = await svc.ocr.language_problem(code)
        if problem is not None:
            log.info("event=language_refused user=%d language=%s reason=%s", user_id, code, problem)
            return messages.language_unavailable(code)
    await svc.storage.set_language(user_id, code)
    log.info("event=language_set user=%d language=%s", user_id, code or "default")
    return messages.language_set(code or svc.settings.ocr_language)


async def on_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/lang` shows the picker; `/lang German` or `/lang deu` chooses at once."""
    found = command(update, context)
    if found is None:
        return
    svc = services(context)
    if found.text:
        available = await _languages(svc)
        if available is None:
            await reply(found.message, messages.LANGUAGES_UNAVAILABLE)
            return
        if found.text.strip().lower() in RESET_WORDS:
            await reply(found.message, await _choose(svc, found.user.id, None))
            return
        code = find_language(available, found.text)
        if code is not None:
            await reply(found.message, await _choose(svc, found.user.id, code))
            return
        text, keyboard = await _menu(svc, found.user.id, 1, messages.LANGUAGE_UNKNOWN + "\n\n")
    else:
        text, keyboard = await _menu(svc, found.user.id, 0)
    await reply(found.message, text, keyboard)


async def on_language_page(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, user_id: int, kind: str, fields
) -> None:
    (number,) = int_fields(fields, 1)
    text, keyboard = await _menu(services(context), user_id, number)
    await query.answer()
    await edit_html(query.message, text, keyboard)


async def on_language_chosen(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, user_id: int, kind: str, fields
) -> None:
    svc = services(context)
    available = await _languages(svc)
    choice = fields[0] if fields else ""
    if choice != "-" and (available is None or choice not in available):
        raise BadFields(fields)
    await query.answer("Checking…")
    await edit_html(query.message, await _choose(svc, user_id, None if choice == "-" else choice))


# --- /threshold ---


async def on_threshold(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = command(update, context)
    if found is None:
        return
    svc = services(context)
    default = svc.settings.confidence_threshold
    if not found.text:
        own = (await svc.storage.user_settings(found.user.id)).threshold
        current = default if own is None else own
        await reply(found.message, messages.threshold_status(current, default, own is None))
        return
    if found.text.strip().lower() in RESET_WORDS:
        await svc.storage.set_threshold(found.user.id, None)
        await reply(found.message, messages.threshold_set(default))
        return
    value = parse_threshold(found.text)
    if value is None:
        await reply(found.message, messages.THRESHOLD_USAGE)
        return
    await svc.storage.set_threshold(found.user.id, value)
    log.info("event=threshold_set user=%d threshold=%g", found.user.id, value)
    await reply(found.message, messages.threshold_set(value))


# --- /stats (admins) ---


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await private_command(update, context)
    if found is None:
        return
    svc = services(context)
    if found.user.id not in svc.settings.admin_user_ids:
        await reply(found.message, messages.NOT_ADMIN)
        return
    started = context.application.bot_data.get("started_at", time.monotonic())
    text = messages.stats(
        await svc.storage.stats(),
        in_flight=svc.ocr.in_flight,
        workers=svc.ocr.workers,
        ocr=summarize(svc.ocr.durations),
        licensed=svc.ocr.licensed,
        warm_up_s=svc.ocr.warm_up_s,
        uptime_s=time.monotonic() - started,
    )
    await reply(found.message, text)
