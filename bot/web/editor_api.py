"""The editor's JSON API and page images, for the user Telegram's init data names, only ever
on that user's notes.

Every request carries the init data (`Authorization: tma <initData>`), checked before a body
is read: missing, forged or expired is 401; a note that isn't the user's, or never was, is the
same 404. A save names the version it was made on: over a newer one it is 409, nothing
changes, and the answer holds the note as it now is, for the page to show again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from bot import monitoring
from bot.config import Settings
from bot.domain import messages
from bot.domain.editor import EditRefusal, EditRejected, NoteEdit, parse_edit
from bot.domain.i18n import Catalogs, Msg, Translator
from bot.domain.models import ConfidenceSource, LineState, Note, ReviewAction
from bot.storage import NoteNotFound, StaleVersion, Storage
from bot.storage.editor import Saved
from bot.web.http import TooLarge, read_bounded, refused
from bot.web.init_data import InitDataRefused, Refusal, WebAppUser, language_hint, verify
from bot.web.page_images import PageImages, PageUnavailable

log = logging.getLogger(__name__)

MAX_SAVE_BYTES = 1024 * 1024  # 1000 lines of 1000 characters would need more: refused
_ID = re.compile(r"[0-9]{1,18}")
_OUTCOMES = {
    LineState.KEPT: ReviewAction.KEEP,
    LineState.RETYPED: ReviewAction.RETYPE,
    LineState.DROPPED: ReviewAction.DROP,
}

AfterSave = Callable[[Saved], Coroutine[Any, Any, None]]


class Refused(Exception):
    """Ends a request with a JSON refusal."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def note_json(note: Note) -> dict[str, Any]:
    """The note as the page needs it: nothing but data (the page shows text as text)."""
    return {
        "id": note.id,
        "version": note.version,
        "title": note.title or "",
        "pages": len(note.pages),
        "lines": [
            {
                "id": line.id,
                "text": line.text,
                "state": str(line.state),
                "page": line.page,
                "box": list(line.box) if line.box is not None else None,
                "added": line.confidence_source is ConfidenceSource.USER,
            }
            for line in note.lines
        ],
    }


