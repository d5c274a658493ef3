"""Telegram's text mechanics: how long an HTML text is once Telegram has parsed it, and how a
long text is fitted into messages (split at line boundaries, or sent as a file) without cutting
anything; only where one message is all there can be (an inline result, a caption, an edit) is
a text cut, visibly ("…", or a notice that says so). Lengths are Telegram's (UTF-16 units,
`bot.domain.lengths`)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.domain.lengths import ELLIPSIS, prefix_within
from bot.domain.lengths import telegram_length as utf16_len
from bot.domain.messages import LongText, Text, esc

TELEGRAM_TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024  # a photo's or a file's caption
MAX_SPLIT_MESSAGES = 4  # beyond this a file is easier to read than a wall of messages
HEADER_ROOM = 600  # headers and footers are short; this leaves room for them around a body
_TAG = re.compile(r"<[^>]+>")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)|([^<]+)")
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z0-9-]+)")


def rendered_length(html_text: str) -> int:
    """The length Telegram counts for our HTML: tags dropped, entities decoded, UTF-16."""
    return utf16_len(_plain(html_text))


def shorten_html(html_text: str, limit: int) -> str:
    """Our HTML as it is if Telegram would count at most `limit` units of it; else cut so it
    does, ending with "…" and with every tag still open closed again. For where one message
    is all there can be (a caption, an edit): shortened visibly rather than refused."""
    if rendered_length(html_text) <= limit:
        return html_text
    room = limit - utf16_len(ELLIPSIS)
    kept: list[str] = []
    open_tags: list[str] = []
    for match in _TAG_OR_TEXT.finditer(html_text):
        tag, text = match.group(1), match.group(2)
        if tag is not None:
            name = _TAG_NAME.match(tag)
            if name is not None and not tag.endswith("/>"):
                if tag.startswith("</"):
                    if open_tags:
                        open_tags.pop()
                else:
                    open_tags.append(name.group(1))
            kept.append(tag)
            continue
        plain = html.unescape(text)
        if utf16_len(plain) <= room:
            kept.append(text)
            room -= utf16_len(plain)
            continue
        kept.append(esc(prefix_within(plain, room).rstrip()))
        break
    closing = "".join(f"</{name}>" for name in reversed(open_tags))
    return "".join(kept) + ELLIPSIS + closing


def _hard_cut(line: str, limit: int) -> list[str]:
    pieces: list[str] = []
    while utf16_len(line) > limit:
        piece = prefix_within(line, limit) or line[0]  # (a limit of one unit: never 0 progress)
        pieces.append(piece)
        line = line[len(piece) :]
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
        return Reply([shorten_html(text, TELEGRAM_TEXT_LIMIT)])
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
