"""What each user sets for themselves: the OCR language (`/lang`), the confidence threshold
(`/threshold`), and forgetting all their data (`/forget`)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from bot.domain import messages
from bot.domain.i18n import Translator
from bot.domain.languages import (
    LanguagePage,
    any_language,
    find_language,
    language_name,
    language_page,
)
from bot.domain.review import parse_threshold
from bot.ocr.contract import OcrFailed, OcrUnavailable
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
from bot.telegram.locale import default_ocr_language
from bot.telegram.menus import remove_user_commands

log = logging.getLogger(__name__)

RESET_WORDS = {"default", "reset", "off"}
DEFAULT_CHOICE = "-"  # the language button that goes back to the default (`user_ocr_language`)


# --- /lang ---


def languages_keyboard(
    buttons: ButtonCodec, user_id: int, t: Translator, page: LanguagePage, current: str
) -> InlineKeyboardMarkup:
    choices = [
        buttons.button(
            user_id,
            ("✓ " if code == current else "") + language_name(code, t),
            Kind.LANGUAGE,
            Choice(code),
        )
        for code in page.codes
    ]
    rows = [choices[i : i + 3] for i in range(0, len(choices), 3)]
    nav = []
    if page.page > 0:
        previous = PageRef(page.page - 1)
        nav.append(buttons.button(user_id, t(messages.PREV), Kind.LANGUAGE_PAGE, previous))
    if page.page + 1 < page.pages:
        label = t(messages.ALL_LANGUAGES if page.page == 0 else messages.NEXT)
        nav.append(buttons.button(user_id, label, Kind.LANGUAGE_PAGE, PageRef(page.page + 1)))
    rows.append(nav)
    default = t(messages.USE_DEFAULT_LANGUAGE)
    rows.append([buttons.button(user_id, default, Kind.LANGUAGE, Choice(DEFAULT_CHOICE))])
    return InlineKeyboardMarkup(rows)


async def _languages(svc: Services) -> list[str] | None:
    try:
        return await svc.ocr.languages()
    except (OcrFailed, OcrUnavailable) as error:
        log.error("event=languages_unavailable error=%s", error)
        return None


async def user_ocr_language(svc: Services, user_id: int, t: Translator) -> tuple[str, str]:
    """(the user's OCR language, their default): the default follows the interface language
    when the engine has it (`default_ocr_language`); /lang's choice overrides it."""
    default = await default_ocr_language(svc.ocr, svc.settings, t.code)
    return (await svc.storage.users.settings(user_id)).language or default, default


async def _menu(
    svc: Services, user_id: int, t: Translator, number: int, prefix: str = ""
) -> tuple[str, InlineKeyboardMarkup | None]:
    available = await _languages(svc)
    if available is None:
        return t(messages.LANGUAGES_UNAVAILABLE), None
    current, default = await user_ocr_language(svc, user_id, t)
    page = language_page(available, number, t)
    text = prefix + messages.language_menu(t, current, default)
    return text, languages_keyboard(svc.buttons, user_id, t, page, current)


async def _choose(svc: Services, user_id: int, t: Translator, code: str | None) -> str:
    """Check the language works on this server, then save it; returns the answer text."""
    if code is not None:
        try:
            problem = await svc.ocr.language_problem(code)
        except OcrUnavailable as error:  # e.g. no OCR worker answered: ask again later
            log.warning("event=language_check_unavailable language=%s error=%s", code, error)
            return t(messages.LANGUAGE_CHECK_UNAVAILABLE)
        if problem is not None:
            log.info("event=language_refused user=%d language=%s reason=%s", user_id, code, problem)
            return messages.language_unavailable(t, code)
    await svc.storage.users.set_language(user_id, code)
    log.info("event=language_set user=%d language=%s", user_id, code or "default")
    return messages.language_set(
        t, code or await default_ocr_language(svc.ocr, svc.settings, t.code)
    )


async def on_lang(update: Update, context: BotContext) -> None:
    """`/lang` shows the picker; `/lang German` or `/lang deu` chooses at once."""
    found = await command(update, context)
    if found is None:
        return
    svc, t = context.services, found.t
    if not found.text:
        await reply(found.message, *await _menu(svc, found.user.id, t, 0))
        return
    available = await _languages(svc)
    if available is None:
        await reply(found.message, t(messages.LANGUAGES_UNAVAILABLE))
        return
    if found.text.strip().lower() in RESET_WORDS:
        await reply(found.message, await _choose(svc, found.user.id, t, None))
        return
    code = find_language(available, found.text, t)
    if code is not None:
        await reply(found.message, await _choose(svc, found.user.id, t, code))
        return
    lacking = any_language(found.text)
    if lacking is not None:  # a real language this engine doesn't read
        log.info("event=language_refused user=%d language=%s", found.user.id, lacking)
        await reply(found.message, messages.language_unavailable(t, lacking))
        return
    prefix = t(messages.LANGUAGE_UNKNOWN) + "\n\n"
    await reply(found.message, *await _menu(svc, found.user.id, t, 1, prefix))


async def on_language_page(press: Press, context: BotContext) -> None:
    page = press.args(PageRef).page
    await press.show(*await _menu(context.services, press.user_id, press.t, page))


async def on_language_chosen(press: Press, context: BotContext) -> None:
    svc = context.services
    choice = press.args(Choice).value
    if choice != DEFAULT_CHOICE:
        available = await _languages(svc)
        if available is None or choice not in available:
            raise InvalidButton("fields")
    await press.answer(press.t(messages.CHECKING))  # the engine check can take a moment
    code = None if choice == DEFAULT_CHOICE else choice
    await edit_html(press.message, await _choose(svc, press.user_id, press.t, code))


# --- /threshold ---


async def on_threshold(update: Update, context: BotContext) -> None:
    found = await command(update, context)
    if found is None:
        return
    svc, t = context.services, found.t
    default = svc.settings.confidence_threshold
    if not found.text:
        own = (await svc.storage.users.settings(found.user.id)).threshold
        current = default if own is None else own
        await reply(found.message, messages.threshold_status(t, current, default, own is None))
        return
    if found.text.strip().lower() in RESET_WORDS:
        await svc.storage.users.set_threshold(found.user.id, None)
        await reply(found.message, messages.threshold_set(t, default))
        return
    value = parse_threshold(found.text)
    if value is None:
        await reply(found.message, t(messages.THRESHOLD_USAGE))
        return
    await svc.storage.users.set_threshold(found.user.id, value)
    log.info("event=threshold_set user=%d threshold=%g", found.user.id, value)
    await reply(found.message, messages.threshold_set(t, value))


# --- /forget ---


def forget_keyboard(buttons: ButtonCodec, user_id: int, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                buttons.button(user_id, t(messages.FORGET_BUTTON), Kind.FORGET),
                buttons.button(user_id, t(messages.KEEP_DATA_BUTTON), Kind.KEEP_DATA),
            ]
        ]
    )


