"""One entry point for every inline button: verify the signature, then route by kind.

Verifying first means no handler ever sees data this user wasn't given; routing by kind
keeps each feature's button logic next to its command.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot import handlers, messages, note_handlers, settings_handlers
from bot.button_support import BadFields, refuse_stale
from bot.callbacks import InvalidCallback
from bot.handler_support import services

log = logging.getLogger(__name__)

ButtonHandler = Callable[
    [CallbackQuery, ContextTypes.DEFAULT_TYPE, int, str, list[str]], Awaitable[None]
]

ROUTES: dict[str, ButtonHandler] = {
    "k": handlers.on_review_button,
    "r": handlers.on_review_button,
    "d": handlers.on_review_button,
    "nl": note_handlers.on_notes_page,
    "no": note_handlers.on_open_note,
    "nr": note_handlers.on_review_again,
    "nn": note_handlers.on_rename,
    "nx": note_handlers.on_ask_delete,
    "ny": note_handlers.on_confirm_delete,
    "sp": note_handlers.on_search_page,
    "ef": note_handlers.on_export_format,
    "fy": note_handlers.on_forget_confirmed,
    "fn": note_handlers.on_forget_declined,
    "lp": settings_handlers.on_language_page,
    "ls": settings_handlers.on_language_chosen,
}


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    try:
        kind, fields = services(context).signer.decode(user.id, query.data)
    except InvalidCallback as invalid:
        log.warning("event=callback_refused user=%d reason=%s", user.id, invalid.reason)
        if invalid.reason == "forged":
            await query.answer(messages.NOT_YOURS, show_alert=True)
        else:
            await refuse_stale(query)
        return
    route = ROUTES.get(kind)
    if route is None:
        await refuse_stale(query)
        return
    try:
        await route(query, context, user.id, kind, fields)
    except BadFields:
        log.warning("event=callback_refused user=%d reason=fields kind=%s", user.id, kind)
        await refuse_stale(query)
