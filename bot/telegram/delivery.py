"""Sending and editing the bot's messages: a wording fitted to Telegram's limits (several HTML
messages, then maybe a file, in order), and edits that count 'not modified' as done."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.domain.messages import Text
from bot.telegram.text import CAPTION_LIMIT, TELEGRAM_TEXT_LIMIT, fit, shorten_html

log = logging.getLogger(__name__)


async def edit_text(
    bot: Bot,
    chat_id: int,
    message_id: int,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
    *,
    caption: bool = False,
) -> bool:
    """Replace a bot message's HTML text (`caption`: a photo's caption). True if it now shows
    `text` (also when it already did: Telegram's 'not modified'); False if Telegram refused
    the edit (deleted, too old…), so the caller can send the text as a new message instead.

    A message that turns out to be a photo (a review prompt with its piece of the photo) has
    its caption edited instead. A text too long for one message or caption is shortened
    visibly ("…"), never refused.
    """
    try:
        if caption:
            await bot.edit_message_caption(
                chat_id=chat_id,
                message_id=message_id,
                caption=shorten_html(text, CAPTION_LIMIT),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
        else:
            await bot.edit_message_text(
                shorten_html(text, TELEGRAM_TEXT_LIMIT),
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
    except BadRequest as error:
        reason = str(error).lower()
        if "not modified" in reason:
            return True
        if not caption and "no text in the message" in reason:
            return await edit_text(bot, chat_id, message_id, text, keyboard, caption=True)
        log.info("event=edit_failed chat=%d message=%d error=%s", chat_id, message_id, error)
        return False
    return True


async def edit_html(
    message: Message | None, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> bool:
    """`edit_text` for a message at hand (e.g. the one a button was pressed on)."""
    if message is None:
        return False
    return await edit_text(
        message.get_bot(),
        message.chat_id,
        message.message_id,
        text,
        keyboard,
        caption=bool(message.photo),
    )


async def send_reply(
    bot: Bot,
    chat_id: int,
    text: Text,
    *,
    edit_message_id: int | None = None,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """Send every part; the first may replace an existing message (a status or a menu).

    The keyboard goes on the last text message, where the user's eye ends up.
    """
    reply = fit(text)
    last = len(reply.texts) - 1
    for index, part in enumerate(reply.texts):
        markup = keyboard if index == last else None
        if (
            index == 0
            and edit_message_id is not None
            and await edit_text(bot, chat_id, edit_message_id, part, markup)
        ):
            continue
        await bot.send_message(chat_id, part, parse_mode=ParseMode.HTML, reply_markup=markup)
    if reply.document is not None:
        await bot.send_document(chat_id, reply.document.content, filename=reply.document.filename)
