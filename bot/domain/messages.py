"""Everything the bot says, as Telegram HTML: the wording, not how it is sent.

All recognized or user-typed text goes through `esc`, so OCR output like `<b>` or `&amp;` is
shown as text, never interpreted. A note's text can be long: it comes back as `LongText`
(header, plain body, footer), and `bot.telegram.text` fits it into Telegram's limits.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from bot.domain.languages import label
from bot.domain.metrics import DurationSummary
from bot.domain.models import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    ConfidenceSource,
    ImageFlaw,
    Line,
    LineState,
    Note,
    SearchHit,
)
from bot.domain.paging import Page
from bot.domain.review import MAX_RETYPE_CHARS, TITLE_LIMIT, Refusal

# A line shown in a prompt: short enough for a photo's caption (1024 characters) with its
# header; an OCR line is rarely longer, a retyped one at most MAX_RETYPE_CHARS.
PREVIEW_LIMIT = 800

HELP = (
    "<b>Notes from photos</b>\n"
    "Send me a photo of handwritten notes or a whiteboard (or an image as a file, or an album) "
    "and I'll turn it into searchable text. A caption becomes the note's title.\n\n"
    "Lines I'm sure of are saved straight away. Lines I'm unsure of come with buttons: "
    "<b>Keep</b> it, <b>Retype</b> it (then send me the right text), or <b>Drop</b> it.\n\n"
    "<b>Commands</b>\n"
    "/notes — your notes, newest first\n"
    "/search <i>words</i> — find your notes\n"
    "/export — all your notes as a file (Markdown, text or JSON)\n"
    "/lang — the language I read (e.g. <code>/lang German</code>)\n"
    "/threshold <i>N</i> — how sure (in %) I must be to accept a line\n"
    "/cancel — stop retyping a line or renaming a note\n"
    "/forget — delete all your data\n"
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
SEARCH_USAGE = "Tell me what to look for, e.g. <code>/search shopping list</code>"
RETYPE_CANCELLED = "OK, cancelled. Nothing was changed."
NO_RETYPE_TO_CANCEL = "There's nothing to cancel."
UNKNOWN_COMMAND = "I don't know that command. /help lists what I can do."
PRIVATE_ONLY = "Your notes are private, so I only show them in a private chat with me."
NO_NOTES = "You have no notes yet. Send me a photo of your notes to make the first one."
NOTE_GONE = "That note no longer exists."
NOTE_DELETED = "🗑 Note deleted."
SEARCH_EXPIRED = "Those search results have expired. Please search again."
EXPORT_CHOOSE = "Which format would you like your notes in?"
EXPORT_EMPTY = "You have no notes to export yet."
EXPORT_TOO_BIG = "Your export is larger than Telegram lets me send (50 MB), even zipped."
FORGET_KEPT = "OK, I kept everything."
NOT_ADMIN = "That command is only for the bot's administrators."
THRESHOLD_USAGE = (
    "Send a percentage from 0 to 100, e.g. <code>/threshold 60</code>, "
    "or <code>/threshold default</code>."
)
LANGUAGE_UNKNOWN = "I don't know that language. Choose one from the list:"
LANGUAGES_UNAVAILABLE = "Sorry, I can't get the engine's language list right now. Try again later."
LANGUAGE_CHECK_UNAVAILABLE = "Sorry, I can't check that language right now. Try again later."
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


# Button labels.
KEEP_BUTTON = "Keep"
RETYPE_BUTTON = "Retype"
DROP_BUTTON = "Drop"
PREV = "« Prev"
NEXT = "Next »"
ALL_LANGUAGES = "All languages »"
USE_DEFAULT_LANGUAGE = "Use the default"
REVIEW_PENDING_BUTTON = "Review pending lines"
SHOW_PHOTO_BUTTON = "Show photo"
SHOW_PHOTOS_BUTTON = "Show photos"
SENDING_PHOTOS = "Here they come."
RENAME_BUTTON = "Rename"
DELETE_BUTTON = "Delete"
BACK_TO_RESULTS = "« Back to results"
BACK_TO_NOTES = "« Back to notes"
CONFIRM_DELETE_BUTTON = "Yes, delete it"
KEEP_NOTE_BUTTON = "No, keep it"
FORGET_BUTTON = "Yes, delete everything"
KEEP_DATA_BUTTON = "No, keep my notes"


def open_note_button(note_id: int) -> str:
    return f"Open #{note_id}"


# Short answers to a button press (shown as a toast) and to commands.
KEPT = "Kept."
DROPPED = "Dropped."
SEND_CORRECTION = "Send me the correct text."
SEND_TITLE = "Send me the new title."
PREPARING_EXPORT = "Preparing your file…"
DELETED = "Deleted."
CHECKING = "Checking…"
NOT_ALLOWED = "Sorry, this bot is private."
SOMETHING_WENT_WRONG = "Sorry, something went wrong. Please try again."

IMAGE_FLAWS = {
    ImageFlaw.EMPTY: "That file is empty, so there is nothing to read.",
    ImageFlaw.BOMB: "That image is far too large to process.",
    ImageFlaw.NOT_AN_IMAGE: "I couldn't open that file as an image. Is it a photo?",
    ImageFlaw.FORMAT: "I can't read {detail} images. Please send a JPEG, PNG or WebP photo.",
    ImageFlaw.ANIMATED: "That's an animated image. Please send a still photo of your notes.",
    ImageFlaw.TOO_SMALL: "That image is too small to contain readable text.",
    ImageFlaw.TOO_LARGE: "That image is too large ({detail}). Please send a smaller photo.",
    ImageFlaw.TOO_BIG_FILE: TOO_BIG,
    ImageFlaw.DAMAGED: "That image seems to be damaged; I couldn't read it.",
}
REFUSALS = {
    Refusal.EMPTY_LINE: "That correction is empty. Please send the text of the line.",
    Refusal.LONG_LINE: (
        f"That's longer than {MAX_RETYPE_CHARS} characters; a line is usually much shorter. "
        "Please send just the text of this line."
    ),
    Refusal.EMPTY_TITLE: "That title is empty. Please send the new title as text.",
    Refusal.LONG_TITLE: (
        f"Titles can be at most {TITLE_LIMIT} characters. Please send a shorter one."
    ),
}


def image_flaw(flaw: ImageFlaw, detail: str = "") -> str:
    """Why an image can't be read, for its sender (plain text)."""
    return IMAGE_FLAWS[flaw].format(detail=detail)