class EditorApi:
    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        catalogs: Catalogs,
        pages: PageImages,
        after_save: AfterSave,
    ) -> None:
        self._settings = settings
        self._storage = storage
        self._catalogs = catalogs
        self._pages = pages
        self._after_save = after_save
        self._tasks: set[asyncio.Task[None]] = set()

    def routes(self, prefix: str) -> list[web.RouteDef]:
        return [
            web.get(prefix + "api/notes/{note_id}", self.get_note),
            web.post(prefix + "api/notes/{note_id}", self.save_note),
            web.get(prefix + "api/notes/{note_id}/pages/{page}", self.page_image),
        ]

    async def close(self, grace_s: float) -> None:
        """Let the chat's side of recent saves finish (what doesn't is done at next start)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_s)

    # --- who asks, and about which note ---

    def _refuse(self, status: int, error: str, t: Translator, text: Msg, **extra: Any) -> Refused:
        log.info("event=webapp_refused status=%d error=%s", status, error)
        return Refused(refused(status, error, t(text), **extra))

    async def _user(self, request: web.Request) -> tuple[WebAppUser, Translator]:
        header = request.headers.get("Authorization", "")
        scheme, _, init_data = header.partition(" ")
        try:
            if scheme.lower() != "tma":
                raise InitDataRefused(Refusal.MISSING)
            user = verify(
                init_data,
                self._settings.token,
                max_age_s=self._settings.webapp_max_age_s,
            )
        except InitDataRefused as refusal:
            log.info("event=webapp_refused status=401 reason=%s", refusal.reason)
            t = self._catalogs.choose(None, language_hint(init_data))
            raise Refused(refused(401, "unauthorized", t(messages.EXPIRED))) from None
        stored = await self._storage.users.interface_language(user.id)
        return user, self._catalogs.choose(stored, user.language_code)

    async def _note(self, request: web.Request, user: WebAppUser, t: Translator) -> Note:
        """The user's note named in the path; the same 404 whether it is someone else's or
        never existed."""
        raw = request.match_info["note_id"]
        note = await self._storage.notes.get(user.id, int(raw)) if _ID.fullmatch(raw) else None
        if note is None:
            raise self._refuse(404, "not_found", t, messages.NOTE_GONE)
        return note

    # --- routes ---

    async def get_note(self, request: web.Request) -> web.StreamResponse:
        try:
            user, t = await self._user(request)
            note = await self._note(request, user, t)
        except Refused as refusal:
            return refusal.response
        texts = messages.page_texts(t, note)
        return web.json_response({"note": note_json(note), "texts": texts, "lang": t.code})

    async def save_note(self, request: web.Request) -> web.StreamResponse:
        try:
            user, t = await self._user(request)  # before a byte of the body is read
            raw = request.match_info["note_id"]
            if not _ID.fullmatch(raw):
                raise self._refuse(404, "not_found", t, messages.NOTE_GONE)
            try:
                body = await read_bounded(request, MAX_SAVE_BYTES)
                edit = parse_edit(json.loads(body))
            except TooLarge:
                raise self._refuse(413, "too_large", t, messages.TOO_LARGE) from None
            except ValueError as error:  # not JSON, or EditRejected
                reason = error.reason if isinstance(error, EditRejected) else EditRefusal.MALFORMED
                monitoring.EDITOR_SAVES.labels(result="refused").inc()
                raise self._refuse(400, "invalid", t, messages.EDIT_REFUSALS[reason]) from None
            saved = await self._save(user, int(raw), edit, t)
        except Refused as refusal:
            return refusal.response
        log.info(
            "event=editor_saved user=%d note=%d version=%d settled=%d",
            user.id,
            saved.note.id,
            saved.note.version,
            len(saved.settled),
        )
        task = asyncio.create_task(self._after_save(saved), name=f"after-save-{saved.save.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response({"note": note_json(saved.note)})

    async def _save(self, user: WebAppUser, note_id: int, edit: NoteEdit, t: Translator) -> Saved:
        try:
            saved = await self._storage.save_edits(user.id, note_id, edit, locale=t.code)
        except NoteNotFound:
            raise self._refuse(404, "not_found", t, messages.NOTE_GONE) from None
        except StaleVersion as stale:
            monitoring.EDITOR_SAVES.labels(result="stale").inc()
            current = note_json(stale.note)
            raise self._refuse(409, "stale", t, messages.STALE_NOTE, note=current) from None
        except EditRejected as rejected:
            monitoring.EDITOR_SAVES.labels(result="refused").inc()
            raise self._refuse(400, "invalid", t, messages.EDIT_REFUSALS[rejected.reason]) from None
        monitoring.EDITOR_SAVES.labels(result="saved").inc()
        for line in saved.settled:
            monitoring.REVIEW_OUTCOMES.labels(action=_OUTCOMES[line.state], via="editor").inc()
        return saved

    async def page_image(self, request: web.Request) -> web.StreamResponse:
        try:
            user, t = await self._user(request)
            note = await self._note(request, user, t)
            raw = request.match_info["page"]
            number = int(raw) if _ID.fullmatch(raw) else -1
            if not 0 <= number < len(note.pages):
                raise self._refuse(404, "not_found", t, messages.NOTE_GONE)
            try:
                jpeg = await self._pages.get(note.pages[number].file_id)
            except PageUnavailable as error:
                log.warning(
                    "event=page_unavailable note=%d page=%d error=%s", note.id, number, error
                )
                failed = messages.PAGE_TEXTS["photo_failed"]
                raise self._refuse(502, "photo_failed", t, failed) from None
        except Refused as refusal:
            return refusal.response
        return web.Response(body=jpeg, content_type="image/jpeg")  # never cached elsewhere
