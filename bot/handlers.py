"""Handlers for capture and review: photos in, buttons and retyped lines back."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from bot import messages
from bot.button_support import int_fields, refuse_stale
from bot.callbacks import InvalidCallback
from bot.delivery import edit_html, edit_text, send_reply
from bot.handler_support import command, reply, services
from bot.models import Line, Note, ReviewAction
from bot.pipeline import Services
from bot.review import RetypeRejected, clean_retype, clean_title
from bot.storage import JobRefused, LineAlreadyResolved, LineNotFound, NoteNotFound

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"})
ACTIONS = {"k": ReviewAction.KEEP, "r": ReviewAction.RETYPE, "d": ReviewAction.DROP}


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
        await send_reply(context.bot, message.chat_id, messages.duplicate_photo(existing))
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


async def _announce_if_complete(context: ContextTypes.DEFAULT_TYPE, note: Note) -> None:
    if note.is_complete:
        await send_reply(context.bot, note.chat_id, messages.note_complete(note))


async def on_review_button(
    query: CallbackQuery,
    context: ContextTypes.DEFAULT_TYPE,
    user_id: int,
    kind: str,
    fields: list[str],
) -> None:
    """Keep / Retype / Drop on a line under review."""
    svc = services(context)
    action = ACTIONS[kind]
    (line_id,) = int_fields(fields, 1)
    try:
        if action is ReviewAction.RETYPE:
            await svc.storage.await_retype(user_id, line_id)
            line = await svc.storage.get_line(user_id, line_id)
            assert line is not None
            await query.answer("Send me the correct text.")
            await edit_html(
                query.message, messages.retype_request(line), svc.keyboards.review(user_id, line)
            )
            return
        line, note = await svc.storage.resolve_line(user_id, line_id, action)
    except LineNotFound:
        await refuse_stale(query)
        return
    except LineAlreadyResolved as resolved:
        await query.answer(messages.ALREADY_RESOLVED)
        await edit_html(query.message, messages.review_done(resolved.args[0]))
        return
    log.info("event=line_reviewed user=%d line=%d action=%s", user_id, line_id, action)
    await query.answer("Kept." if action is ReviewAction.KEEP else "Dropped.")
    await edit_html(query.message, messages.review_done(line))
    await _announce_if_complete(context, note)


def _review_line_id(svc: Services, message: Message, user_id: int) -> int | None:
    """The line a review message asks about, read from its signed buttons (None if it has
    none, or they were not issued to this user)."""
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            try:
                kind, fields = svc.signer.decode(user_id, button.callback_data)
            except InvalidCallback:
                continue
            if kind in ACTIONS and fields and fields[0].isdigit():
                return int(fields[0])
    return None


async def _retype_target(svc: Services, message: Message, user_id: int) -> Line | None:
    """The line a text retypes: the one whose review message it replies to, else the one the
    user pressed Retype on."""
    replied = message.reply_to_message
    if replied is not None:
        line = await svc.storage.line_by_review_message(
            user_id, message.chat_id, replied.message_id
        )
        if line is None and (line_id := _review_line_id(svc, replied, user_id)) is not None:
            # Sent, but not yet (or, after a crash, never) recorded as the line's message.
            line = await svc.storage.get_line(user_id, line_id)
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
        renaming = await svc.storage.rename_target(user.id)
        if renaming is not None:
            await _rename(svc, message, user.id, renaming)
        else:
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
        await edit_text(
            context.bot, message.chat_id, line.review_message_id, messages.review_done(line)
        )
    await reply(message, f"✏️ Saved line {line.position + 1} of note #{note.id}.")
    await _announce_if_complete(context, note)


async def _rename(svc: Services, message: Message, user_id: int, note: Note) -> None:
    try:
        title = clean_title(message.text)
        note = await svc.storage.finish_rename(user_id, note.id, title)
    except RetypeRejected as rejected:
        await reply(message, messages.esc(str(rejected)))
        return
    except NoteNotFound:
        await reply(message, messages.NOTE_GONE)
        return
    log.info("event=note_renamed user=%d note=%d", user_id, note.id)
    await reply(message, messages.renamed(note))


async def on_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = command(update, context)
    if found is None:
        return
    waited = await services(context).storage.cancel_waits(found.user.id)
    await reply(
        found.message, messages.RETYPE_CANCELLED if waited else messages.NO_RETYPE_TO_CANCEL
    )


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message:
        await reply(update.effective_message, messages.UNKNOWN_COMMAND)


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
