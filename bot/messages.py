"""Everything the bot says, rendered as Telegram HTML.

All recognized or user-typed text goes through `esc`, so OCR output like `<b>` or `&amp;` is
shown as text, never interpreted.
"""

from __future__ import annotations

import html
from datetime import datetime

from bot.config import Settings
from bot.models import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    ConfidenceSource,
    Line,
    LineState,
    Note,
    SearchHit,
)

TELEGRAM_TEXT_LIMIT = 4096
PREVIEW_LIMIT = 3000  # room for headers around a note's text in one message

HELP = (
    "<b>Notes from photos</b>\n"
    "Send me a photo of handwritten notes or a whiteboard (or an image as a file) and I'll turn "
    "it into searchable text.\n\n"
    "Lines I'm sure of are saved straight away. Lines I'm unsure of come with buttons: "
    "<b>Keep</b> it, <b>Retype</b> it (then send me the right text), or <b>Drop</b> it.\n\n"
    "<b>Commands</b>\n"
    "/search <i>words</i> — find your notes\n"
    "/cancel — stop retyping a line\n"
    "/help — this message\n\n"
    "Your notes are private to you."
)

WORKING = "🔎 Recognizing your notes…"
TRIAL_NOTICE = (
    "ℹ️ The OCR engine runs in trial mode here (no license), so only the beginning of each "
    "image is recognized. I'll only tell you this once."
)
NOT_AN_IMAGE = "That file isn't an image I can read. Please send a photo (JPEG, PNG or WebP)."
TOO_BIG = (
    "That file is larger than 20 MB, which is more than I can download. "
    "Please send a smaller photo."
)
UNSUPPORTED_MESSAGE = "I can only read photos of notes. Send me a photo, or /help to see what I do."
NOTHING_TO_RETYPE = (
    "I'm not waiting for a correction right now. Send me a photo of your notes, "
    "or use /search to find one."
)
EDITED_IGNORED = "I only read new messages, not edits. Please send it again as a new message."
SEARCH_PRIVATE_ONLY = "Your notes are private, so I only search them in a private chat with me."
SEARCH_USAGE = "Tell me what to look for, e.g. <code>/search shopping list</code>"
RETYPE_CANCELLED = "OK, no correction. The line is still waiting for Keep, Retype or Drop."
NO_RETYPE_TO_CANCEL = "There's nothing to cancel."
ENGINE_FAILED = (
    "Sorry, I couldn't read that image because the OCR engine failed. Please try again later."
)
ENGINE_TIMEOUT = "Sorry, that image took too long to read. Please try a smaller or clearer photo."
DOWNLOAD_FAILED = "Sorry, I couldn't download that image from Telegram. Please send it again."
ALBUM_UNREADABLE = "Sorry, I couldn't read any page of that album."
GIVING_UP = "Sorry, I tried several times and couldn't read that image."
QUEUE_FULL = "I'm very busy right now. Please send that photo again in a minute."
STALE_BUTTON = "This button is no longer valid."
NOT_YOURS = "Sorry, that button isn't for you."
ALREADY_RESOLVED = "That line was already reviewed."


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def job_refused(reason: str, settings: Settings) -> str:
    if reason == "duplicate":
        return "I'm already reading this photo; the result will appear above."
    if reason == "user_limit":
        return (
            f"You already have {settings.max_pending_per_user} photo(s) waiting to be read. "
            "Please send this one again when they are done."
        )
    return QUEUE_FULL


def working(position: int, pages: int = 1) -> str:
    """Status while a photo waits: its place in the queue when others are ahead of it."""
    status = WORKING if pages == 1 else f"🔎 Recognizing your {pages} pages…"
    return status if position <= 0 else f"{status}\n⏳ {position} photo(s) ahead of yours."


def percent(confidence: float) -> str:
    return f"{round(confidence * 100)}%"


