"""Inline mode: `@bot words`, typed in any chat, offers the asker's own notes that contain the
words (the /search search), or their latest notes when nothing is typed yet; choosing one posts
its text into that chat.

Answers are personal (`is_personal`: Telegram never shows one user's answer to another) and
cached only briefly, since notes change. Only the asker's notes are ever looked up: storage
scopes every query to the user Telegram says sent it.
"""

from __future__ import annotations

import logging
import re

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode

from bot.domain import messages
from bot.domain.i18n import Translator
from bot.domain.models import Note, SearchHit
from bot.monitoring import SEARCH_SECONDS
from bot.storage.search_query import build_fts_query
from bot.telegram.chat import INLINE_CACHE_S, open_bot_button
from bot.telegram.context import BotContext, Services
from bot.telegram.locale import user_translator
from bot.telegram.text import fit_one

log = logging.getLogger(__name__)

INLINE_PAGE = 10  # results per answer; Telegram asks for more (`offset`) as the user scrolls
MAX_OFFSET = 1000  # deeper than anyone scrolls: a forged offset can't make a costly query
_OFFSET = re.compile(r"[0-9]{1,4}")


def _result(t: Translator, note: Note, found: Note | SearchHit) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=str(note.id),
        title=messages.inline_title(t, note.id, note.title or _first_line(note)),
        description=messages.inline_description(t, found),
        input_message_content=InputTextMessageContent(
            fit_one(messages.shared_note(t, note)), parse_mode=ParseMode.HTML
        ),
    )


def _first_line(note: Note) -> str | None:
    return note.visible_lines[0].text if note.visible_lines else None


async def _page(
    svc: Services, user_id: int, words: str, offset: int
) -> tuple[list[tuple[Note, Note | SearchHit]], bool]:
    """One page of (note, what was found: the search hit or the note itself), and whether
    there is more."""
    fts_query = build_fts_query(words)
    if fts_query is None:
        notes = await svc.storage.notes.page(user_id, limit=INLINE_PAGE + 1, offset=offset)
        return [(note, note) for note in notes[:INLINE_PAGE]], len(notes) > INLINE_PAGE
    with SEARCH_SECONDS.time():
        hits = await svc.storage.search.find(
            user_id, fts_query, limit=INLINE_PAGE + 1, offset=offset
        )
    shown = hits[:INLINE_PAGE]
    notes = await svc.storage.notes.several(user_id, [hit.note_id for hit in shown])
    by_id = {note.id: note for note in notes}
    found: list[tuple[Note, Note | SearchHit]] = [
        (by_id[hit.note_id], hit) for hit in shown if hit.note_id in by_id
    ]
    return found, len(hits) > INLINE_PAGE


async def on_inline_query(update: Update, context: BotContext) -> None:
    query = update.inline_query
    if query is None:
        return
    svc = context.services
    user = query.from_user
    t = await user_translator(svc.catalogs, svc.storage, user)
    offset = int(query.offset) if _OFFSET.fullmatch(query.offset or "") else 0
    offset = min(offset, MAX_OFFSET)
    found, more = await _page(svc, user.id, query.query, offset)
    log.info(
        "event=inline_query user=%d words=%d results=%d offset=%d",
        user.id,
        len(query.query.split()),
        len(found),
        offset,
    )
    await query.answer(
        [_result(t, note, what) for note, what in found],
        cache_time=INLINE_CACHE_S,
        is_personal=True,
        next_offset=str(offset + INLINE_PAGE) if more and offset < MAX_OFFSET else "",
        button=open_bot_button(t(messages.INLINE_NOTHING)) if not found and not offset else None,
    )
