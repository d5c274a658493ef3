"""Fetching a user's file from Telegram by its file_id: getFile (retried by the rate limiter),
then the download itself, which bypasses the rate limiter and so is retried here."""

from __future__ import annotations

from telegram import Bot

from bot.domain.models import ImageFlaw
from bot.ocr.images.intake import ImageRejected
from bot.telegram.limits import with_retries


async def download(bot: Bot, file_id: str, max_bytes: int | None = None) -> bytes:
    """The file's bytes; ImageRejected(TOO_BIG_FILE) when Telegram says it is over `max_bytes`
    (checked before downloading it)."""
    telegram_file = await bot.get_file(file_id)
    if max_bytes is not None and telegram_file.file_size and telegram_file.file_size > max_bytes:
        raise ImageRejected(ImageFlaw.TOO_BIG_FILE)
    data = await with_retries(telegram_file.download_as_bytearray, "download")
    return bytes(data)