def confidence_label(line: Line) -> str:
    suffix = " (estimated)" if line.confidence_source is ConfidenceSource.ESTIMATE else ""
    return f"{percent(line.confidence)}{suffix}"


def format_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def ocr_result(note: Note, *, trial: bool, skipped: list[str] | None = None) -> str:
    """First reply after OCR: the accepted lines and how many lines wait for review."""
    accepted = [line for line in note.lines if line.state is LineState.ACCEPTED]
    pending = note.pending_lines
    header = f"📝 <b>Note #{note.id}</b>"
    if note.title and (not accepted or note.title != accepted[0].text):
        header += f" · {esc(note.title)}"
    if skipped:
        header += "\n" + "\n".join(f"⚠️ Skipped {esc(reason)}" for reason in skipped)
    if not note.lines:
        empty = "I couldn't find any text in that image."
        if trial:
            empty += " (The engine is in trial mode and only reads the start of each image.)"
        return f"{header}\n{empty}"
    parts = [header]
    if accepted:
        body = "\n".join(line.text for line in accepted)
        parts.append(esc(_truncate(body, PREVIEW_LIMIT)))
    else:
        parts.append("<i>No line was clear enough to accept on its own.</i>")
    if pending:
        word = "line needs" if len(pending) == 1 else "lines need"
        parts.append(f"\n⚠️ {len(pending)} {word} your review below.")
    else:
        parts.append("\n✅ Saved.")
    return "\n".join(parts)


def review_prompt(line: Line) -> str:
    return (
        f"❓ Line {line.position + 1} · {confidence_label(line)}\n"
        f"<code>{esc(_truncate(line.text, PREVIEW_LIMIT))}</code>"
    )


def review_done(line: Line) -> str:
    text = f"<code>{esc(_truncate(line.text, PREVIEW_LIMIT))}</code>"
    if line.state is LineState.KEPT:
        return f"✅ Kept line {line.position + 1}: {text}"
    if line.state is LineState.RETYPED:
        return f"✏️ Retyped line {line.position + 1}: {text}"
    if line.state is LineState.DROPPED:
        return f"🗑 Dropped line {line.position + 1}: <s>{esc(line.text)}</s>"
    return review_prompt(line)


def retype_request(line: Line) -> str:
    return (
        f"✏️ Send me the correct text for line {line.position + 1} "
        f"(now <code>{esc(_truncate(line.text, 500))}</code>), or /cancel."
    )


def note_complete(note: Note) -> str:
    body = note.text or "(no lines left)"
    return f"✅ <b>Note #{note.id} is complete.</b>\n\n{esc(_truncate(body, PREVIEW_LIMIT))}"


def duplicate_photo(note: Note) -> str:
    return (
        f"You sent this photo before: it's <b>note #{note.id}</b> from "
        f"{format_date(note.created_at)}.\n\n"
        f"{esc(_truncate(note.text or '(empty)', PREVIEW_LIMIT))}"
    )


def highlight(snippet: str) -> str:
    """Escape a search snippet, then turn the storage's highlight markers into bold."""
    return esc(snippet).replace(HIGHLIGHT_START, "<b>").replace(HIGHLIGHT_END, "</b>")


def search_results(query: str, hits: list[SearchHit], total: int) -> str:
    if not hits:
        return f"No notes match <i>{esc(_truncate(query, 100))}</i>."
    lines = [
        f"🔍 {total} note{'s' if total != 1 else ''} match <i>{esc(_truncate(query, 100))}</i>:"
    ]
    for hit in hits:
        title = f" — {esc(hit.title)}" if hit.title else ""
        lines.append(
            f"\n<b>#{hit.note_id}</b> · {format_date(hit.created_at)}{title}\n"
            f"{highlight(hit.snippet.replace(chr(10), ' / '))}"
        )
    return "\n".join(lines)


def split_for_telegram(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split at line boundaries so no chunk exceeds Telegram's limit; hard-cut overlong lines."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks
