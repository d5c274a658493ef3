"""Photos in: a photo, an image sent as a file, or an album's pages become durable jobs that
the photo pipeline reads (`bot.telegram.pipeline`)."""

from __future__ import annotations

import logging

from telegram import Document, Message, PhotoSize, Update

from bot.domain import messages
from bot.domain.models import JobStatus
from bot.storage import JobRefused
from bot.telegram.chat import translator
from bot.telegram.context import BotContext
from bot.telegram.delivery import send_reply
from bot.telegram.features.editor import edit_keyboard
from bot.telegram.refusals import reply_to

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"})


def _is_image_document(document: Document | None) -> bool:
    if document is None:
        return False
    mime = (document.mime_type or "").lower()
    name = (document.file_name or "").lower()
    return mime.startswith("image/") or any(name.endswith(ext) for ext in IMAGE_EXTENSIONS)


def _image_of(message: Message) -> PhotoSize | Document | None:
    if message.photo:
        return message.photo[-1]  # Telegram lists sizes smallest first
    if _is_image_document(message.document):
        return message.document
    return None


async def on_image(update: Update, context: BotContext) -> None:
    """Persist the photo as a job (durable from here on) and hand it to the pipeline."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = context.services
    received = await svc.storage.jobs.by_message(message.chat_id, message.message_id)
    if received is not None:  # the same update again (after a crash, or a webhook retry)
        log.info("event=photo_redelivered job=%d user=%d", received.id, user.id)
        if received.status is JobStatus.QUEUED:
            svc.pipeline.submit(received)  # a no-op if it is already on its way
        return
    t = await translator(update, context)
    media = _image_of(message)
    if media is None:
        await reply_to(message, t(messages.NOT_AN_IMAGE))
        return
    if media.file_size is not None and media.file_size > svc.settings.max_file_bytes:
        await reply_to(message, t(messages.TOO_BIG))
        return
    existing = await svc.storage.notes.find_by_file(user.id, media.file_unique_id)
    if existing is not None:
        keyboard = edit_keyboard(svc.settings, t, existing, message.chat_id)
        await send_reply(
            context.bot, message.chat_id, messages.duplicate_photo(t, existing), keyboard=keyboard
        )
        return
    try:
        job = await svc.storage.jobs.create(
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
            as_file=not message.photo,
            locale=t.code,
        )
    except JobRefused as refused:
        log.info("event=job_refused user=%d reason=%s", user.id, refused.reason)
        reason, max_pending = refused.reason, svc.settings.max_pending_per_user
        if reason == "duplicate":  # the same photo is being read: its answer is on its way
            await reply_to(message, messages.job_refused(t, reason, max_pending))
            return
        await svc.refused_photos.refuse(  # too many waiting: resend later; one notice a burst
            message,
            user.id,
            reason,
            lambda count: messages.photos_refused(t, reason, count, max_pending),
        )
        return
    log.info("event=job_created job=%d user=%d", job.id, user.id)
    svc.pipeline.submit(job)
