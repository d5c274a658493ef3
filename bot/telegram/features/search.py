"""`/search words`: the user's notes containing the words, best first, a page at a time."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.domain import messages
from bot.domain.i18n import Translator
from bot.domain.paging import Page
from bot.monitoring import SEARCH_SECONDS
from bot.storage.search_query import build_fts_query
from bot.telegram.buttons import (
    Back,
    ButtonCodec,
    ButtonHandler,
    Kind,
    NoteRef,
    Press,
    SearchRef,
)
from bot.telegram.chat import private_command, reply
from bot.telegram.context import BotContext, Services

SEARCH_PAGE = 5


def results_keyboard(
    buttons: ButtonCodec,
    user_id: int,
    t: Translator,
    note_ids: list[int],
    search_id: int,
    page: Page,
) -> InlineKeyboardMarkup:
    back = Back(page=page.number, search_id=search_id)
    rows = [
        [
            buttons.button(
                user_id,
                messages.open_note_button(t, note_id),
                Kind.OPEN_NOTE,
                NoteRef(note_id, back),
            )
        ]
        for note_id in note_ids
    ]
    pager = buttons.pager(
        user_id, t, page, Kind.SEARCH_PAGE, lambda number: SearchRef(search_id, number)
    )
    return InlineKeyboardMarkup([*rows, pager] if pager else rows)


async def search_page(
    svc: Services, user_id: int, t: Translator, search_id: int, number: int
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """A page of a saved search as (text, keyboard), or None if the search has expired."""
    words = await svc.storage.search.saved(user_id, search_id)
    fts_query = build_fts_query(words) if words else None
    if words is None or fts_query is None:
        return None
    with SEARCH_SECONDS.time():
        total = await svc.storage.search.count(user_id, fts_query)
        page = Page.of(number, SEARCH_PAGE, total)
        hits = await svc.storage.search.find(
            user_id, fts_query, limit=page.size, offset=page.offset
        )
    note_ids = [hit.note_id for hit in hits]
    keyboard = (
        results_keyboard(svc.buttons, user_id, t, note_ids, search_id, page) if hits else None
    )
    return messages.search_results(t, words, hits, page), keyboard


async def on_search(update: Update, context: BotContext) -> None:
    found = await private_command(update, context)
    if found is None:
        return
    svc = context.services
    if build_fts_query(found.text) is None:
        await reply(found.message, found.t(messages.SEARCH_USAGE))
        return
    search_id = await svc.storage.search.save(found.user.id, found.text)
    view = await search_page(svc, found.user.id, found.t, search_id, 0)
    assert view is not None  # just saved, and the query is valid
    await reply(found.message, *view)


async def on_search_page(press: Press, context: BotContext) -> None:
    ref = press.args(SearchRef)
    view = await search_page(context.services, press.user_id, press.t, ref.search_id, ref.page)
    if view is None:
        await press.refuse_stale(press.t(messages.SEARCH_EXPIRED))
        return
    await press.show(*view)


BUTTONS: dict[Kind, ButtonHandler] = {Kind.SEARCH_PAGE: on_search_page}
