"""What is not a feature of its own: /help, /cancel, unknown commands, messages the bot can't
use, edits, and the error handler that keeps the bot up."""

from __future__ import annotations

import logging

from telegram import Update

from bot.domain import messages
from bot.domain.i18n import ENGLISH
from bot.telegram.chat import command, open_bot_button, reply, translator
from bot.telegram.context import BotContext

log = logging.getLogger(__name__)


async def on_help(update: Update, context: BotContext) -> None:
    if update.effective_message:
        t = await translator(update, context)
        await reply(update.effective_message, messages.help_text(t, context.bot.username))


async def on_cancel(update: Update, context: BotContext) -> None:
    """Stop waiting for a retyped line or a new title."""
    found = await command(update, context)
    if found is None:
        return
    waited = await context.services.storage.users.cancel_waits(found.user.id)
    answer = messages.RETYPE_CANCELLED if waited else messages.NO_RETYPE_TO_CANCEL
    await reply(found.message, found.t(answer))


async def on_unsupported(update: Update, context: BotContext) -> None:
    if update.effective_message:
        t = await translator(update, context)
        await reply(update.effective_message, t(messages.UNSUPPORTED_MESSAGE))


async def on_edited(update: Update, context: BotContext) -> None:
    if update.edited_message:
        t = await translator(update, context)
        await update.edited_message.reply_text(t(messages.EDITED_IGNORED))


async def on_unknown_command(update: Update, context: BotContext) -> None:
    if update.effective_message:
        t = await translator(update, context)
        await reply(update.effective_message, t(messages.UNKNOWN_COMMAND))


async def on_error(update: object, context: BotContext) -> None:
    """Log with a traceback and tell the user politely; the bot keeps running."""
    log.error("event=handler_error", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        t = await translator(update, context)
    except RuntimeError:  # the services are not running (start-up or shutdown)
        t = ENGLISH
    sorry = t(messages.SOMETHING_WENT_WRONG)
    try:
        if update.inline_query is not None:  # no chat to write to: a line above the results
            button = open_bot_button(sorry)
            await update.inline_query.answer([], is_personal=True, cache_time=0, button=button)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, sorry)
    except Exception:  # the error report itself must never raise
        log.warning("event=error_reply_failed", exc_info=True)
