"""Managing notes: `/notes` (a paged list), an opened note, renaming, deleting, and sending a
note's pending lines for review again."""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot.domain import messages
from bot.domain.i18n import Translator
from bot.domain.models import Note
from bot.domain.paging import Page
from bot.domain.review import TextRejected, clean_title
from bot.storage import AlreadyHandled, NoteNotFound
from bot.telegram.buttons import (
    Back,
    ButtonCodec,
    ButtonHandler,
    Kind,
    NoteRef,
    PageRef,
    Press,
    SearchRef,
)
from bot.telegram.chat import private_command, reply
from bot.telegram.context import BotContext, Services
from bot.telegram.delivery import send_reply
from bot.telegram.features.editor import edit_button
from bot.telegram.features.review import line_pieces, message_ref, send_review_prompts
from bot.telegram.features.search import search_page
from bot.telegram.text import CAPTION_LIMIT, shorten_html

log = logging.getLogger(__name__)

NOTES_PAGE = 5
_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only: '²'.isdigit() is True too


# --- keyboards ---


def notes_keyboard(
    buttons: ButtonCodec, user_id: int, t: Translator, notes: list[Note], page: Page
) -> InlineKeyboardMarkup:
    back = Back(page=page.number)
    rows = [
        [
            buttons.button(
                user_id, messages.note_button(t, note), Kind.OPEN_NOTE, NoteRef(note.id, back)
            )
        ]
        for note in notes
    ]
    pager = buttons.pager(user_id, t, page, Kind.NOTES_PAGE, PageRef)
    return InlineKeyboardMarkup([*rows, pager] if pager else rows)


def _back_button(
    buttons: ButtonCodec, user_id: int, t: Translator, back: Back
) -> InlineKeyboardButton:
    if back.search_id is not None:
        ref = SearchRef(back.search_id, back.page)
        return buttons.button(user_id, t(messages.BACK_TO_RESULTS), Kind.SEARCH_PAGE, ref)
    return buttons.button(user_id, t(messages.BACK_TO_NOTES), Kind.NOTES_PAGE, PageRef(back.page))


def note_keyboard(
    svc: Services, user_id: int, t: Translator, note: Note, back: Back
) -> InlineKeyboardMarkup:
    """An opened note's buttons (in the private chat: /notes is private-only)."""
    buttons = svc.buttons
    ref = NoteRef(note.id, back)
    rows = []
    edit = edit_button(svc.settings, t, note)
    if edit is not None:
        rows.append([edit])
    if note.pending_lines:
        rows.append(
            [buttons.button(user_id, t(messages.REVIEW_PENDING_BUTTON), Kind.REVIEW_AGAIN, ref)]
        )
    if note.pages:
        label = messages.SHOW_PHOTOS_BUTTON if len(note.pages) > 1 else messages.SHOW_PHOTO_BUTTON
        rows.append([buttons.button(user_id, t(label), Kind.SHOW_PAGES, ref)])
    rows.append(
        [
            buttons.button(user_id, t(messages.RENAME_BUTTON), Kind.RENAME, ref),
            buttons.button(user_id, t(messages.DELETE_BUTTON), Kind.ASK_DELETE, ref),
        ]
    )
    rows.append([_back_button(buttons, user_id, t, back)])
    return InlineKeyboardMarkup(rows)


def confirm_delete_keyboard(
    buttons: ButtonCodec, user_id: int, t: Translator, note: Note, back: Back
) -> InlineKeyboardMarkup:
    ref = NoteRef(note.id, back)
    confirm = t(messages.CONFIRM_DELETE_BUTTON)
    return InlineKeyboardMarkup(
        [
            [
                buttons.button(user_id, confirm, Kind.CONFIRM_DELETE, ref),
                buttons.button(user_id, t(messages.KEEP_NOTE_BUTTON), Kind.OPEN_NOTE, ref),
            ]
        ]
    )


# --- views ---


