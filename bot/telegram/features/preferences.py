"""What each user sets for themselves: the OCR language (`/lang`), the confidence threshold
(`/threshold`), and forgetting all their data (`/forget`)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from bot.domain import messages
from bot.domain.languages import LanguagePage, find_language, language_name, language_page
from bot.domain.review import parse_threshold
from bot.ocr.engine import OcrFailed, OcrUnavailable
from bot.telegram.buttons import (
    ButtonCodec,
    ButtonHandler,
    Choice,
    InvalidButton,
    Kind,
    PageRef,
    Press,
)
from bot.telegram.chat import command, private_command, reply
from bot.telegram.context import BotContext, Services
from bot.telegram.delivery import edit_html

log = logging.getLogger(__name__)

RESET_WORDS = {"default", "reset", "off"}
DEFAULT_CHOICE = "-"  # the language button that goes back to OCR_LANGUAGE


# --- /lang ---


def languages_keyboard(
    buttons: ButtonCodec, user_id: int, page: LanguagePage, current: str
) -> InlineKeyboardMarkup:
    choices = [
        buttons.button(
            user_id,
            ("✓ " if code == current else "") + language_name(code),
            Kind.LANGUAGE,
            Choice(code),
        )
        for code in page.codes
    ]
    rows = [choices[i : i + 3] for i in range(0, len(choices), 3)]
    nav = []
    if page.page > 0:
        nav.append(
            buttons.button(user_id, messages.PREV, Kind.LANGUAGE_PAGE, PageRef(page.page - 1))
        )
    if page.page + 1 < page.pages:
        label = messages.ALL_LANGUAGES if page.page == 0 else messages.NEXT
        nav.append(buttons.button(user_id, label, Kind.LANGUAGE_PAGE, PageRef(page.page + 1)))
    rows.append(nav)
    rows.append(
        [
            buttons.button(
                user_id, messages.USE_DEFAULT_LANGUAGE, Kind.LANGUAGE, Choice(DEFAULT_CHOICE)
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


async def _languages(svc: Services) -> list[str] | None:
    try:
        return await svc.ocr.languages()
    except (OcrFailed, OcrUnavailable) as error:
        log.error("event=languages_unavailable error=%s", error)
        return None


async def _menu(
    svc: Services, user_id: int, number: int, prefix: str = ""
) -> tuple[str, InlineKeyboardMarkup | None]:
    available = await _languages(svc)
    if available is None:
        return messages.LANGUAGES_UNAVAILABLE, None
    default = svc.settings.ocr_language
    current = (await svc.storage.users.settings(user_id)).language or default
    page = language_page(available, number)
    text = prefix + messages.language_menu(current, default)
    return text, languages_keyboard(svc.buttons, user_id, page, current)


async def _choose(svc: Services, user_id: int, code: str | None) -> str:
    """Check the language works on this server, then save it; returns the answer text."""
    if code is not None:
        try:
            problem = await svc.ocr.language_problem(code)
        except OcrUnavailable as error:  # e.g. no OCR worker answered: ask again later
            log.warning("event=language_check_unavailable language=%s error=%s", code, error)
            return messages.LANGUAGE_CHECK_UNAVAILABLE
        if problem is not None:
            log.info("event=language_refused user=%d language=%s reason=%s", user_id, code, problem)
            return messages.language_unavailable(code)
    await svc.storage.users.set_language(user_id, code)
    log.info("event=language_set user=%d language=%s", user_id, code or "default")
    return messages.language_set(code or svc.settings.ocr_language)


async def on_lang(update: Update, context: BotContext) -> None:
    """`/lang` shows the picker; `/lang German` or `/lang deu` chooses at once."""
    found = command(update, context)
    if found is None:
        return
    svc = context.services
    if not found.text:
        await reply(found.message, *await _menu(svc, found.user.id, 0))
        return
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
    prefix = messages.LANGUAGE_UNKNOWN + "\n\n"
    await reply(found.message, *await _menu(svc, found.user.id, 1, prefix))


async def on_language_page(press: Press, context: BotContext) -> None:
    await press.show(*await _menu(context.services, press.user_id, press.args(PageRef).page))


async def on_language_chosen(press: Press, context: BotContext) -> None:
    svc = context.services
    choice = press.args(Choice).value
    if choice != DEFAULT_CHOICE:
        available = await _languages(svc)
        if available is None or choice not in available:
            raise InvalidButton("fields")
    await press.answer(messages.CHECKING)  # the engine check can take a moment
    answer = await _choose(svc, press.user_id, None if choice == DEFAULT_CHOICE else choice)
    await edit_html(press.message, answer)


# --- /threshold ---


async def on_threshold(update: Update, context: BotContext) -> None:
    found = command(update, context)
    if found is None:
        return
    svc = context.services
    default = svc.settings.confidence_threshold
    if not found.text:
        own = (await svc.storage.users.settings(found.user.id)).threshold
        current = default if own is None else own
        await reply(found.message, messages.threshold_status(current, default, own is None))
        return
    if found.text.strip().lower() in RESET_WORDS:
        await svc.storage.users.set_threshold(found.user.id, None)
        await reply(found.message, messages.threshold_set(default))
        return
    value = parse_threshold(found.text)
    if value is None:
        await reply(found.message, messages.THRESHOLD_USAGE)
        return
    await svc.storage.users.set_threshold(found.user.id, value)
    log.info("event=threshold_set user=%d threshold=%g", found.user.id, value)
    await reply(found.message, messages.threshold_set(value))


# --- /forget ---


def forget_keyboard(buttons: ButtonCodec, user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                buttons.button(user_id, messages.FORGET_BUTTON, Kind.FORGET),
                buttons.button(user_id, messages.KEEP_DATA_BUTTON, Kind.KEEP_DATA),
            ]
        ]
    )


async def on_forget(update: Update, context: BotContext) -> None:
    found = await private_command(update, context)
    if found is None:
        return
    svc = context.services
    notes = await svc.storage.notes.count(found.user.id)
    keyboard = forget_keyboard(svc.buttons, found.user.id)
    await reply(found.message, messages.confirm_forget(notes), keyboard)


async def on_forget_confirmed(press: Press, context: BotContext) -> None:
    svc = context.services
    svc.pipeline.forget_user(press.user_id)
    notes = await svc.storage.forget_user(press.user_id)
    log.info("event=user_forgotten user=%d notes=%d", press.user_id, notes)
    await press.show(messages.forgotten(notes), toast=messages.DELETED)


async def on_forget_declined(press: Press, context: BotContext) -> None:
    await press.show(messages.FORGET_KEPT)


BUTTONS: dict[Kind, ButtonHandler] = {
    Kind.LANGUAGE_PAGE: on_language_page,
    Kind.LANGUAGE: on_language_chosen,
    Kind.FORGET: on_forget_confirmed,
    Kind.KEEP_DATA: on_forget_declined,
}
