"""The inline-button protocol: what a button's data says, how it is signed, where a press goes.

Telegram hands callback data back verbatim, so a client can send any 64 bytes it likes. Each
button carries `v1:<kind>:<fields…>:<signature>`, the signature an HMAC over the payload and
the user it was issued to: data forged, altered or replayed by another user fails the check
before any lookup, and storage still scopes every query by owner as a second wall.

Each kind has one payload type (`PAYLOADS`): `ButtonCodec.encode` writes it and `decode`
parses it, so no handler splits strings. `ButtonRouter` is the one place a press is checked
and sent to the feature that registered its kind.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, Message, Update
from telegram.error import TelegramError

from bot.domain import messages
from bot.domain.i18n import Translator
from bot.domain.paging import Page
from bot.telegram.delivery import edit_html
from bot.telegram.locale import user_translator

if TYPE_CHECKING:
    from bot.telegram.context import BotContext

log = logging.getLogger(__name__)

VERSION = "v1"
MAX_CALLBACK_BYTES = 64
_SIG_CHARS = 16  # 96 bits of HMAC-SHA256, base64url
_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() also accepts '²'


class Kind(StrEnum):
    """What a button does; the value is what its data carries (short: data has 64 bytes)."""

    KEEP = "k"  # LineRef: keep a line under review
    RETYPE = "r"  # LineRef: the next text replaces the line
    DROP = "d"  # LineRef: drop the line
    NOTES_PAGE = "nl"  # PageRef: the notes list at a page
    OPEN_NOTE = "no"  # NoteRef: open a note (its Back button leads to `back`)
    REVIEW_AGAIN = "nr"  # NoteRef: send the note's pending lines again
    RENAME = "nn"  # NoteRef: the next text is the note's title
    ASK_DELETE = "nx"  # NoteRef: ask before deleting the note
    CONFIRM_DELETE = "ny"  # NoteRef: delete it
    SEARCH_PAGE = "sp"  # SearchRef: a page of saved search results
    EXPORT = "ef"  # Choice: export all notes in a format
    FORGET = "fy"  # Empty: delete all my data
    KEEP_DATA = "fn"  # Empty: don't
    LANGUAGE_PAGE = "lp"  # PageRef: a page of the language picker
    LANGUAGE = "ls"  # Choice: use a language ("-" = the default)
    SHOW_PAGES = "np"  # NoteRef: send the note's photos again
    INTERFACE = "ui"  # Choice: speak a catalog's language ("-" = follow Telegram's)


class InvalidButton(ValueError):
    """Callback data we did not issue to this user, or that doesn't fit its kind."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "malformed", "outdated", "forged" or "fields"


def _number(text: str) -> int:
    if not _DIGITS.fullmatch(text):
        raise InvalidButton("fields")
    return int(text)


@dataclass(frozen=True)
class Back:
    """Where a note view's Back button leads: a page of the notes list, or of search results.

    Its own field inside a button's data: `nl.3` (notes page 3) or `sp.12.0` (search 12, page 0).
    """

    page: int = 0
    search_id: int | None = None

    def encode(self) -> str:
        if self.search_id is not None:
            return f"{Kind.SEARCH_PAGE}.{self.search_id}.{self.page}"
        return f"{Kind.NOTES_PAGE}.{self.page}"

    @classmethod
    def parse(cls, text: str) -> Back:
        kind, *parts = text.split(".")
        if kind == Kind.SEARCH_PAGE and len(parts) == 2:
            return cls(page=_number(parts[1]), search_id=_number(parts[0]))
        if kind == Kind.NOTES_PAGE and len(parts) == 1:
            return cls(page=_number(parts[0]))
        raise InvalidButton("fields")


NOTES_START = Back()


@dataclass(frozen=True)
class LineRef:
    line_id: int


@dataclass(frozen=True)
class NoteRef:
    note_id: int
    back: Back = NOTES_START


@dataclass(frozen=True)
class PageRef:
    page: int


@dataclass(frozen=True)
class SearchRef:
    search_id: int
    page: int


