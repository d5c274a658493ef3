"""What every command handler needs: replying in HTML, the command's parts, the private-chat
rule for personal data."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatType, ParseMode

from bot.domain import messages
from bot.telegram.context import BotContext


async def reply(
    message: Message, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> Message:
    return await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)


@dataclass(frozen=True)
class Command:
    """A command's message and sender, when both exist (channel posts have no sender)."""

    message: Message
    user: User
    args: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.args)


def command(update: Update, context: BotContext) -> Command | None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return None
    return Command(message, user, list(context.args or []))


async def private_command(update: Update, context: BotContext) -> Command | None:
    """The command, if sent in a private chat; in a group, explain and return None.

    Notes are personal: listing, searching or exporting them in a group would show them
    to everyone there.
    """
    found = command(update, context)
    if found is None:
        return None
    if found.message.chat.type != ChatType.PRIVATE:
        await reply(found.message, messages.PRIVATE_ONLY)
        return None
    return found
