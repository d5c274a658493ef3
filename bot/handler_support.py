"""What every handler needs: the shared services, replying in HTML, the private-chat rule."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes

from bot import messages
from bot.pipeline import Services


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


async def reply(message: Message, text: str, keyboard=None) -> Message:
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


def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Command | None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return None
    return Command(message, user, list(context.args or []))


async def private_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Command | None:
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
