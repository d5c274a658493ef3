"""A plain text message: the retyped line or the new title the bot is waiting for, else a
polite pointer to what the bot does."""

from __future__ import annotations

from telegram import Update

from bot.domain import messages
from bot.telegram.chat import reply, translator
from bot.telegram.context import BotContext
from bot.telegram.features.notes import finish_rename
from bot.telegram.features.review import retype, retype_target


async def on_text(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = context.services
    t = await translator(update, context)
    line = await retype_target(svc, message, user.id)
    if line is not None:
        await retype(context, message, user.id, t, line)
        return
    renaming = await svc.storage.users.rename_target(user.id, message.chat_id)
    if renaming is not None:
        await finish_rename(context, message, user.id, t, renaming)
        return
    await reply(message, t(messages.NOTHING_TO_RETYPE))
