"""Telegram handlers: thin glue between updates and the review/storage/pipeline logic."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot import messages
from bot.callbacks import InvalidCallback
from bot.models import Line, Note, ReviewAction
from bot.pipeline import Services, review_keyboard
from bot.review import RetypeRejected, clean_retype
from bot.search_query import build_fts_query
from bot.storage import JobRefused, LineAlreadyResolved, LineNotFound

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"})
ACTIONS = {"k": ReviewAction.KEEP, "r": ReviewAction.RETYPE, "d": ReviewAction.DROP}
SEARCH_PAGE = 5


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


async def reply(message: Message, text: str) -> None:
    await message.reply_text(text, parse_mode=ParseMode.HTML)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message:
        await reply(update.effective_message, messages.HELP)


def _is_image_document(message: Message) -> bool:
    document = message.document
    if document is None:
        return False
    mime = (document.mime_type or "").lower()
    name = (document.file_name or "").lower()
    return mime.startswith("image/") or any(name.endswith(ext) for ext in IMAGE_EXTENSIONS)


async def on_image(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Persist the photo as a job (durable from here on) and hand it to the pipeline."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services(context)
    if message.photo:
        media = message.photo[-1]  # Telegram lists sizes smallest first
    elif _is_image_document(message):
        media = message.document
    else:
        await reply(message, messages.NOT_AN_IMAGE)
        return
    if media.file_size is not None and media.file_size > svc.settings.max_file_bytes:
        await reply(message, messages.TOO_BIG)
        return
    existing = await svc.storage.find_note_by_file(user.id, media.file_unique_id)
    if existing is not None:
        await reply(message, messages.duplicate_photo(existing))
        return
    try:
        job = await svc.storage.create_job(
            user_id=user.id,
            chat_id=message.chat_id,
            message_id=message.message_id,
            file_id=media.file_id,
            file_unique_id=media.file_unique_id,
            file_size=media.file_size,
            max_per_user=svc.settings.max_pending_per_user,
            max_total=svc.settings.max_queue,
            media_group_id=message.media_group_id,
            caption=message.caption,
        )
    except JobRefused as refused:
        log.info("event=job_refused user=%d reason=%s", user.id, refused.reason)
        await reply(message, messages.job_refused(refused.reason, svc.settings))
        return
    log.info("event=job_created job=%d user=%d", job.id, user.id)
    svc.pipeline.submit(job)


async def on_unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message:
        await reply(update.effective_message, messages.UNSUPPORTED_MESSAGE)


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.edited_message:
        await update.edited_message.reply_text(messages.EDITED_IGNORED)


async def _edit(message: Message | None, text: str, keyboard=None) -> None:
    """Edit a bot message, tolerating 'not modified' and messages Telegram can't edit."""
    if message is None:
        return
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    except BadRequest as error:
        log.info("event=edit_failed error=%s", error)


async def _announce_if_complete(context: ContextTypes.DEFAULT_TYPE, note: Note) -> None:
    if note.is_complete:
        await context.bot.send_message(
            note.chat_id, messages.note_complete(note), parse_mode=ParseMode.HTML
        )


async def on_review_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    svc = services(context)
    try:
        kind, fields = svc.signer.decode(user.id, query.data)
        action = ACTIONS[kind]
        line_id = int(fields[0])
    except InvalidCallback as invalid:
        log.warning("event=callback_refused user=%d reason=%s", user.id, invalid.reason)
        if invalid.reason == "forged":
            await query.answer(messages.NOT_YOURS, show_alert=True)
        else:
            await query.answer(messages.STALE_BUTTON, show_alert=True)
            await _edit(query.message, query.message.text_html if query.message else "")
        return
    except (KeyError, IndexError, ValueError):
        await query.answer(messages.STALE_BUTTON, show_alert=True)
        return

    try:
        if action is ReviewAction.RETYPE:
            await svc.storage.await_retype(user.id, line_id)
            line = await svc.storage.get_line(user.id, line_id)
            assert line is not None
            await query.answer("Send me the correct text.")
            await _edit(
                query.message,
                messages.retype_request(line),
                review_keyboard(svc.signer, user.id, line),
            )
            return
        line, note = await svc.storage.resolve_line(user.id, line_id, action)
    except LineNotFound:
        await query.answer(messages.STALE_BUTTON, show_alert=True)
        await _edit(query.message, query.message.text_html if query.message else "")
        return
    except LineAlreadyResolved as resolved:
        await query.answer(messages.ALREADY_RESOLVED)
        await _edit(query.message, messages.review_done(resolved.args[0]))
        return
    log.info("event=line_reviewed user=%d line=%d action=%s", user.id, line_id, action)
    await query.answer("Kept." if action is ReviewAction.KEEP else "Dropped.")
    await _edit(query.message, messages.review_done(line))
    await _announce_if_complete(context, note)


async def _retype_target(svc: Services, message: Message, user_id: int) -> Line | None:
    replied = message.reply_to_message
    if replied is not None:
        line = await svc.storage.line_by_review_message(
            user_id, message.chat_id, replied.message_id
        )
        if line is not None:
            return line
    return await svc.storage.retype_target(user_id)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain text message is a retyped line, if one is awaited (or it replies to one)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services(context)
    line = await _retype_target(svc, message, user.id)
    if line is None:
        await reply(message, messages.NOTHING_TO_RETYPE)
        return
    try:
        text = clean_retype(message.text)
        line, note = await svc.storage.resolve_line(user.id, line.id, ReviewAction.RETYPE, text)
    except RetypeRejected as rejected:
        await reply(message, messages.esc(str(rejected)))
        return
    except LineAlreadyResolved as resolved:
        await reply(message, messages.review_done(resolved.args[0]))
        return
    except LineNotFound:
        await reply(message, messages.NOTHING_TO_RETYPE)
        return
    log.info("event=line_reviewed user=%d line=%d action=retype", user.id, line.id)
    if line.review_message_id is not None:
        try:
            await context.bot.edit_message_text(
                messages.review_done(line),
                chat_id=message.chat_id,
                message_id=line.review_message_id,
                parse_mode=ParseMode.HTML,
            )
        except BadRequest as error:
            log.info("event=edit_failed error=%s", error)
    await reply(message, f"✏️ Saved line {line.position + 1} of note #{note.id}.")
    await _announce_if_complete(context, note)


async def on_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services(context)
    waiting = await svc.storage.retype_target(user.id)
    await svc.storage.cancel_retype(user.id)
    await reply(message, messages.RETYPE_CANCELLED if waiting else messages.NO_RETYPE_TO_CANCEL)


async def on_search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if message.chat.type != ChatType.PRIVATE:
        await reply(message, messages.SEARCH_PRIVATE_ONLY)
        return
    svc = services(context)
    words = " ".join(context.args or [])
    fts_query = build_fts_query(words)
    if fts_query is None:
        await reply(message, messages.SEARCH_USAGE)
        return
    hits = await svc.storage.search(user.id, fts_query, limit=SEARCH_PAGE)
    total = await svc.storage.count_search(user.id, fts_query) if hits else 0
    await reply(message, messages.search_results(words, hits, total))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log with a traceback and tell the user politely; the bot keeps running."""
    log.error("event=handler_error", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(
                update.effective_chat.id, "Sorry, something went wrong. Please try again."
            )
        except Exception:  # the error report itself must never raise
            log.warning("event=error_reply_failed", exc_info=True)
