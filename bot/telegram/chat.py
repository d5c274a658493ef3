"""What every handler needs: replying in HTML, the command's parts and the sender's language,
the private-chat rule for personal data, and how an inline answer says "nothing" politely."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, InlineQueryResultsButton, Message, Update, User
from telegram.constants import ChatType, ParseMode

from bot.domain import messages
from bot.domain.i18n import Translator
from bot.telegram.context import BotContext
from bot.telegram.locale import user_translator
from bot.telegram.text import TELEGRAM_TEXT_LIMIT, shorten_html

INLINE_CACHE_S = 10  # inline answers are personal and change as notes do: cached briefly
START_PARAMETER = "inline"  # the button above inline results opens the bot with /start inline


async def reply(
    message: Message, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> Message:
    """An HTML answer in the message's chat (too long for one message: shortened, "…")."""
    return await message.reply_text(
        shorten_html(text, TELEGRAM_TEXT_LIMIT), parse_mode=ParseMode.HTML, reply_markup=keyboard
    )


@dataclass(frozen=True)
class Command:
    """A command's message and sender, when both exist (channel posts have no sender), and
    the language to answer in."""

    message: Message
    user: User
    args: list[str]
    t: Translator

    @property
    def text(self) -> str:
        return " ".join(self.args)


async def translator(update: Update, context: BotContext) -> Translator:
    """The language to answer this update's sender in."""
    svc = context.services
    return await user_translator(svc.catalogs, svc.storage, update.effective_user)


async def command(update: Update, context: BotContext) -> Command | None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return None
    t = await translator(update, context)
    return Command(message, user, list(context.args or []), t)


async def private_command(update: Update, context: BotContext) -> Command | None:
    """The command, if sent in a private chat; in a group, explain and return None.

    Notes are personal: listing, searching or exporting them in a group would show them
    to everyone there.
    """
    found = await command(update, context)
    if found is None:
        return None
    if found.message.chat.type != ChatType.PRIVATE:
        await reply(found.message, found.t(messages.PRIVATE_ONLY))
        return None
    return found


def open_bot_button(text: str) -> InlineQueryResultsButton:
    """A line above inline results that opens the private chat with the bot: how an inline
    answer says "no notes", "private" or "sorry" (Telegram shows no text otherwise)."""
    return InlineQueryResultsButton(text=text, start_parameter=START_PARAMETER)
