"""The command menu Telegram shows next to the text field, in the user's language.

At start the bot sets one menu per catalog (`setMyCommands` with `language_code`; English is
the default for every other language), so Telegram shows each user the menu of their app's
language. A user who picks another language in /settings gets their own menu too (scope: their
private chat), removed again when they go back to following Telegram or use /forget. Menus are
cosmetic: a failure to set one is logged, never stops the bot or an answer.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.domain import messages
from bot.domain.i18n import SOURCE_LANGUAGE, Catalogs, Translator

log = logging.getLogger(__name__)


def bot_commands(t: Translator) -> list[BotCommand]:
    return [BotCommand(name, t(description)) for name, description in messages.COMMANDS]


def menu_languages(catalogs: Catalogs) -> dict[str | None, str]:
    """Telegram's `language_code` (two letters; None = the default menu) -> catalog code.

    A regional catalog ("pt_BR") gives its language's menu unless a plain one ("pt") exists.
    """
    menus: dict[str | None, str] = {None: SOURCE_LANGUAGE}
    for code in catalogs.codes:
        if code == SOURCE_LANGUAGE:
            continue
        primary = code.split("_")[0].lower()
        if primary not in menus or code.lower() == primary:
            menus[primary] = code
    return menus


async def publish_commands(bot: Bot, catalogs: Catalogs) -> None:
    for language_code, code in menu_languages(catalogs).items():
        try:
            await bot.set_my_commands(bot_commands(catalogs.get(code)), language_code=language_code)
        except TelegramError as error:
            log.warning("event=set_commands_failed language=%s error=%s", code, error)


async def set_user_commands(bot: Bot, user_id: int, t: Translator) -> None:
    """The menu of the user's chosen language, in their private chat with the bot."""
    try:
        await bot.set_my_commands(bot_commands(t), scope=BotCommandScopeChat(user_id))
    except TelegramError as error:
        log.warning("event=set_user_commands_failed user=%d error=%s", user_id, error)


async def remove_user_commands(bot: Bot, user_id: int) -> None:
    """Back to the menu of the user's Telegram language."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(user_id))
    except TelegramError as error:
        log.warning("event=delete_user_commands_failed user=%d error=%s", user_id, error)
