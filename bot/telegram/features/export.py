"""`/export`: all the user's notes as one file (Markdown, plain text or JSON)."""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from telegram import InlineKeyboardMarkup, Update

from bot.domain import messages
from bot.domain.export import ExportFormat, fit_for_upload, write_export
from bot.domain.i18n import Translator
from bot.telegram.buttons import ButtonCodec, ButtonHandler, Choice, InvalidButton, Kind, Press
from bot.telegram.chat import private_command, reply
from bot.telegram.context import BotContext
from bot.telegram.delivery import edit_html

log = logging.getLogger(__name__)


def formats_keyboard(buttons: ButtonCodec, user_id: int, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                buttons.button(user_id, fmt.label(t), Kind.EXPORT, Choice(fmt.value))
                for fmt in ExportFormat
            ]
        ]
    )


async def _send_export(
    context: BotContext, user_id: int, chat_id: int, fmt: ExportFormat, t: Translator
) -> tuple[bool, str]:
    """Write all the user's notes to a temporary file and send it.

    Returns (sent, text): the file's caption when it was sent, else why not.
    """
    storage = context.services.storage
    if await storage.notes.count(user_id) == 0:
        return False, t(messages.EXPORT_EMPTY)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="notes-export-") as folder:
        path = Path(folder) / f"notes-{now:%Y-%m-%d}.{fmt.value}"
        with path.open("w", encoding="utf-8") as out:
            count = await write_export(storage.notes.every(user_id), fmt, out, exported_at=now, t=t)
        upload = fit_for_upload(path)
        if upload is None:
            return False, t(messages.EXPORT_TOO_BIG)
        caption = messages.export_caption(t, count, fmt.label(t), zipped=upload != path)
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
        return True, caption


async def on_export(update: Update, context: BotContext) -> None:
    """`/export` asks for a format; `/export md|txt|json` sends at once."""
    found = await private_command(update, context)
    if found is None:
        return
    fmt = ExportFormat.named(found.text, found.t)
    if fmt is None:
        keyboard = formats_keyboard(context.services.buttons, found.user.id, found.t)
        await reply(found.message, found.t(messages.EXPORT_CHOOSE), keyboard)
        return
    sent, text = await _send_export(context, found.user.id, found.message.chat_id, fmt, found.t)
    if not sent:
        await reply(found.message, text)


async def on_export_format(press: Press, context: BotContext) -> None:
    try:
        fmt = ExportFormat(press.args(Choice).value)
    except ValueError:
        raise InvalidButton("fields") from None
    t = press.t
    await press.show(messages.exporting(t, fmt.label(t)), toast=t(messages.PREPARING_EXPORT))
    _, text = await _send_export(context, press.user_id, press.chat_id, fmt, t)
    await edit_html(press.message, text)


BUTTONS: dict[Kind, ButtonHandler] = {Kind.EXPORT: on_export_format}