@dataclass(frozen=True)
class Choice:
    value: str


@dataclass(frozen=True)
class Empty:
    pass


Payload = LineRef | NoteRef | PageRef | SearchRef | Choice | Empty
P = TypeVar("P", LineRef, NoteRef, PageRef, SearchRef, Choice, Empty)

PAYLOADS: dict[Kind, type[Payload]] = {
    Kind.KEEP: LineRef,
    Kind.RETYPE: LineRef,
    Kind.DROP: LineRef,
    Kind.NOTES_PAGE: PageRef,
    Kind.OPEN_NOTE: NoteRef,
    Kind.REVIEW_AGAIN: NoteRef,
    Kind.RENAME: NoteRef,
    Kind.ASK_DELETE: NoteRef,
    Kind.CONFIRM_DELETE: NoteRef,
    Kind.SEARCH_PAGE: SearchRef,
    Kind.EXPORT: Choice,
    Kind.FORGET: Empty,
    Kind.KEEP_DATA: Empty,
    Kind.LANGUAGE_PAGE: PageRef,
    Kind.LANGUAGE: Choice,
    Kind.SHOW_PAGES: NoteRef,
    Kind.INTERFACE: Choice,
}
# Field annotations are strings (postponed evaluation): the parser for each.
_PARSERS: dict[str, Callable[[str], Any]] = {"int": _number, "str": str, "Back": Back.parse}


def _write_field(value: object) -> str:
    return value.encode() if isinstance(value, Back) else str(value)


def _fields(payload: Payload) -> list[str]:
    """The payload's values in declaration order, trailing defaults left out."""
    values = [getattr(payload, field.name) for field in dataclasses.fields(payload)]
    defaults = [field.default for field in dataclasses.fields(payload)]
    while values and values[-1] == defaults[len(values) - 1]:
        values.pop()
    return [_write_field(value) for value in values]


def _parse_payload(kind: Kind, fields: list[str]) -> Payload:
    payload_type = PAYLOADS[kind]
    declared = dataclasses.fields(payload_type)
    required = [f for f in declared if f.default is dataclasses.MISSING]
    if not len(required) <= len(fields) <= len(declared):
        raise InvalidButton("fields")
    values = [_PARSERS[str(f.type)](text) for f, text in zip(declared, fields, strict=False)]
    return payload_type(*values)


