"""Who the bot listens to: the optional allowlist, and group messages addressed to it."""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler, filters

from bot.domain import messages
from bot.domain.i18n import Catalogs
from bot.telegram.chat import INLINE_CACHE_S, open_bot_button
from bot.telegram.context import BotContext


class AddressedToBot(filters.MessageFilter):
    """In groups, only messages that mention the bot or reply to one of its messages."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return True
        mention = f"@{bot.username}".lower() if bot.username else None
        mentioned = [
            *message.parse_entities([MessageEntity.MENTION]).values(),
            *message.parse_caption_entities([MessageEntity.MENTION]).values(),
        ]
        return mention is not None and any(text.lower() == mention for text in mentioned)


ADDRESSED = AddressedToBot()


def allowlist_guard(allowed: frozenset[int]) -> BaseHandler[Update, BotContext, None]:
    """A handler for group -1 that stops updates from users not on the allowlist."""

    async def guard(update: Update, context: BotContext) -> None:
        user = update.effective_user
        if not allowed or (user is not None and user.id in allowed):
            return
        # Nothing of theirs is stored: their Telegram language is all there is to go by.
        catalogs = context.bot_data.catalogs or Catalogs.english_only()
        t = catalogs.choose(None, user.language_code if user else None)
        if update.callback_query is not None:
            await update.callback_query.answer(t(messages.NOT_ALLOWED), show_alert=True)
        elif update.inline_query is not None:
            await update.inline_query.answer(
                [],
                is_personal=True,
                cache_time=INLINE_CACHE_S,
                button=open_bot_button(t(messages.NOT_ALLOWED)),
            )
        elif (
            update.effective_message is not None
            and update.effective_chat is not None
            and update.effective_chat.type == ChatType.PRIVATE
        ):
            await update.effective_message.reply_text(t(messages.NOT_ALLOWED))
        raise ApplicationHandlerStop

    return TypeHandler(Update, guard)