async def notes_page(
    svc: Services, user_id: int, t: Translator, number: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    page = Page.of(number, NOTES_PAGE, await svc.storage.notes.count(user_id))
    notes = await svc.storage.notes.page(user_id, limit=page.size, offset=page.offset)
    keyboard = notes_keyboard(svc.buttons, user_id, t, notes, page) if notes else None
    return messages.notes_list(t, notes, page), keyboard


async def _back_view(
    svc: Services, user_id: int, t: Translator, back: Back
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The list a note was opened from (notes page or search results), as (text, keyboard)."""
    if back.search_id is not None:
        view = await search_page(svc, user_id, t, back.search_id, back.page)
        if view is not None:
            return view
        return await notes_page(svc, user_id, t, 0)
    return await notes_page(svc, user_id, t, back.page)


async def _own_note(press: Press, context: BotContext) -> tuple[Note, NoteRef] | None:
    """The pressed button's note, or None after telling the user it is gone."""
    ref = press.args(NoteRef)
    note = await context.services.storage.notes.get(press.user_id, ref.note_id)
    if note is None:
        await press.refuse_stale(press.t(messages.NOTE_GONE))
        return None
    return note, ref


# --- handlers ---


async def on_notes(update: Update, context: BotContext) -> None:
    """`/notes` (or `/notes 3` for page 3): newest first, a page at a time."""
    found = await private_command(update, context)
    if found is None:
        return
    wanted = found.args[0] if found.args else ""
    number = int(wanted) - 1 if _PAGE_NUMBER.fullmatch(wanted) else 0
    text, keyboard = await notes_page(context.services, found.user.id, found.t, number)
    await reply(found.message, text, keyboard)


async def on_notes_page(press: Press, context: BotContext) -> None:
    page = press.args(PageRef).page
    text, keyboard = await notes_page(context.services, press.user_id, press.t, page)
    await press.show(text, keyboard)


async def on_open_note(press: Press, context: BotContext) -> None:
    found = await _own_note(press, context)
    if found is None:
        return
    note, ref = found
    await press.answer()
    await send_reply(
        context.bot,
        press.chat_id,
        messages.note_view(press.t, note),
        edit_message_id=press.message.message_id if press.message else None,
        keyboard=note_keyboard(context.services, press.user_id, press.t, note, ref.back),
    )


async def on_review_again(press: Press, context: BotContext) -> None:
    """Send fresh review messages for a note's pending lines (the old ones may be far up)."""
    found = await _own_note(press, context)
    if found is None:
        return
    note, _ = found
    svc = context.services
    await press.answer(messages.review_again(press.t, len(note.pending_lines)))
    await send_review_prompts(
        context.bot,
        svc.storage,
        svc.buttons,
        user_id=press.user_id,
        chat_id=press.chat_id,
        lines=note.pending_lines,
        t=press.t,
        pieces=await line_pieces(context.bot, svc.ocr, note, note.pending_lines),
    )


async def on_show_pages(press: Press, context: BotContext) -> None:
    """Send the note's photos again, by the file ids Telegram gave them (nothing is stored)."""
    found = await _own_note(press, context)
    if found is None:
        return
    note, _ = found
    await press.answer(press.t(messages.SENDING_PHOTOS))
    for number, page in enumerate(note.pages):
        caption = shorten_html(
            messages.page_caption(press.t, note, number, len(note.pages)), CAPTION_LIMIT
        )
        if page.as_file:
            await context.bot.send_document(
                press.chat_id, page.file_id, caption=caption, parse_mode=ParseMode.HTML
            )
        else:
            await context.bot.send_photo(
                press.chat_id, page.file_id, caption=caption, parse_mode=ParseMode.HTML
            )


async def on_rename(press: Press, context: BotContext) -> None:
    """The next text message becomes the note's title (see `finish_rename`)."""
    try:
        note = await context.services.storage.users.await_rename(
            press.user_id, press.args(NoteRef).note_id, press.chat_id
        )
    except NoteNotFound:
        await press.refuse_stale(press.t(messages.NOTE_GONE))
        return
    await press.answer(press.t(messages.SEND_TITLE))
    await context.bot.send_message(
        press.chat_id, messages.rename_prompt(press.t, note), parse_mode=ParseMode.HTML
    )


async def finish_rename(
    context: BotContext, message: Message, user_id: int, t: Translator, note: Note
) -> None:
    """The awaited title arrived: store it and confirm."""
    try:
        title = clean_title(message.text)
        note = await context.services.storage.finish_rename(
            user_id, note.id, title, source=message_ref(message)
        )
    except AlreadyHandled:
        log.info("event=message_already_handled user=%d note=%d", user_id, note.id)
        return
    except TextRejected as rejected:
        await reply(message, messages.esc(messages.refusal(t, rejected.reason)))
        return
    except NoteNotFound:
        await reply(message, t(messages.NOTE_GONE))
        return
    log.info("event=note_renamed user=%d note=%d", user_id, note.id)
    await reply(message, messages.renamed(t, note))


async def on_ask_delete(press: Press, context: BotContext) -> None:
    found = await _own_note(press, context)
    if found is None:
        return
    note, ref = found
    svc, t = context.services, press.t
    keyboard = confirm_delete_keyboard(svc.buttons, press.user_id, t, note, ref.back)
    await press.show(messages.confirm_delete(t, note), keyboard)


async def on_confirm_delete(press: Press, context: BotContext) -> None:
    svc, t = context.services, press.t
    ref = press.args(NoteRef)
    if not await svc.storage.delete_note(press.user_id, ref.note_id):
        await press.refuse_stale(t(messages.NOTE_GONE))
        return
    log.info("event=note_deleted user=%d note=%d", press.user_id, ref.note_id)
    text, keyboard = await _back_view(svc, press.user_id, t, ref.back)
    deleted = t(messages.NOTE_DELETED)
    await press.show(f"{deleted}\n\n{text}", keyboard, toast=deleted)


BUTTONS: dict[Kind, ButtonHandler] = {
    Kind.NOTES_PAGE: on_notes_page,
    Kind.OPEN_NOTE: on_open_note,
    Kind.REVIEW_AGAIN: on_review_again,
    Kind.SHOW_PAGES: on_show_pages,
    Kind.RENAME: on_rename,
    Kind.ASK_DELETE: on_ask_delete,
    Kind.CONFIRM_DELETE: on_confirm_delete,
}
