"""Telegram's text mechanics: how long a text is as Telegram counts it, and how a long text is
fitted into messages (split at line boundaries, or sent as a file) without cutting anything;
only where one message is all there can be (an inline result) is a text cut, and said so."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.domain.messages import LongText, Text, esc

TELEGRAM_TEXT_LIMIT = 4096
MAX_SPLIT_MESSAGES = 4  # beyond this a file is easier to read than a wall of messages
HEADER_ROOM = 600  # headers and footers are short; this leaves room for them around a body
_TAG = re.compile(r"<[^>]+>")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _hard_cut(line: str, limit: int) -> list[str]:
    pieces: list[str] = []
    while utf16_len(line) > limit:
        cut = limit // 2  # every character is at most 2 units, so this always fits
        while cut < len(line) and utf16_len(line[: cut + 1]) <= limit:
            cut += 1
        pieces.append(line[:cut])
        line = line[cut:]
    return [*pieces, line]


def split_for_telegram(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split at line boundaries so no chunk exceeds `limit`; hard-cut only overlong lines.

    Joining the chunks with newlines gives the text back, except where a line was cut.
    """
    chunks: list[str] = []
    current: str | None = None
    for whole_line in text.split("\n"):
        for line in _hard_cut(whole_line, limit):
            candidate = line if current is None else f"{current}\n{line}"
            if current is not None and utf16_len(candidate) > limit:
                chunks.append(current)
                current = line
            else:
                current = candidate
    chunks.append(current or "")
    return chunks


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes


@dataclass(frozen=True)
class Reply:
    """What to send for one answer: HTML messages in order, and maybe a file after them."""

    texts: list[str]
    document: Document | None = None


def fit(text: Text) -> Reply:
    """A wording (HTML, or header + plain body + footer) as messages within Telegram's limits.

    A body that fits goes in one message; a longer one is split at line boundaries over a few
    messages; a very long one is sent whole as a .txt file, so no text is ever cut off.
    """
    if isinstance(text, str):
        return Reply([text])
    header, body, footer = text.header, text.body, text.footer
    tail = f"\n{footer}" if footer else ""
    if utf16_len(body) <= TELEGRAM_TEXT_LIMIT - HEADER_ROOM:
        return Reply([f"{header}\n{esc(body)}{tail}"])
    chunks = split_for_telegram(body, TELEGRAM_TEXT_LIMIT - HEADER_ROOM)
    if len(chunks) <= MAX_SPLIT_MESSAGES:
        texts = [esc(chunk) for chunk in chunks]
        texts[0] = f"{header}\n{texts[0]}"
        texts[-1] = f"{texts[-1]}{tail}"
        return Reply(texts)
    return Reply([f"{header}\n{text.notice}{tail}"], Document(text.filename, body.encode()))


def fit_one(text: LongText, limit: int = TELEGRAM_TEXT_LIMIT) -> str:
    """A wording as exactly one HTML message, for where no second message or file can follow
    (an inline result): a body too long is cut at a line boundary, and `notice` says so.

    `limit` counts the rendered text, as Telegram does: escaping and tags are not counted.
    """
    header = text.header
    rendered_header = utf16_len(_plain(header))
    room = limit - rendered_header - 1  # the newline after the header
    if utf16_len(text.body) <= room:
        return "\n".join(part for part in (header, esc(text.body)) if part)
    notice = text.notice
    kept = split_for_telegram(text.body, room - utf16_len(notice) - 1)[0]
    return "\n".join(part for part in (header, esc(kept), esc(notice)) if part)


def _plain(html_text: str) -> str:
    """What Telegram shows of our own simple HTML (tags dropped, entities decoded)."""
    return html.unescape(_TAG.sub("", html_text))
