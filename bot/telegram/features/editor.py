"""The Mini App editor, Telegram's side: the Edit button on note messages in private chats,
the photos the page shows (downloaded by file_id), and what the chat gets after a save.

After a save is committed, its review prompts are edited to say how the editor settled their
lines (buttons removed) and the note is sent, complete or with what still needs a check. The
save's record in storage goes once that is done; one left by a crash is done at the next start
(`resume`). Editing a prompt twice shows the same text; the note's message is what a kill at
the wrong millisecond can repeat, as with every message (README, "What is not promised").
"""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.config import Settings
from bot.domain import messages
from bot.domain.i18n import Catalogs, Translator
from bot.domain.models import Note
from bot.ocr.images.intake import ImageRejected
from bot.storage import Storage
from bot.storage.editor import EditorSave, Saved
from bot.telegram.buttons import ButtonCodec, Kind, NoteRef
from bot.telegram.delivery import edit_text, send_reply
from bot.telegram.files import download
from bot.telegram.limits import is_transient
from bot.web.page_images import PageUnavailable

log = logging.getLogger(__name__)


def edit_url(webapp_url: str, note_id: int) -> str:
    return f"{webapp_url}?note={note_id}"


def edit_button(settings: Settings, t: Translator, note: Note) -> InlineKeyboardButton | None:
    """The Edit button for a note shown in its owner's private chat (Telegram allows web_app
    buttons there only; a private chat's id is the user's); None without WEBAPP_URL."""
    if not settings.webapp_url:
        return None
    return InlineKeyboardButton(
        t(messages.EDIT_BUTTON), web_app=WebAppInfo(edit_url(settings.webapp_url, note.id))
    )


async def offer_editor(
    bot: Bot, settings: Settings, buttons: ButtonCodec, t: Translator, note: Note, chat_id: int
) -> bool:
    """For a note with more flagged lines than REVIEW_PROMPTS_MAX, in its owner's private chat,
    one message with the Edit button (and Review pending lines, which sends the prompts)
    instead of a prompt per line; True if it was sent. Groups keep their prompts: Telegram
    allows web_app buttons only in private chats."""
    edit = edit_button(settings, t, note) if chat_id == note.user_id else None
    if edit is None or len(note.pending_lines) <= settings.review_prompts_max:
        return False
    prompts = buttons.button(
        note.user_id, t(messages.REVIEW_PENDING_BUTTON), Kind.REVIEW_AGAIN, NoteRef(note.id)
    )
    keyboard = InlineKeyboardMarkup([[edit], [prompts]])
    await bot.send_message(
        chat_id,
        messages.lines_need_a_look(t, note),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )
    return True


def edit_keyboard(
    settings: Settings, t: Translator, note: Note, chat_id: int
) -> InlineKeyboardMarkup | None:
    """A keyboard holding only the Edit button, for a note message sent to `chat_id`."""
    button = edit_button(settings, t, note) if chat_id == note.user_id else None
    return InlineKeyboardMarkup([[button]]) if button is not None else None


class EditorChat:
    """What the web server asks of the bot for the editor (`bot.web.server.BotSide`)."""

    def __init__(self, bot: Bot, storage: Storage, settings: Settings, catalogs: Catalogs) -> None:
        self._bot = bot
        self._storage = storage
        self._settings = settings
        self._catalogs = catalogs

    async def fetch_file(self, file_id: str) -> bytes:
        try:
            return await download(self._bot, file_id, self._settings.max_file_bytes)
        except (TelegramError, ImageRejected) as error:
            raise PageUnavailable(str(error)) from None

    async def after_save(self, saved: Saved) -> None:
        await self._settle(saved.save)

    async def resume(self) -> int:
        """The chat's side of saves a stop interrupted; returns how many."""
        saves = await self._storage.unfinished_saves()
        for save in saves:
            await self._settle(save)
        return len(saves)

    async def _settle(self, save: EditorSave) -> None:
        try:
            await self._tell(save)
        except TelegramError as error:
            if is_transient(error):  # after the retries: the next start tries again
                log.warning("event=editor_chat_failed save=%d error=%s", save.id, error)
                return
            # The chat refuses for good (the bot was blocked, the chat is gone): the note is
            # saved all the same, and asking again would meet the same answer.
            log.warning("event=editor_chat_refused save=%d error=%s", save.id, error)
        await self._storage.finish_save(save.id)

    async def _tell(self, save: EditorSave) -> None:
        note = await self._storage.notes.get(save.user_id, save.note_id)
        if note is None:  # deleted since: its prompts went with it, nothing to say
            return
        t = self._catalogs.get(save.locale)
        lines = {line.id: line for line in note.lines}
        for prompt in save.closed_prompts:
            line = lines.get(prompt.line_id)
            if line is not None:
                text = messages.closed_in_editor(t, line)
                await edit_text(self._bot, note.chat_id, prompt.message_id, text)
        private = note.user_id  # the editor was opened from the private chat
        keyboard = edit_keyboard(self._settings, t, note, private)
        await send_reply(self._bot, private, messages.saved_in_editor(t, note), keyboard=keyboard)
        log.info("event=editor_chat_done save=%d note=%d", save.id, note.id)
