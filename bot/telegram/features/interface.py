"""`/settings`: the language the bot speaks to the user, their own choice or their Telegram
language's, with the OCR language and threshold shown alongside (each has its own command)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from bot.domain import messages
from bot.domain.i18n import Catalogs, Translator
from bot.telegram.buttons import ButtonCodec, ButtonHandler, Choice, InvalidButton, Kind, Press
from bot.telegram.chat import command, reply
from bot.telegram.context import BotContext, Services
from bot.telegram.features.preferences import user_ocr_language
from bot.telegram.menus import remove_user_commands, set_user_commands

log = logging.getLogger(__name__)

FOLLOW_TELEGRAM = "-"  # the button that goes back to the user's Telegram language


def interface_keyboard(
    buttons: ButtonCodec, user_id: int, catalogs: Catalogs, t: Translator, chosen: bool
) -> InlineKeyboardMarkup:
    """Each language in its own name (a user who can't read the current one finds theirs)."""
    choices = [
        buttons.button(
            user_id,
            ("✓ " if chosen and code == t.code else "") + catalogs.get(code).name,
            Kind.INTERFACE,
            Choice(code),
        )
        for code in catalogs.codes
    ]
    rows = [choices[i : i + 2] for i in range(0, len(choices), 2)]
    follow = ("✓ " if not chosen else "") + t(messages.FOLLOW_TELEGRAM)
    rows.append([buttons.button(user_id, follow, Kind.INTERFACE, Choice(FOLLOW_TELEGRAM))])
    return InlineKeyboardMarkup(rows)


async def _view(
    svc: Services, user_id: int, t: Translator, prefix: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    prefs = await svc.storage.users.settings(user_id)
    chosen = prefs.interface_language in svc.catalogs
    ocr_language, _ = await user_ocr_language(svc, user_id, t)
    threshold = svc.settings.confidence_threshold if prefs.threshold is None else prefs.threshold
    text = messages.settings_menu(
        t, chosen=chosen, ocr_language=ocr_language, threshold=threshold, prefix=prefix
    )
    return text, interface_keyboard(svc.buttons, user_id, svc.catalogs, t, chosen)


async def on_settings(update: Update, context: BotContext) -> None:
    found = await command(update, context)
    if found is None:
        return
    await reply(found.message, *await _view(context.services, found.user.id, found.t))


async def on_interface_chosen(press: Press, context: BotContext) -> None:
    """Store the choice, answer in the new language, and give the user a menu in it."""
    svc = context.services
    choice = press.args(Choice).value
    if choice != FOLLOW_TELEGRAM and choice not in svc.catalogs:
        raise InvalidButton("fields")  # a catalog removed since the button was sent
    stored = None if choice == FOLLOW_TELEGRAM else choice
    await svc.storage.users.set_interface_language(press.user_id, stored)
    log.info("event=interface_language_set user=%d language=%s", press.user_id, stored or "auto")
    t = svc.catalogs.choose(stored, press.query.from_user.language_code)
    await press.show(*await _view(svc, press.user_id, t, messages.interface_set(t)))
    if stored is None:
        await remove_user_commands(context.bot, press.user_id)
    else:
        await set_user_commands(context.bot, press.user_id, t)


BUTTONS: dict[Kind, ButtonHandler] = {Kind.INTERFACE: on_interface_chosen}