class ButtonCodec:
    """Writes and reads button data, signed for the user who may press the button."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(f"callback-signing:{secret}".encode()).digest()

    def _signature(self, user_id: int, payload: str) -> bytes:
        mac = hmac.new(self._key, f"{user_id}|{payload}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac)[:_SIG_CHARS]

    def encode(self, user_id: int, kind: Kind, payload: Payload | None = None) -> str:
        payload = payload if payload is not None else Empty()
        if not isinstance(payload, PAYLOADS[kind]):
            raise TypeError(f"{kind!r} carries {PAYLOADS[kind].__name__}, not {payload!r}")
        parts = [VERSION, str(kind), *_fields(payload)]
        if any(":" in part for part in parts):
            raise ValueError("button fields must not contain ':'")
        body = ":".join(parts)
        data = f"{body}:{self._signature(user_id, body).decode()}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {data!r}")
        return data

    def decode(self, user_id: int, data: str | None) -> tuple[Kind, Payload]:
        """(kind, payload) of data issued to this user, or InvalidButton."""
        if not data or not data.isascii() or len(data) > MAX_CALLBACK_BYTES:
            raise InvalidButton("malformed")  # we only ever issue short ASCII data
        body, _, signature = data.rpartition(":")
        parts = body.split(":")
        if len(parts) < 2 or not signature:
            raise InvalidButton("malformed")
        if parts[0] != VERSION:
            raise InvalidButton("outdated")
        # Bytes, not str: compare_digest refuses non-ASCII text with a TypeError.
        if not hmac.compare_digest(signature.encode(), self._signature(user_id, body)):
            raise InvalidButton("forged")
        try:
            kind = Kind(parts[1])
        except ValueError:
            raise InvalidButton("fields") from None
        return kind, _parse_payload(kind, parts[2:])

    def button(
        self, user_id: int, text: str, kind: Kind, payload: Payload | None = None
    ) -> InlineKeyboardButton:
        return InlineKeyboardButton(text, callback_data=self.encode(user_id, kind, payload))

    def pager(
        self,
        user_id: int,
        t: Translator,
        page: Page,
        kind: Kind,
        to_page: Callable[[int], Payload],
    ) -> list[InlineKeyboardButton]:
        """« Prev / Next » for a paged list (empty when it has one page)."""
        row = []
        if page.has_prev:
            row.append(self.button(user_id, t(messages.PREV), kind, to_page(page.number - 1)))
        if page.has_next:
            row.append(self.button(user_id, t(messages.NEXT), kind, to_page(page.number + 1)))
        return row


@dataclass(frozen=True)
class Press:
    """A verified button press: who pressed, which kind, its parsed payload, and the language
    to answer in."""

    query: CallbackQuery
    user_id: int
    kind: Kind
    payload: Payload
    t: Translator

    def args(self, payload_type: type[P]) -> P:
        """The payload as the type the handler expects (the router guarantees the kind)."""
        if not isinstance(self.payload, payload_type):
            raise InvalidButton("fields")
        return self.payload

    @property
    def message(self) -> Message | None:
        """The message the button is on, if Telegram still gives it (not after 48 hours)."""
        message = self.query.message
        return message if isinstance(message, Message) else None

    @property
    def chat_id(self) -> int:
        message = self.query.message
        assert message is not None  # callback queries from inline messages are not used
        return message.chat.id

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        await answer(self.query, text, alert=alert)

    async def show(self, text: str, keyboard: Any = None, *, toast: str | None = None) -> None:
        """Answer the press and show `text` (and `keyboard`) in the pressed message."""
        await self.answer(toast)
        await edit_html(self.message, text, keyboard)

    async def refuse_stale(self, text: str | None = None) -> None:
        """Say the button no longer works and take the keyboard off its message (the press
        verified for this user, so the message is theirs to change)."""
        text = text or self.t(messages.STALE_BUTTON)
        await self.answer(text, alert=True)
        message = self.message
        if message is not None:
            await edit_html(message, message.text_html or message.caption_html or text)


async def answer(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a press. If Telegram won't take the answer (after the rate limiter's retries),
    carry on: what was done is shown in the message itself, which is edited next."""
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as error:
        log.warning("event=callback_answer_failed error=%s", error)


ButtonHandler = Callable[[Press, "BotContext"], Awaitable[None]]


class ButtonRouter:
    """Every button press comes here: the signature is checked once, then the feature that
    registered the kind handles it with a parsed payload."""

    def __init__(self) -> None:
        self._routes: dict[Kind, ButtonHandler] = {}

    def register(self, routes: dict[Kind, ButtonHandler]) -> None:
        for kind in routes:
            if kind in self._routes:
                raise ValueError(f"two handlers for button kind {kind!r}")
        self._routes.update(routes)

    async def __call__(self, update: Update, context: BotContext) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        svc = context.services
        t = await user_translator(svc.catalogs, svc.storage, user)
        try:
            kind, payload = svc.buttons.decode(user.id, query.data)
        except InvalidButton as invalid:
            # Unverified data changes nothing, the message included: in a group, it may be
            # someone else's message.
            log.warning("event=callback_refused user=%d reason=%s", user.id, invalid.reason)
            text = messages.NOT_YOURS if invalid.reason == "forged" else messages.STALE_BUTTON
            await answer(query, t(text), alert=True)
            return
        route = self._routes.get(kind)
        press = Press(query, user.id, kind, payload, t)
        if route is None:
            await press.refuse_stale()
            return
        try:
            await route(press, context)
        except InvalidButton:
            log.warning("event=callback_refused user=%d reason=fields kind=%s", user.id, kind)
            await press.refuse_stale()
