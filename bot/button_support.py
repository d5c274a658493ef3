"""Helpers for inline-button handlers: field parsing and the polite 'stale button' answer."""

from __future__ import annotations

from telegram import CallbackQuery

from bot import messages
from bot.delivery import edit_html


class BadFields(ValueError):
    """Signed data whose fields don't fit its kind (only an older bot version makes these)."""


def int_fields(fields: list[str], count: int) -> list[int]:
    if len(fields) < count:
        raise BadFields(fields)
    try:
        return [int(field) for field in fields[:count]]
    except ValueError:
        raise BadFields(fields) from None


async def refuse_stale(query: CallbackQuery, text: str = messages.STALE_BUTTON) -> None:
    """Say the button no longer works and take the keyboard off its message."""
    await query.answer(text, show_alert=True)
    if query.message is not None and hasattr(query.message, "text_html"):
        await edit_html(query.message, query.message.text_html or text)
