"""A fake Telegram Bot API server, so end-to-end tests run the real python-telegram-bot stack.

The real `Application` talks to it over real HTTP (form data, multipart uploads, long polling,
file downloads), so serialization, Telegram's limits and HTML parse errors bite here as they
would in production. Point PTB at it with
`ApplicationBuilder().token(tg.token).base_url(tg.base_url).base_file_url(tg.base_file_url)`.

A bot message is stored with `text` as the bot sent it (HTML source, for readable assertions)
and `text_plain` + `entities` as Telegram renders it; PTB gets the rendered form back (method
results, `callback_query.message`, `reply_to_message`), as from real Telegram, so bot code that
reads a message back and re-sends it as HTML is tested honestly.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import io
import itertools
import json
import random
import re
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any, TypeVar

from aiohttp import web
from PIL import Image
from telegram.constants import ReactionEmoji

T = TypeVar("T")

DEFAULT_TOKEN = "123456789:AAFakeTelegramTokenForTests_0123456789"
TEXT_LIMIT, CAPTION_LIMIT, CALLBACK_DATA_LIMIT = 4096, 1024, 64
GROUP_MESSAGES_PER_MINUTE = 20
# The emoji a bot may react with (the Bot API's ReactionTypeEmoji list); one per message.
REACTIONS = frozenset(emoji.value for emoji in ReactionEmoji)
# Telegram's HTML tags -> the entity type each becomes.
HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
# Form fields that stay strings even when they look like JSON ("123", "true").
STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_query_id",
        "next_offset",
        "url",
        "secret_token",
        "file_id",
    }
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


@dataclass
class Faults:
    """Faults injected at random into Bot API calls and file downloads, at `rate` per call:
    an error answer (5xx, or 429 with retry_after) before the method does anything, or a slow
    answer (`slow_s`) after it. `counts` says what was injected, by kind."""

    rate: float = 0.1
    statuses: tuple[int, ...] = (500, 502, 429)
    slow_rate: float = 0.05
    slow_s: float = 1.0
    files: bool = True  # downloads fail too
    seed: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def error(self, method: str) -> ApiError | None:
        if self._random.random() >= self.rate:
            return None
        status = self._random.choice(self.statuses)
        self.counts[f"{status}"] = self.counts.get(f"{status}", 0) + 1
        self.counts[method] = self.counts.get(method, 0) + 1
        if status == 429:
            return ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        return ApiError(status, {502: "Bad Gateway"}.get(status, "Internal Server Error"))

    def delay(self) -> float:
        if self._random.random() >= self.slow_rate:
            return 0.0
        self.counts["slow"] = self.counts.get("slow", 0) + 1
        return self.slow_s


class ApiError(Exception):
    """An error answered the way Telegram does: HTTP status == error_code, JSON body."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            self.body["parameters"] = parameters


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def utf16_len(text: str) -> int:
    """Telegram measures limits and entity offsets in UTF-16 code units, not code points."""
    return len(text.encode("utf-16-le")) // 2


def shown(message: dict) -> str:
    """What the user reads in a message: its text, or a photo's or file's caption (a review
    prompt is a photo of the line with the prompt as caption)."""
    return message.get("text_plain") or message.get("caption_plain") or ""


def buttons(message: dict) -> list[tuple[str, str]]:
    """(text, callback_data) of every inline button of a message, row by row (a link's or a
    Mini App's URL in place of the data)."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [
        (b["text"], b.get("callback_data") or b.get("url") or (b.get("web_app") or {}).get("url"))
        for row in rows
        for b in row
    ]


def web_app_url(message: dict) -> str | None:
    """The URL of the message's Mini App button (the Edit button), if it has one."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return next((b["web_app"]["url"] for row in rows for b in row if "web_app" in b), None)


def user_entities(text: str) -> list[dict]:
    """Entities Telegram adds to a user's text: a leading /command and @mentions."""
    entities = []
    if text.startswith("/"):
        entities.append(
            {"type": "bot_command", "offset": 0, "length": utf16_len(text.split(maxsplit=1)[0])}
        )
    for match in re.finditer(r"(?<!\w)@\w{3,}", text):
        offset = utf16_len(text[: match.start()])
        entities.append({"type": "mention", "offset": offset, "length": utf16_len(match.group())})
    return entities


def user_text(text: str) -> dict[str, Any]:
    """A user's text message content, with the entities Telegram would add."""
    entities = user_entities(text)
    return {"text": text, "entities": entities} if entities else {"text": text}


def extension(file_name: str) -> str:
    return file_name.rsplit(".", 1)[1] if "." in file_name else "bin"


