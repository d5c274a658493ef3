"""Sending a `messages.Reply`: several HTML messages, then maybe a file, in order."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.messages import Reply

log = logging.getLogger(__name__)


async def edit_html(message: Message | None, text: str, keyboard=None) -> bool:
    """Edit a bot message, tolerating 'not modified' and messages Telegram can't edit."""
    if message is None:
        return False
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    except BadRequest as error:
        log.info("event=edit_failed error=%s", error)
        return "not modified" in str(error).lower()
    return True


async def send_reply(
    bot: Bot,
    chat_id: int,
    reply: Reply,
    *,
    edit_message_id: int | None = None,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """Send every part; the first may replace an existing message (a status or a menu).

    The keyboard goes on the last text message, where the user's eye ends up.
    """
    last = len(reply.texts) - 1
    for index, text in enumerate(reply.texts):
        markup = keyboard if index == last else None
        if index == 0 and edit_message_id is not None:
            try:
                await bot.edit_message_text(
                    text,
                    chat_id=chat_id,
                    message_id=edit_message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
                continue
            except BadRequest as error:
                if "not modified" in str(error).lower():
                    continue
                log.info("event=edit_failed error=%s", error)
        await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
    if reply.document is not None:
        await bot.send_document(chat_id, reply.document.content, filename=reply.document.filename)