def refusal(reason: Refusal) -> str:
    """Why a correction or title was not stored (plain text)."""
    return REFUSALS[reason]


def line_saved(line: Line, note: Note) -> str:
    return f"✏️ Saved line {line.position + 1} of note #{note.id}."


def skipped_page(page: int, reason: str) -> str:
    return f"page {page}: {reason}"


def long_text_notice(lines: int) -> str:
    return f"📄 The text is long ({lines} lines), so it's in the file below."


def exporting(fmt_label: str) -> str:
    return f"📦 Exporting your notes as {fmt_label}…"


def esc(text: str) -> str:
    return html.escape(text, quote=False)


@dataclass(frozen=True)
class LongText:
    """A message whose body may be long: `header` and `footer` are HTML, `body` is plain text
    (escaped when sent). If the body is too long for one message it is split, or sent as the
    file `filename`; it is never cut."""

    header: str
    body: str
    footer: str = ""
    filename: str = "note.txt"


Text = str | LongText


def job_refused(reason: str, max_pending: int) -> str:
    if reason == "duplicate":
        return "I'm already reading this photo; the result will appear above."
    if reason == "user_limit":
        return (
            f"You already have {max_pending} photo(s) waiting to be read. "
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


def ocr_result(note: Note, *, trial: bool, skipped: list[str] | None = None) -> Text:
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
    if pending:
        word = "line needs" if len(pending) == 1 else "lines need"
        footer = f"\n⚠️ {len(pending)} {word} your review below."
    else:
        footer = "\n✅ Saved."
    if not accepted:
        return f"{header}\n<i>No line was clear enough to accept on its own.</i>{footer}"
    body = "\n".join(line.text for line in accepted)
    return LongText(header, body, footer, f"note-{note.id}.txt")


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
        return (
            f"🗑 Dropped line {line.position + 1}: <s>{esc(_truncate(line.text, PREVIEW_LIMIT))}</s>"
        )
    return review_prompt(line)


def retype_request(line: Line) -> str:
    return (
        f"✏️ Send me the correct text for line {line.position + 1} "
        f"(now <code>{esc(_truncate(line.text, 500))}</code>), or /cancel."
    )


def note_complete(note: Note) -> LongText:
    return LongText(
        f"✅ <b>Note #{note.id} is complete.</b>\n",
        note.text or "(no lines left)",
        filename=f"note-{note.id}.txt",
    )


def duplicate_photo(note: Note) -> LongText:
    return LongText(
        f"You sent this photo before: it's <b>note #{note.id}</b> from "
        f"{format_date(note.created_at)}. /notes lists all your notes.\n",
        note.text or "(empty)",
        filename=f"note-{note.id}.txt",
    )


def highlight(snippet: str) -> str:
    """Escape a search snippet, then turn the storage's highlight markers into bold."""
    return esc(snippet).replace(HIGHLIGHT_START, "<b>").replace(HIGHLIGHT_END, "</b>")


def _page_label(page: Page) -> str:
    return f" (page {page.number + 1} of {page.count})" if page.count > 1 else ""


def search_results(query: str, hits: list[SearchHit], page: Page) -> str:
    if not hits:
        return f"No notes match <i>{esc(_truncate(query, 100))}</i>."
    total = page.total
    lines = [
        f"🔍 {total} note{'s' if total != 1 else ''} match <i>{esc(_truncate(query, 100))}</i>"
        f"{_page_label(page)}:"
    ]
    for hit in hits:
        title = f" — {esc(hit.title)}" if hit.title else ""
        lines.append(
            f"\n<b>#{hit.note_id}</b> · {format_date(hit.created_at)}{title}\n"
            f"{highlight(hit.snippet.replace(chr(10), ' / '))}"
        )
    return "\n".join(lines)


# --- note management ---

EMPTY_NOTE = "(empty)"


def note_button(note: Note) -> str:
    """A note in the /notes keyboard: number, date, title (or first line), ⚠️ if unreviewed."""
    title = note.title or (note.lines[0].text if note.lines else EMPTY_NOTE)
    title = " ".join(title.split())
    if len(title) > 40:
        title = title[:39].rstrip() + "…"
    pending = " ⚠️" if note.pending_lines else ""
    return f"#{note.id} · {note.created_at:%d %b} · {title}{pending}"


def _summary(note: Note) -> str:
    lines = len(note.visible_lines)
    text = f"{format_date(note.created_at)} · {lines} line{'s' if lines != 1 else ''}"
    if note.pending_lines:
        text += f", {len(note.pending_lines)} awaiting review"
    return text


def notes_list(notes: list[Note], page: Page) -> str:
    if not notes:
        return NO_NOTES
    header = f"🗒 <b>Your notes</b> ({page.total}){_page_label(page)}. Tap one to open it."
    rows = []
    for note in notes:
        title = f" · {esc(note.title)}" if note.title else ""
        rows.append(f"<b>#{note.id}</b>{title}\n{_summary(note)}")
    return header + "\n\n" + "\n\n".join(rows)


def note_view(note: Note) -> LongText:
    """A whole note: title, date, every line not dropped (pending ones marked)."""
    title = f" · {esc(note.title)}" if note.title else ""
    header = f"📝 <b>Note #{note.id}</b>{title}\n<i>{_summary(note)}</i>\n"
    body = "\n".join(
        f"⚠️ {line.text}" if line.state is LineState.PENDING else line.text
        for line in note.visible_lines
    )
    footer = "\n⚠️ marks lines that still need your review." if note.pending_lines else ""
    return LongText(header, body or "(no lines)", footer, f"note-{note.id}.txt")


def page_caption(note: Note, page: int, pages: int) -> str:
    """The caption of a note's photo sent again: which note, which page."""
    title = f" · {esc(note.title)}" if note.title else ""
    which = f" (page {page + 1} of {pages})" if pages > 1 else ""
    return f"📝 <b>Note #{note.id}</b>{title}{which}"


def confirm_delete(note: Note) -> str:
    title = f" ({esc(note.title)})" if note.title else ""
    return f"Delete <b>note #{note.id}</b>{title} for good? This can't be undone."


def rename_prompt(note: Note) -> str:
    current = f" (now <i>{esc(note.title)}</i>)" if note.title else ""
    return f"✏️ Send me the new title for note #{note.id}{current}, or /cancel."


def renamed(note: Note) -> str:
    return f"✏️ Note #{note.id} is now called <b>{esc(note.title or '')}</b>."


def review_again(count: int) -> str:
    if count == 0:
        return "No line of this note needs review any more."
    return f"Here {'is' if count == 1 else 'are'} the {count} line(s) to review again."


def export_caption(count: int, fmt_label: str, zipped: bool) -> str:
    packed = " (zipped: it was large)" if zipped else ""
    return f"📦 {count} note{'s' if count != 1 else ''} as {fmt_label}{packed}."


def confirm_forget(notes: int) -> str:
    return (
        f"This deletes <b>all your data</b>: {notes} note{'s' if notes != 1 else ''}, "
        "their lines, your settings and any photo still waiting. It can't be undone. Sure?"
    )


def forgotten(notes: int) -> str:
    return f"Done. I deleted {notes} note{'s' if notes != 1 else ''} and everything else of yours."


# --- settings ---


def language_menu(current: str, default: str) -> str:
    note = " (the default)" if current == default else f" (default: {esc(label(default))})"
    return f"🌐 I read your photos as <b>{esc(label(current))}</b>{note}. Choose another:"


def language_set(code: str) -> str:
    return f"🌐 From now on I read your photos as <b>{esc(label(code))}</b>."


def language_unavailable(code: str) -> str:
    return (
        f"Reading {esc(label(code))} needs an extra Aspose model that isn't installed on this "
        "server (and it can't be downloaded here). Please choose another language with /lang."
    )


def threshold_status(current: float, default: float, is_default: bool) -> str:
    own = " (the default)" if is_default else f" (default {default:g}%)"
    return (
        f"🎚 I accept a line on its own when I'm at least <b>{current:g}%</b> sure{own}.\n"
        "Lower lines wait for your review. Change it with <code>/threshold 60</code> "
        "or <code>/threshold default</code>."
    )


def threshold_set(value: float) -> str:
    return (
        f"🎚 Done: I'll accept lines I'm at least <b>{value:g}%</b> sure of; the rest I'll ask you."
    )


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def stats(
    counts: dict[str, int],
    *,
    in_flight: int,
    workers: int,
    ocr: DurationSummary,
    licensed: bool | None,
    warm_up_s: float | None,
    uptime_s: float,
    queue: str = "",
) -> str:
    """`queue` is `ocr_queue(...)`'s line when OCR goes through a task queue."""
    mode = {True: "licensed", False: "trial (output truncated)", None: "not known yet"}[licensed]
    return (
        "📊 <b>Bot statistics</b>\n"
        f"Users: {counts['users']}\n"
        f"Notes: {counts['notes']} ({counts['lines']} lines)\n"
        f"Photos waiting or running: {counts['unfinished_jobs']} "
        f"(OCR calls in flight: {in_flight} on {workers} worker(s))\n"
        f"{queue}"
        f"OCR time over the last {ocr.count}: p50 {_seconds(ocr.p50)}, p95 {_seconds(ocr.p95)}\n"
        f"Engine: {mode}; warm-up {_seconds(warm_up_s)}\n"
        f"Uptime: {uptime_s / 3600:.1f} h"
    )


def ocr_queue(queued: int | None, worker_names: tuple[str, ...]) -> str:
    """The task queue's line in /stats: tasks waiting in Redis and the workers that answered."""
    if queued is None:
        return "OCR queue: <b>Redis unreachable</b>\n"
    names = ", ".join(esc(name) for name in worker_names) or "none answered"
    return f"OCR queue: {queued} waiting in Redis; workers: {names}\n"