def wire(message: dict) -> dict:
    """A stored message as Telegram returns it: rendered plain text instead of the HTML source."""
    out = copy.deepcopy(message)
    for key in ("text", "caption"):
        if f"{key}_plain" in out:
            out[key] = out.pop(f"{key}_plain")
    return out


def quoted(message: dict) -> dict:
    """A message as embedded in `reply_to_message`: Telegram nests only one level."""
    return {key: value for key, value in wire(message).items() if key != "reply_to_message"}


class _TelegramHtml(HTMLParser):
    """parse_mode=HTML as Telegram parses it, strict enough to catch unescaped user text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.parts: list[str] = []
        self.length = 0  # in UTF-16 units, as entity offsets are
        self.open: list[tuple[str, dict, int]] = []
        self.entities: list[dict] = []

    def _add(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            raise bad_request(f'can\'t parse entities: unsupported start tag "{tag}"')
        self.open.append((tag, dict(attrs), self.length))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise bad_request(f'can\'t parse entities: unexpected end tag "{tag}"')
        name, attrs, start = self.open.pop()
        if self.length > start:
            entity = {"type": HTML_TAGS[name], "offset": start, "length": self.length - start}
            if name == "a":
                entity["url"] = attrs.get("href") or ""
            elif name == "tg-emoji":
                entity["custom_emoji_id"] = attrs.get("emoji-id") or ""
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise bad_request("can't parse entities: unescaped '<', use &lt;")
        self._add(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            raise bad_request(f'can\'t parse entities: unsupported HTML entity "&{name};"')
        self._add(unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self._add(unescape(f"&#{name};"))

    def _reject(self, *args: object) -> None:
        raise bad_request(f"can't parse entities: unsupported markup {args[0]!r}")

    handle_startendtag = handle_comment = handle_decl = handle_pi = unknown_decl = _reject


def render(text: str, parse_mode: str | None, entities: list | None) -> tuple[str, list[dict]]:
    """The (plain text, entities) Telegram would store for `text` sent with `parse_mode`."""
    if (parse_mode or "").upper() != "HTML":
        return text, list(entities or [])
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise bad_request(f"can't parse entities: can't find end tag \"{parser.open[-1][0]}\"")
    return "".join(parser.parts), sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))


class FakeTelegram:
    """The fake server, plus helpers for tests to play the user and inspect what the bot did."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_username: str = "fake_test_bot") -> None:
        self.token, self.url = token, ""
        bot_id = int(token.split(":")[0])
        self.bot_user = dict(id=bot_id, is_bot=True, first_name="Test Bot", username=bot_username)
        self.requests: list[tuple[str, dict]] = []  # every call, params decoded
        self.callback_answers: dict[str, dict] = {}  # callback_query_id -> answer params
        self.documents: list[dict] = []  # sendDocument: chat_id, filename, data, caption, file_id
        self.rate_limited: list[int] = []  # chats whose send was refused with 429 (groups)
        self._group_sends: dict[int, deque[float]] = {}
        self.sent_at: dict[int, list[float]] = {}  # chat -> when each bot message was sent
        self.no_reactions: set[int] = set()  # chats whose admins turned reactions off
        self.photos: list[dict] = []  # sendPhoto: chat_id, file_id, data, caption, message_id
        self.edits: list[dict] = []  # editMessageText: chat_id, message_id, old_text, text
        self.deleted: list[tuple[int, int]] = []  # deleteMessage: (chat_id, message_id)
        self.commands: list[dict] = []  # the default menu (no scope, no language_code)
        # (scope, language_code) -> commands; scope "default" or "chat:<id>", language "" = any
        self.command_menus: dict[tuple[str, str], list[dict]] = {}
        self.inline_answers: dict[str, dict] = {}  # inline_query_id -> answer params
        self.webhook: dict[str, Any] = {"url": "", "secret_token": None}
        self._users: dict[int, dict] = {}
        self._chats: dict[int, dict] = {}
        self._messages: dict[int, list[dict]] = {}  # chat_id -> user and bot messages, in order
        self._message_ids: dict[int, itertools.count] = {}
        self._files: dict[str, dict] = {}  # file_id -> data, path, unique_id
        self._paths: dict[str, bytes] = {}
        self._file_numbers = itertools.count(1)
        self._updates: list[dict] = []  # queued and not yet confirmed
        self.delivered: list[dict] = []  # every update ever queued, in order
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_000_001)
        self._open_queries: set[str] = set()  # pressed, not yet answered
        self._confirmed = 0
        # method -> [count, retry_after, status, description]
        self._failures: dict[str, list[Any]] = {}
        self.faults: Faults | None = None  # random faults, when a test sets them
        self._wakeup = asyncio.Event()  # set when an update is queued: wakes long polls
        self._activity = asyncio.Event()  # set after every Bot API call: wakes `wait_for`
        self._closing = False
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1; `url` is set once this returns."""
        self._closing = False
        app = web.Application(client_max_size=64 * 2**20)  # uploads beyond aiohttp's 1 MiB
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets; without it, Nagle
        # plus delayed ACKs add ~40 ms to every answer once a connection leaves quick-ACK mode.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def stop(self) -> None:
        """Release waiting long polls (they answer []) so no client hangs, then close."""
        self._closing = True
        self._wake()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def last_update_id_confirmed(self) -> int:
        """Highest update_id the bot confirmed via getUpdates(offset=...): it is done with it."""
        return self._confirmed

    def fail_next(
        self,
        method: str,
        count: int = 1,
        retry_after: int = 1,
        *,
        status: int = 429,
        description: str = "",
    ) -> None:
        """Answer the next `count` calls of `method` (or "file" for downloads) with an error
        before doing anything: 429 Too Many Requests by default, or e.g. 500 or 502, or a
        400 with Telegram's `description` (e.g. "PHOTO_INVALID_DIMENSIONS")."""
        self._failures[method.lower()] = [count, retry_after, status, description]

    def _injected(self, method: str) -> ApiError | None:
        failure = self._failures.get(method.lower())
        if failure is not None and failure[0] > 0:
            failure[0] -= 1
            if failure[2] == 429:
                retry = {"retry_after": failure[1]}
                return ApiError(429, f"Too Many Requests: retry after {failure[1]}", retry)
            if failure[2] == 400:
                return bad_request(failure[3] or "request refused")
            return ApiError(failure[2], failure[3] or "Internal Server Error")
        if self.faults is not None and (method != "file" or self.faults.files):
            return self.faults.error(method)
        return None

    def deliver_again(self, update: dict) -> dict:
        """Queue a copy of an update the bot already got, under a new update id, as Telegram
        does when the bot did not confirm it (a crash) or a webhook answer was lost."""
        copy_ = {**update, "update_id": next(self._update_ids)}
        return self._queue(copy_)

    def update_of(self, message: dict) -> dict:
        """The update that delivered a user's message (to deliver it again)."""
        return next(
            u
            for u in self.delivered
            if u.get("message", {}).get("message_id") == message["message_id"]
            and u["message"]["chat"]["id"] == message["chat"]["id"]
        )

    # -- playing the user ------------------------------------------------------------------

    def add_file(self, data: bytes, *, kind: str = "photos", ext: str = "jpg") -> tuple[str, str]:
        """Make `data` downloadable: (file_id, file_unique_id), the latter a content hash."""
        file_id = self._register(data, kind, ext)
        return file_id, self._files[file_id]["unique_id"]

    def user(
        self,
        user_id: int,
        first_name: str = "User",
        username: str | None = None,
        language_code: str = "en",
    ) -> dict:
        """The User dict for `user_id`; the first call fixes the names and app language."""
        user = dict(id=user_id, is_bot=False, first_name=first_name, language_code=language_code)
        if username:
            user["username"] = username
        return dict(self._users.setdefault(user_id, user))

    def set_language(self, user_id: int, language_code: str | None) -> None:
        """The user switches their Telegram app's language (None: Telegram sends none)."""
        user = self._users.setdefault(user_id, self.user(user_id))
        if language_code is None:
            user.pop("language_code", None)
        else:
            user["language_code"] = language_code

    def start_chat(self, user_id: int) -> None:
        """The user has a private chat with the bot (so the bot may write there), as after
        any message of theirs."""
        self._chat_for(user_id, None, "private")

    def send_inline_query(self, user_id: int, query: str, *, offset: str = "") -> dict:
        """The user types `@bot query` in some chat; returns the InlineQuery (answer by `id`)."""
        query_id = str(next(self._query_ids))
        self._open_queries.add(query_id)
        inline = {"id": query_id, "from": self.user(user_id), "query": query, "offset": offset}
        inline["chat_type"] = "sender"
        return self._queue(self._update("inline_query", inline))["inline_query"]

    def build_text_update(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        reply_to_message_id: int | None = None,
    ) -> dict:
        """The Update for a text message, stored in the chat but not queued (for webhooks)."""
        fields = user_text(text)
        cid = self._chat_for(user_id, chat_id, chat_type)
        if reply_to_message_id is not None:
            target = self._find(cid, reply_to_message_id)
            if target is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {cid} to reply to")
            fields["reply_to_message"] = quoted(target)
        return self._update("message", self._new_message(cid, self.user(user_id), fields))

    def build_callback_update(
        self, user_id: int, message: dict, data: str, *, strict: bool = True
    ) -> dict:
        """The Update for pressing a button of (the current version of) a stored bot message.

        With `strict`, the button must be on the message now: users can't press removed ones.
        """
        chat_id = message["chat"]["id"]
        stored = self._find(chat_id, message["message_id"])
        if stored is None:
            raise ValueError(f"message {message['message_id']} is gone from chat {chat_id}")
        if strict and data not in [d for _, d in buttons(stored)]:
            raise ValueError(f"no button {data!r} on message {stored['message_id']}")
        query_id = str(next(self._query_ids))
        self._open_queries.add(query_id)
        query = {"id": query_id, "from": self.user(user_id), "message": wire(stored)}
        query.update(chat_instance=str(abs(chat_id) * 7919), data=data)
        return self._update("callback_query", query)

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        reply_to_message_id: int | None = None,
    ) -> dict:
        """The user sends `text`; a leading /command gets its bot_command entity."""
        update = self.build_text_update(
            user_id,
            text,
            chat_id=chat_id,
            chat_type=chat_type,
            reply_to_message_id=reply_to_message_id,
        )
        return self._queue(update)["message"]

    def send_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        media_group_id: str | None = None,
        sizes: int = 3,
    ) -> dict:
        """The user sends a photo: `sizes` PhotoSizes, the largest (last) being `data` itself.

        The smaller sizes reuse the bytes (the bot should only download the largest).
        """
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        except OSError:  # not an image
            width = height = 100
        photo = []
        for i in range(1, sizes + 1):
            file_id = self._register(data, "photos", "jpg", salt="" if i == sizes else str(i))
            photo.append({**self._file_info(file_id), "width": max(1, width * i // sizes)})
            photo[-1]["height"] = max(1, height * i // sizes)
        fields: dict[str, Any] = {"photo": photo}
        if media_group_id is not None:
            fields["media_group_id"] = str(media_group_id)
        return self._send_user_message(user_id, chat_id, fields, caption)

    def send_document(
        self,
        user_id: int,
        data: bytes,
        *,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict:
        """The user sends a file (e.g. a photo sent uncompressed)."""
        file_id = self._register(data, "documents", extension(file_name))
        document = {**self._file_info(file_id), "file_name": file_name, "mime_type": mime_type}
        return self._send_user_message(user_id, chat_id, {"document": document}, caption)

    def send_raw_message(
        self, user_id: int, extra_fields: dict, *, chat_id: int | None = None
    ) -> dict:
        """A message with arbitrary content fields (sticker, voice, ...)."""
        return self._send_user_message(user_id, chat_id, dict(extra_fields))

    def send_edited_text(
        self, user_id: int, message_id: int, text: str, chat_id: int | None = None
    ) -> dict:
        """The user edits one of their text messages (an edited_message update)."""
        stored = self._find(user_id if chat_id is None else chat_id, message_id)
        if stored is None or stored["from"]["id"] != user_id:
            raise ValueError(f"user {user_id} has no message {message_id} to edit")
        stored.pop("entities", None)
        stored.update(user_text(text), edit_date=int(time.time()))
        return self._queue(self._update("edited_message", stored))["edited_message"]

    def press_button(self, user_id: int, message: dict, data: str, *, strict: bool = True) -> dict:
        """The user presses an inline button; returns the CallbackQuery (answer it by `id`)."""
        update = self.build_callback_update(user_id, message, data, strict=strict)
        return self._queue(update)["callback_query"]

    # -- inspecting the bot ----------------------------------------------------------------

    def _bot_messages_view(self, chat_id: int, after: int = 0):
        """The bot's stored messages in the chat after message_id `after`, not copied."""
        bot_id = self.bot_user["id"]
        for message in self._messages.get(chat_id, []):
            if message["message_id"] > after and message["from"]["id"] == bot_id:
                yield message

    def message(self, chat_id: int, message_id: int) -> dict | None:
        """A snapshot of any stored message of the chat (a user's too: e.g. the bot's
        reactions on it, `bot_reactions`), as it is now."""
        found = self._find(chat_id, message_id)
        return copy.deepcopy(found) if found is not None else None

    def bot_messages(self, chat_id: int, *, after: int = 0) -> list[dict]:
        """Snapshots of the bot's messages in the chat, as they are now (after edits), in order.

        `after` skips messages up to that message_id.
        """
        return [copy.deepcopy(m) for m in self._bot_messages_view(chat_id, after)]

    def find_bot_message(
        self, chat_id: int, predicate: Callable[[dict], Any], *, after: int = 0
    ) -> dict | None:
        """A snapshot of the first bot message after `after` matching `predicate`, or None.

        Only the match is copied, so calling this often (waiting loops, benchmarks) stays cheap.
        The predicate gets the stored message: it must only read it. A message lacking a key
        the predicate reads (a document has no "text") just doesn't match.
        """
        for message in self._bot_messages_view(chat_id, after):
            try:
                if predicate(message):
                    return copy.deepcopy(message)
            except KeyError:
                continue
        return None

    async def wait_for(self, predicate: Callable[[], T | bool | None], timeout: float = 10.0) -> T:
        """Check `predicate` after every Bot API call the bot makes (and at least every 10 ms,
        for conditions outside the server) until truthy; on timeout fail showing what the bot did.
        """
        deadline = time.monotonic() + timeout
        while not (result := predicate()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"condition not met within {timeout}s\n{self._dump()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._activity.wait(), min(0.01, remaining))
        return result  # type: ignore[return-value]

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[dict], Any] = lambda m: True,
        *,
        after: int = 0,
        timeout: float = 10.0,
    ) -> dict:
        """The first bot message in the chat after message_id `after` matching `predicate`.

        Matched against current content, so edits count (see `find_bot_message`).
        """
        return await self.wait_for(
            lambda: self.find_bot_message(chat_id, predicate, after=after), timeout
        )

    async def wait_for_callback_answer(self, callback_id: str, timeout: float = 10.0) -> dict:
        """The answerCallbackQuery params for the query `callback_id`, once the bot answered."""
        return await self.wait_for(lambda: self.callback_answers.get(callback_id), timeout)

    async def wait_for_inline_answer(self, query_id: str, timeout: float = 10.0) -> dict:
        """The answerInlineQuery params for the inline query `query_id` (its `results` with
        each message's text also rendered, as `text_plain`), once the bot answered."""
        return await self.wait_for(lambda: self.inline_answers.get(query_id), timeout)

    def menu(self, language_code: str = "", *, chat_id: int | None = None) -> list[dict]:
        """The commands a user would see, resolved as Telegram does for a private chat: the
        chat's own menu, then the default menu for their language, then the default one."""
        order = []
        if chat_id is not None:
            order += [(f"chat:{chat_id}", language_code), (f"chat:{chat_id}", "")]
        order += [("default", language_code), ("default", "")]
        for key in order:
            if key in self.command_menus:
                return self.command_menus[key]
        return []

    # -- internals: state ------------------------------------------------------------------

    def _dump(self) -> str:
        recent = [m for chat in self._chats for m in self.bot_messages(chat)][-10:]
        lines = [
            f"  chat {m['chat']['id']} #{m['message_id']}: "
            f"{m.get('text', m.get('caption'))!r} buttons={buttons(m)}"
            for m in recent
        ]
        calls = ", ".join(name for name, _ in self.requests[-15:])
        return "recent bot messages:\n" + "\n".join(lines or ["  none"]) + f"\ncalls: {calls}"

    def _register(self, data: bytes, kind: str, ext: str, salt: str = "") -> str:
        number = next(self._file_numbers)
        digest = hashlib.sha256(data + salt.encode()).hexdigest()
        file_id, path = f"{kind[:3].upper()}{number:05d}-{digest[:20]}", f"{kind}/file_{number}"
        self._files[file_id] = {"data": data, "path": f"{path}.{ext}", "unique_id": digest[:16]}
        self._paths[f"{path}.{ext}"] = data
        return file_id

    def _file_info(self, file_id: str) -> dict[str, Any]:
        found = self._files[file_id]
        size = len(found["data"])
        return {"file_id": file_id, "file_unique_id": found["unique_id"], "file_size": size}

    def _chat_for(self, user_id: int, chat_id: int | None, chat_type: str) -> int:
        cid = user_id if chat_id is None else chat_id
        if cid not in self._chats:
            if chat_type == "private":
                user = self.user(user_id)
                chat = {k: user[k] for k in ("first_name", "username") if k in user}
            else:
                chat = {"title": f"Test {chat_type} {cid}"}
            self._chats[cid] = {"id": cid, "type": chat_type, **chat}
            self._messages[cid], self._message_ids[cid] = [], itertools.count(1)
        return cid

    def _find(self, chat_id: int, message_id: int) -> dict | None:
        messages = self._messages.get(chat_id, [])
        return next((m for m in messages if m["message_id"] == message_id), None)

    def _new_message(self, chat_id: int, sender: dict, fields: dict) -> dict:
        message = {"message_id": next(self._message_ids[chat_id]), "from": sender}
        message.update(chat=dict(self._chats[chat_id]), date=int(time.time()), **fields)
        self._messages[chat_id].append(message)
        return message

    def _send_user_message(
        self, user_id: int, chat_id: int | None, fields: dict, caption: str | None = None
    ) -> dict:
        chat_type = "private" if chat_id in (None, user_id) else "group"
        cid = self._chat_for(user_id, chat_id, chat_type)
        if caption is not None:
            fields["caption"] = caption
            if entities := user_entities(caption):
                fields["caption_entities"] = entities
        message = self._new_message(cid, self.user(user_id), fields)
        return self._queue(self._update("message", message))["message"]

    def _update(self, kind: str, payload: dict) -> dict:
        return {"update_id": next(self._update_ids), kind: wire(payload)}

    def _queue(self, update: dict) -> dict:
        self._updates.append(update)
        self.delivered.append(update)
        self._wake()
        return update

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def _confirm(self, offset: int) -> None:
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._confirmed = max(self._confirmed, offset - 1)

    # -- internals: HTTP -------------------------------------------------------------------

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        data = self._paths.get(request.match_info["path"])
        if request.match_info["token"] != self.token or data is None:
            raise web.HTTPNotFound()
        if (error := self._injected("file")) is not None:
            return web.json_response(error.body, status=error.body["error_code"])
        return web.Response(body=data, content_type="application/octet-stream")

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await self._read_params(request)
        self.requests.append((method, params))
        handler = getattr(self, f"_api_{method.lower()}", None)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if (error := self._injected(method)) is not None:
                raise error
            if handler is None:
                raise bad_request(f"method {method!r} is not implemented by FakeTelegram")
            result = await handler(params)
            if self.faults is not None and (delay := self.faults.delay()) > 0:
                await asyncio.sleep(delay)
        except ApiError as error:
            return web.json_response(error.body, status=error.body["error_code"])
        finally:
            self._activity.set()
            self._activity = asyncio.Event()
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        """Form fields decoded: JSON-valued fields parsed, uploads as {filename, data, ...}."""
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                data = value.file.read()
                params[key] = {"filename": value.filename, "mime_type": value.content_type}
                params[key]["data"] = data
            elif key in STRING_FIELDS:
                params[key] = value
            else:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
        # PTB sends reply_parameters; mirror the older field so tests need not care.
        if isinstance(params.get("reply_parameters"), dict):
            params.setdefault("reply_to_message_id", params["reply_parameters"].get("message_id"))
        return params

    # -- internals: Bot API methods (found by lower-cased name) ----------------------------

    def _chat_id(self, params: dict) -> int:
        if params.get("chat_id") not in self._chats:
            raise bad_request("chat not found")  # real Telegram: the user never wrote to the bot
        return params["chat_id"]

    def _stored(self, params: dict, action: str = "edit") -> dict:
        message = self._find(self._chat_id(params), params.get("message_id", 0))
        if message is None:
            raise bad_request(f"message to {action} not found")
        if action == "edit" and message["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    @staticmethod
    def _content(params: dict, key: str = "text") -> dict[str, Any]:
        """Stored fields for the text or caption in `params`, enforcing Telegram's limits."""
        raw, entities_key = params.get(key), "entities" if key == "text" else "caption_entities"
        if raw in (None, ""):
            return {}
        plain, entities = render(raw, params.get("parse_mode"), params.get(entities_key))
        if utf16_len(plain) > (TEXT_LIMIT if key == "text" else CAPTION_LIMIT):
            raise bad_request(
                "message is too long" if key == "text" else "message caption is too long"
            )
        fields = {key: raw, f"{key}_plain": plain}
        return {**fields, entities_key: entities} if entities else fields

    def _text(self, params: dict) -> dict[str, Any]:
        fields = self._content(params)
        if not fields.get("text_plain", "").strip():
            raise bad_request("message text is empty")
        return fields

    @staticmethod
    def _markup(params: dict, chat_id: int) -> dict | None:
        """The inline keyboard to store (other keyboards don't show up in a Message).

        A `web_app` button (a Mini App) must open an HTTPS URL and is allowed in private chats
        only, as Telegram has it."""
        markup = params.get("reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        for button in (b for row in markup["inline_keyboard"] for b in row):
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
            if "web_app" in button:
                if chat_id < 0:
                    raise bad_request("BUTTON_TYPE_INVALID")
                if not str((button["web_app"] or {}).get("url", "")).startswith("https://"):
                    raise bad_request("BUTTON_URL_INVALID")
        return markup

    def _bot_send(self, chat_id: int, params: dict, fields: dict) -> dict:
        self._check_group_rate(chat_id)
        reply_to = params.get("reply_to_message_id")
        if reply_to is not None:
            target = self._find(chat_id, reply_to)
            allowed = (params.get("reply_parameters") or {}).get("allow_sending_without_reply")
            if target is None and not allowed:
                raise bad_request("message to be replied not found")
            if target is not None:
                fields["reply_to_message"] = quoted(target)
        if (markup := self._markup(params, chat_id)) is not None:
            fields["reply_markup"] = markup
        self.sent_at.setdefault(chat_id, []).append(time.monotonic())
        return wire(self._new_message(chat_id, dict(self.bot_user), fields))

    def _check_group_rate(self, chat_id: int) -> None:
        """Telegram's documented group limit: a bot sends at most 20 messages a minute to one
        group; beyond that it answers 429 (recorded in `rate_limited`)."""
        if chat_id >= 0:
            return
        now = time.monotonic()
        sent = self._group_sends.setdefault(chat_id, deque())
        while sent and now - sent[0] >= 60:
            sent.popleft()
        if len(sent) >= GROUP_MESSAGES_PER_MINUTE:
            self.rate_limited.append(chat_id)
            wait = max(1, round(60 - (now - sent[0])))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        sent.append(now)

    def _replace(
        self, message: dict, fields: dict, markup: dict | None, content: str = "text"
    ) -> dict:
        """Apply an edit: the new content and keyboard replace the old (no keyboard = none)."""
        entities = "entities" if content == "text" else "caption_entities"
        replaced = (f"{content}_plain", entities, "reply_markup") if fields else ("reply_markup",)
        for key in replaced:
            message.pop(key, None)
        message.update(fields, edit_date=int(time.time()))
        if markup is not None:
            message["reply_markup"] = markup
        return wire(message)

    async def _api_getme(self, params: dict) -> dict:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False}

    async def _api_getupdates(self, params: dict) -> list[dict]:
        if self.webhook["url"]:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        if (offset := int(params.get("offset") or 0)) > 0:
            self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout") or 0)
        while not self._closing:
            if self._updates:
                return self._updates[: int(params.get("limit") or 100)]
            if loop.time() >= deadline:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), deadline - loop.time())
        return []

    async def _api_deletewebhook(self, params: dict) -> bool:
        if params.get("drop_pending_updates") and self._updates:
            self._confirm(self._updates[-1]["update_id"] + 1)
        self.webhook = {"url": "", "secret_token": None}
        return True

    async def _api_setwebhook(self, params: dict) -> bool:
        self.webhook = {"url": params.get("url") or "", "secret_token": params.get("secret_token")}
        return True

    async def _api_getwebhookinfo(self, params: dict) -> dict:
        info = {"url": self.webhook["url"], "has_custom_certificate": False}
        return {**info, "pending_update_count": len(self._updates)}

    async def _api_sendmessage(self, params: dict) -> dict:
        return self._bot_send(self._chat_id(params), params, self._text(params))

    async def _api_editmessagetext(self, params: dict) -> dict:
        message = self._stored(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        fields, markup = self._text(params), self._markup(params, message["chat"]["id"])
        old = (message["text_plain"], message.get("entities"), message.get("reply_markup"))
        if (fields["text_plain"], fields.get("entities"), markup) == old:
            raise bad_request(NOT_MODIFIED)
        edit = {"chat_id": message["chat"]["id"], "message_id": message["message_id"]}
        self.edits.append({**edit, "old_text": message["text"], "text": fields["text"]})
        return self._replace(message, fields, markup)

    async def _api_editmessagereplymarkup(self, params: dict) -> dict:
        message = self._stored(params)
        markup = self._markup(params, message["chat"]["id"])
        if markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        return self._replace(message, {}, markup)

    async def _api_deletemessage(self, params: dict) -> bool:
        message = self._stored(params, "delete")
        self._messages[message["chat"]["id"]].remove(message)
        self.deleted.append((message["chat"]["id"], message["message_id"]))
        return True

    async def _api_setmessagereaction(self, params: dict) -> bool:
        """A bot's reaction on a message (as a non-premium user: at most one; [] clears it),
        stored as the message's `bot_reactions`."""
        message = self._stored(params, "react to")
        reaction = params.get("reaction") or []
        if len(reaction) > 1:
            raise bad_request("REACTIONS_TOO_MANY")
        if any(r.get("type") != "emoji" or r.get("emoji") not in REACTIONS for r in reaction):
            raise bad_request("REACTION_INVALID")
        if reaction and message["chat"]["id"] in self.no_reactions:
            raise bad_request("REACTION_INVALID")
        message["bot_reactions"] = [r["emoji"] for r in reaction]
        return True

    async def _api_answercallbackquery(self, params: dict) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_queries:  # unknown, or answered already
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._open_queries.discard(query_id)
        self.callback_answers[query_id] = params
        return True

    async def _api_getfile(self, params: dict) -> dict:
        if (file_id := str(params.get("file_id"))) not in self._files:
            raise bad_request("invalid file_id")
        return {**self._file_info(file_id), "file_path": self._files[file_id]["path"]}

    async def _api_sendchataction(self, params: dict) -> bool:
        self._chat_id(params)
        return True

    @staticmethod
    def _menu_key(params: dict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if scope.get("type") not in ("default", "chat"):
            raise bad_request(f"scope {scope.get('type')!r} is not implemented by FakeTelegram")
        name = "default" if scope["type"] == "default" else f"chat:{scope.get('chat_id')}"
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")  # ISO 639-1, two letters
        return name, language

    async def _api_setmycommands(self, params: dict) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._menu_key(params)
        self.command_menus[key] = commands
        if key == ("default", ""):
            self.commands = commands
        return True

    async def _api_deletemycommands(self, params: dict) -> bool:
        key = self._menu_key(params)
        self.command_menus.pop(key, None)
        if key == ("default", ""):
            self.commands = []
        return True

    async def _api_getmycommands(self, params: dict) -> list[dict]:
        return self.command_menus.get(self._menu_key(params), [])

    async def _api_answerinlinequery(self, params: dict) -> bool:
        query_id = str(params.get("inline_query_id"))
        if query_id not in self._open_queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        results = params.get("results")
        if not isinstance(results, list) or len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        ids = [str(result.get("id", "")) for result in results]
        if len(set(ids)) != len(ids) or not all(1 <= len(i.encode()) <= 64 for i in ids):
            duplicate = len(set(ids)) != len(ids)
            raise bad_request("RESULT_ID_DUPLICATE" if duplicate else "RESULT_ID_INVALID")
        if len(str(params.get("next_offset") or "").encode()) > 64:
            raise bad_request("NEXT_OFFSET_INVALID")
        button = params.get("button")
        if button is not None and (
            not 1 <= len(button.get("text", "")) <= 64
            or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", button.get("start_parameter", ""))
        ):
            raise bad_request("BUTTON_TEXT_INVALID")
        for result in results:
            if result.get("type") != "article" or not result.get("title"):
                raise bad_request("RESULT_TYPE_INVALID")
            content = result.get("input_message_content") or {}
            text = {"text": content.get("message_text"), "parse_mode": content.get("parse_mode")}
            rendered = self._text({**text, "entities": content.get("entities")})
            result["input_message_content"] = {**content, "text_plain": rendered["text_plain"]}
        self._open_queries.discard(query_id)
        self.inline_answers[query_id] = params
        return True

    def _media(self, params: dict, key: str, kind: str, default_name: str) -> tuple[str, str]:
        """(file_id, file name) of an upload, or of a file Telegram has (sent by file_id)."""
        upload = params.get(key)
        if isinstance(upload, dict):
            name = upload["filename"] or default_name
            return self._register(upload["data"], kind, extension(name)), name
        if isinstance(upload, str) and upload in self._files:
            return upload, self._files[upload]["path"].rsplit("/", 1)[-1]
        raise bad_request("wrong file identifier/HTTP URL specified")

    async def _api_senddocument(self, params: dict) -> dict:
        chat_id = self._chat_id(params)
        file_id, filename = self._media(params, "document", "documents", "document")
        data = self._files[file_id]["data"]
        fields = self._content(params, "caption")
        fields["document"] = {**self._file_info(file_id), "file_name": filename}
        message = self._bot_send(chat_id, params, fields)
        self.documents.append({"chat_id": chat_id, "filename": filename, "data": data})
        self.documents[-1]["caption"] = params.get("caption")
        self.documents[-1]["file_id"] = file_id
        return message

    async def _api_sendphoto(self, params: dict) -> dict:
        chat_id = self._chat_id(params)
        file_id, _ = self._media(params, "photo", "photos", "photo.jpg")
        data = self._files[file_id]["data"]
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        except OSError:
            raise bad_request("IMAGE_PROCESS_FAILED") from None
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        fields = self._content(params, "caption")
        fields["photo"] = [{**self._file_info(file_id), "width": width, "height": height}]
        message = self._bot_send(chat_id, params, fields)
        self.photos.append(
            {"chat_id": chat_id, "file_id": file_id, "data": data, "caption": params.get("caption")}
        )
        self.photos[-1]["message_id"] = message["message_id"]
        return message

    async def _api_editmessagecaption(self, params: dict) -> dict:
        message = self._stored(params)
        if "photo" not in message and "document" not in message:
            raise bad_request("there is no caption in the message to edit")
        fields = self._content(params, "caption")
        markup = self._markup(params, message["chat"]["id"])
        old = (message.get("caption_plain"), message.get("caption_entities"))
        if (fields.get("caption_plain"), fields.get("caption_entities"), markup) == (
            *old,
            message.get("reply_markup"),
        ):
            raise bad_request(NOT_MODIFIED)
        edit = {"chat_id": message["chat"]["id"], "message_id": message["message_id"]}
        self.edits.append({**edit, "old_text": message.get("caption"), "caption": True})
        self.edits[-1]["text"] = fields.get("caption", "")
        return self._replace(message, fields, markup, content="caption")

    async def _api_close(self, params: dict) -> bool:
        return True

    async def _api_logout(self, params: dict) -> bool:
        return True