async def on_forget(update: Update, context: BotContext) -> None:
    found = await private_command(update, context)
    if found is None:
        return
    svc = context.services
    notes = await svc.storage.notes.count(found.user.id)
    keyboard = forget_keyboard(svc.buttons, found.user.id, found.t)
    await reply(found.message, messages.confirm_forget(found.t, notes), keyboard)


async def on_forget_confirmed(press: Press, context: BotContext) -> None:
    """Everything goes, the language choice too: the answer is still in the language it was
    asked in, and the user's own command menu (if they had one) is removed."""
    svc = context.services
    svc.pipeline.forget_user(press.user_id)
    had_own_menu = (await svc.storage.users.settings(press.user_id)).interface_language
    notes = await svc.storage.forget_user(press.user_id)
    log.info("event=user_forgotten user=%d notes=%d", press.user_id, notes)
    await press.show(messages.forgotten(press.t, notes), toast=press.t(messages.DELETED))
    if had_own_menu is not None:
        await remove_user_commands(context.bot, press.user_id)


async def on_forget_declined(press: Press, context: BotContext) -> None:
    await press.show(press.t(messages.FORGET_KEPT))


BUTTONS: dict[Kind, ButtonHandler] = {
    Kind.LANGUAGE_PAGE: on_language_page,
    Kind.LANGUAGE: on_language_chosen,
    Kind.FORGET: on_forget_confirmed,
    Kind.KEEP_DATA: on_forget_declined,
}
