"""Handlers for managing notes: list, open, rename, delete, search, export, forget."""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from telegram import CallbackQuery, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import messages
from bot.button_support import BadFields, int_fields, refuse_stale
from bot.delivery import edit_html, send_reply
from bot.export import ExportFormat, fit_for_upload, write_export
from bot.handler_support import private_command, reply, services
from bot.paging import Page
from bot.pipeline import Services
from bot.search_query import build_fts_query
from bot.storage import NoteNotFound

log = logging.getLogger(__name__)

NOTES_PAGE = 5
SEARCH_PAGE = 5


# --- /notes and the note view ---


async def _notes_page(svc: Services, user_id: int, number: int):
    page = Page.of(number, NOTES_PAGE, await svc.storage.count_notes(user_id))
    notes = await svc.storage.list_notes(user_id, limit=page.size, offset=page.offset)
    keyboard = svc.keyboards.notes_list(user_id, notes, page) if notes else None
    return messages.notes_list(notes, page), keyboard


async def on_notes(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/notes` (or `/notes 3` for page 3): newest first, a page at a time."""
    found = await private_command(update, context)
    if found is None:
        return
    number = int(found.args[0]) - 1 if found.args and found.args[0].isdigit() else 0
    text, keyboard = await _notes_page(services(context), found.user.id, number)
    await reply(found.message, text, keyboard)


async def on_notes_page(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, user_id: int, kind: str, fields
) -> None:
    (number,) = int_fields(fields, 1)
    text, keyboard = await _notes_page(services(context), user_id, number)
    await query.answer()
    await edit_html(query.message, text, keyboard)


async def _back_view(svc: Services, user_id: int, back: str):
    """The list a note was opened from (notes page or search results), as (text, keyboard)."""
    kind, *fields = back.split(".")
    if kind == "sp" and len(fields) == 2:
        search_id, number = int_fields(fields, 2)
        view = await _search_page(svc, user_id, search_id, number)
        if view is not None:
            return view
    number = int_fields(fields, 1)[0] if fields else 0
    return await _notes_page(svc, user_id, number)


async def on_open_note(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, user_id: int, kind: str, fields
) -> None:
    svc = services(context)
    (note_id,) = int_fields(fields, 1)
    back = fields[1] if len(fields) > 1 else "nl.0"
    note = await svc.storage.get_note(user_id, note_id)
    if note is None:
        await refuse_stale(query, messages.NOTE_GONE)
        return
    await query.answer()
    await send_reply(
        context.bot,
        query.message.chat.id,
        messages.note_view(note),
        edit_message_id=query.message.message_id,
        keyboard=svc.keyboards.note_view(user_id, note, back),
    )


async def on_review_again(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, user_id: int, kind: str, fields
) -> None:
    """Send fresh review messages for a note's pending lines (the old ones may be far up)."""
    svc = services(context)
    (note_id,) = int_fields(fields, 1)
    note = await svc.storage.get_note(user_id, note_id)
    if note is None:
        await refuse_stale(query, messages.NOTE_GONE)
        return
    await query.answer(messages.review_again(len(note.pending_lines)))
    for line in note.pending_lines:
        sent = await context.bot.send_message(
            query.message.chat.id,
            messages.review_prompt(line),
            parse_mode=ParseMode.HTML,
            reply_markup=svc.keyboards.review(user_id, line),
        )
        await svc.storage.set_review_message(user_id, line.id, sent.message_id)


async def on_rename(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, user_id: int, kind: str, fields
) -> None:
    (note_id,) = int_fields(fields, 1)
    try:
        note = await services(context).storage.await_rename(user_id, note_id)
    except NoteNotFound:
        await refuse_stale(query, messages.NOTE_GONE)
        return
    await query.answer("Send me the new title.")
    await context.bot.send_message(
        query.message.chat.id, messages.rename_prompt(note), parse_mode=ParseMode.HTML
    )


async def on_ask_delete(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, user_id: int, kind: str, fields
) -> None:
    svc = services(context)
    (note_id,) = int_fields(fields, 1)
    back = fields[1] if len(fields) > 1 else "nl.0"
    note = await svc.storage.get_note(user_id, note_id)
    if note is None:
        await refuse_stale(query, messages.NOTE_GONE)
        return
    await query.answer()
    await edit_html(
        query.message,
        messages.confirm_delete(note),
        svc.keyboards.confirm_delete(user_id, note, back),
    )


async def on_confirm_delete(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, user_id: int, kind: str, fields
) -> None:
    svc = services(context)
    (note_id,) = int_fields(fields, 1)
    back = fields[1] if len(fields) > 1 else "nl.0"
    deleted = await svc.storage.delete_note(user_id, note_id)
    if not deleted:
        await refuse_stale(query, messages.NOTE_GONE)
        return
    log.info("event=note_deleted user=%d note=%d", user_id, note_id)
    await query.answer(messages.NOTE_DELETED)
    text, keyboard = await _back_view(svc, user_id, back)
    await edit_html(query.message, f"{messages.NOTE_DELETED}\n\n{text}", keyboard)


# --- /search ---


async def _search_page(svc: Services, user_id: int, search_id: int, number: int):
    """A page of a saved search as (text, keyboard), or None if the search has expired."""
    words = await svc.storage.saved_search(user_id, search_id)
    fts_query = build_fts_query(words) if words else None
    if words is None or fts_query is None:
        return None
    total = await svc.storage.count_search(user_id, fts_query)
    page = Page.of(number, SEARCH_PAGE, total)
    hits = await svc.storage.search(user_id, fts_query, limit=page.size, offset=page.offset)
    keyboard = (
        svc.keyboards.search_results(user_id, [hit.note_id for hit in hits], search_id, page)
        if hits
        else None
    )
    return messages.search_results(words, hits, page), keyboard


async def on_search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await private_command(update, context)
    if found is None:
        return
    svc = services(context)
    if build_fts_query(found.text) is None:
        await reply(found.message, messages.SEARCH_USAGE)
        return
    search_id = await svc.storage.save_search(found.user.id, found.text)
    view = await _search_page(svc, found.user.id, search_id, 0)
    assert view is not None  # just saved, and the query is valid
    await reply(found.message, *view)


async def on_search_page(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, user_id: int, kind: str, fields
) -> None:
    search_id, number = int_fields(fields, 2)
    view = await _search_page(services(context), user_id, search_id, number)
    if view is None:
        await refuse_stale(query, messages.SEARCH_EXPIRED)
        return
    await query.answer()
    await edit_html(query.message, *view)


# --- /export ---


async def _send_export(
    context: ContextTypes.DEFAULT_TYPE, svc: Services, user_id: int, chat_id: int, fmt
) -> str:
    """Write all the user's notes to a temporary file and send it; returns the outcome text."""
    if await svc.storage.count_notes(user_id) == 0:
        return messages.EXPORT_EMPTY
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="notes-export-") as folder:
        path = Path(folder) / f"notes-{now:%Y-%m-%d}.{fmt.value}"
        with path.open("w", encoding="utf-8") as out:
            count = await write_export(svc.storage.iter_notes(user_id), fmt, out, exported_at=now)
        upload = fit_for_upload(path)
        if upload is None:
            return messages.EXPORT_TOO_BIG
        caption = messages.export_caption(count, fmt.label, zipped=upload != path)
        log.info(
            "event=export user=%d notes=%d format=%s bytes=%d",
            user_id,
            count,
            fmt.value,
            upload.stat().st_size,
        )
        await context.bot.send_document(
            chat_id,
            upload,
            filename=upload.name,
            caption=caption,
            read_timeout=120,
            write_timeout=120,
        )
        return caption


async def on_export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/export` asks for a format; `/export md|txt|json` sends at once."""
    found = await private_command(update, context)
    if found is None:
        return
    svc = services(context)
    choice = found.text.strip().lower().lstrip(".")
    fmt = next((f for f in ExportFormat if choice in (f.value, f.label.lower())), None)
    if fmt is None:
        await reply(
            found.message, messages.EXPORT_CHOOSE, svc.keyboards.export_formats(found.user.id)
        )
        return
    outcome = await _send_export(context, svc, found.user.id, found.message.chat_id, fmt)
    if outcome == messages.EXPORT_EMPTY or outcome == messages.EXPORT_TOO_BIG:
        await reply(found.message, outcome)


async def on_export_format(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, user_id: int, kind: str, fields
) -> None:
    try:
        fmt = ExportFormat(fields[0] if fields else "")
    except ValueError:
        raise BadFields(fields) from None
    await query.answer("Preparing your file…")
    await edit_html(query.message, f"📦 Exporting your notes as {fmt.label}…")
    outcome = await _send_export(context, services(context), user_id, query.message.chat.id, fmt)
    await edit_html(query.message, outcome)


# --- /forget ---


async def on_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await private_command(update, context)
    if found is None:
        return
    svc = services(context)
    notes = await svc.storage.count_notes(found.user.id)
    await reply(
        found.message, messages.confirm_forget(notes), svc.keyboards.confirm_forget(found.user.id)
    )


async def on_forget_confirmed(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, user_id: int, kind: str, fields
) -> None:
    svc = services(context)
    svc.pipeline.forget_user(user_id)
    notes = await svc.storage.delete_user_data(user_id)
    log.info("event=user_forgotten user=%d notes=%d", user_id, notes)
    await query.answer("Deleted.")
    await edit_html(query.message, messages.forgotten(notes))


async def on_forget_declined(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, user_id: int, kind: str, fields
) -> None:
    await query.answer()
    await edit_html(query.message, messages.FORGET_KEPT)
