"""A photo's way to a note: refusals, the waiting status, the OCR result, failures, and the
review of unsure lines (prompts, decisions, retyped text)."""

from __future__ import annotations

from bot.domain.i18n import N_, Translator
from bot.domain.lengths import shorten
from bot.domain.messages.common import PREVIEW_LIMIT, LongText, Text, esc, long_text
from bot.domain.models import ConfidenceSource, ImageFlaw, Line, LineState, Note, OcrDelay
from bot.domain.review import MAX_RETYPE_CHARS, TITLE_LIMIT, Refusal

TRIAL_NOTICE = N_(
    "ℹ️ The OCR engine runs in trial mode here (no license), so only the beginning of each "
    "image is recognized. The bot's operator can get full text with an Aspose license, or "
    "with the free RapidOCR engine (OCR_ENGINE=rapidocr). I'll only tell you this once."
)
NOT_AN_IMAGE = N_("That file isn't an image I can read. Please send a photo (JPEG, PNG or WebP).")
TOO_BIG = N_(
    "That file is larger than 20 MB, which is more than I can download. "
    "Please send a smaller photo."
)
ENGINE_FAILED = N_(
    "Sorry, I couldn't read that image because the OCR engine failed. Please try again later."
)
ENGINE_TIMEOUT = N_(
    "Sorry, that image took too long to read. Please try a smaller or clearer photo."
)
DOWNLOAD_FAILED = N_("Sorry, I couldn't download that image from Telegram. Please send it again.")
ALBUM_UNREADABLE = N_("Sorry, I couldn't read any page of that album.")
GIVING_UP = N_("Sorry, I tried several times and couldn't read that image.")
QUEUE_FULL = N_("I'm very busy right now. Please send that photo again in a minute.")
NOTHING_TO_RETYPE = N_(
    "I'm not waiting for a correction right now. Send me a photo of your notes, "
    "or use /search to find one."
)
ALREADY_RESOLVED = N_("That line was already reviewed.")

# Review buttons and the toasts of their presses.
KEEP_BUTTON = N_("Keep")
RETYPE_BUTTON = N_("Retype")
DROP_BUTTON = N_("Drop")
KEPT = N_("Kept.")
DROPPED = N_("Dropped.")
SEND_CORRECTION = N_("Send me the correct text.")

IMAGE_FLAWS = {
    ImageFlaw.EMPTY: N_("That file is empty, so there is nothing to read."),
    ImageFlaw.BOMB: N_("That image is far too large to process."),
    ImageFlaw.NOT_AN_IMAGE: N_("I couldn't open that file as an image. Is it a photo?"),
    ImageFlaw.FORMAT: N_("I can't read {detail} images. Please send a JPEG, PNG or WebP photo."),
    ImageFlaw.ANIMATED: N_("That's an animated image. Please send a still photo of your notes."),
    ImageFlaw.TOO_SMALL: N_("That image is too small to contain readable text."),
    ImageFlaw.TOO_LARGE: N_("That image is too large ({detail}). Please send a smaller photo."),
    ImageFlaw.TOO_BIG_FILE: TOO_BIG,
    ImageFlaw.DAMAGED: N_("That image seems to be damaged; I couldn't read it."),
    ImageFlaw.REFUSED: N_(
        "The OCR engine can't read an image of this shape ({detail}). Please crop it closer "
        "to the text, or send a photo of the whole page."
    ),
}
REFUSALS = {
    Refusal.EMPTY_LINE: N_("That correction is empty. Please send the text of the line."),
    Refusal.LONG_LINE: N_(
        "That's longer than {limit} characters; a line is usually much shorter. "
        "Please send just the text of this line."
    ),
    Refusal.EMPTY_TITLE: N_("That title is empty. Please send the new title as text."),
    Refusal.LONG_TITLE: N_("Titles can be at most {limit} characters. Please send a shorter one."),
}
_LIMITS = {Refusal.LONG_LINE: MAX_RETYPE_CHARS, Refusal.LONG_TITLE: TITLE_LIMIT}


def image_flaw(t: Translator, flaw: ImageFlaw, detail: str = "") -> str:
    """Why an image can't be read, for its sender (plain text)."""
    return t(IMAGE_FLAWS[flaw], detail=detail)


def refusal(t: Translator, reason: Refusal) -> str:
    """Why a correction or title was not stored (plain text)."""
    return t(REFUSALS[reason], limit=t.number(_LIMITS.get(reason, 0)))


def job_refused(t: Translator, reason: str, max_pending: int) -> str:
    if reason == "duplicate":
        return t.gettext("I'm already reading this photo; the result will appear above.")
    if reason == "user_limit":
        return t.ngettext(
            "You already have {count} photo waiting to be read. "
            "Please send this one again when it is done.",
            "You already have {count} photos waiting to be read. "
            "Please send this one again when they are done.",
            max_pending,
            count=t.number(max_pending),
        )
    return t(QUEUE_FULL)


# The bot's reaction on each photo it did not take in a burst (one of the emoji Telegram lets
# bots react with); the notice for them all names it.
REFUSED_MARK = "👎"


def photos_refused(t: Translator, reason: str, count: int, max_pending: int) -> str:
    """One notice for `count` photos of a burst not taken, each marked with REFUSED_MARK (a
    reply to the first); for one photo, its own refusal (a reply to it)."""
    if count <= 1:
        return job_refused(t, reason, max_pending)
    marked = t.ngettext(
        "I didn't take the {count} photo marked {mark}.",
        "I didn't take the {count} photos marked {mark}.",
        count,
        count=t.number(count),
        mark=REFUSED_MARK,
    )
    if reason == "queue_full":
        why = t.gettext("I'm very busy right now: please send them again in a minute.")
    else:
        why = t.ngettext(
            "You already have {count} photo waiting to be read: please send them again "
            "when it is done.",
            "You already have {count} photos waiting to be read: please send them again "
            "when they are done.",
            max_pending,
            count=t.number(max_pending),
        )
    return f"{marked} {why}"


def working(t: Translator, position: int, pages: int = 1) -> str:
    """Status while a photo waits: its place in the queue when others are ahead of it."""
    if pages == 1:
        status = t.gettext("🔎 Recognizing your notes…")
    else:
        status = t.gettext("🔎 Recognizing your {count} pages…", count=t.number(pages))
    if position <= 0:
        return status
    ahead = t.ngettext(
        "⏳ {count} photo ahead of yours.",
        "⏳ {count} photos ahead of yours.",
        position,
        count=t.number(position),
    )
    return f"{status}\n{ahead}"


OCR_DELAYS = {
    OcrDelay.UNREACHABLE: N_(
        "⏳ Reading is delayed: the reading service can't be reached right now. Your photo is "
        "saved and will be read as soon as the service is back."
    ),
    OcrDelay.NO_WORKER: N_(
        "⏳ Reading is delayed: no reader is running right now. Your photo is saved and will "
        "be read as soon as one starts."
    ),
}


def reading(t: Translator, delay: OcrDelay | None, pages: int = 1) -> str:
    """Status while a photo is being read; when OCR can't run now, also why it waits."""
    status = working(t, 0, pages)
    return status if delay is None else f"{status}\n{t(OCR_DELAYS[delay])}"


def skipped_page(t: Translator, page: int, reason: str) -> str:
    return t.gettext("page {page}: {reason}", page=t.number(page), reason=reason)


def confidence_label(t: Translator, line: Line) -> str:
    """The percentage and where it came from (the engine's own needs no word)."""
    percent = t.percent(line.confidence)
    source = line.confidence_source
    if source is ConfidenceSource.ESTIMATE:
        return t.gettext("{percent} (estimated)", percent=percent)
    if source is ConfidenceSource.CROSSCHECK:  # a second engine re-read the line
        return t.gettext("{percent} (cross-checked)", percent=percent)
    if source is ConfidenceSource.CALIBRATED:  # RapidOCR's score, calibrated
        return t.gettext("{percent} (calibrated)", percent=percent)
    return percent


def ocr_result(t: Translator, note: Note, *, trial: bool, skipped: list[str] | None = None) -> Text:
    """First reply after OCR: the accepted lines and how many lines wait for review."""
    accepted = [line for line in note.lines if line.state is LineState.ACCEPTED]
    pending = note.pending_lines
    header = t.gettext("📝 <b>Note #{id}</b>", id=note.id)
    if note.title and (not accepted or note.title != accepted[0].text):
        header += f" · {esc(note.title)}"
    if skipped:
        header += "\n" + "\n".join(
            t.gettext("⚠️ Skipped {reason}", reason=esc(reason)) for reason in skipped
        )
    if not note.lines:
        empty = t.gettext("I couldn't find any text in that image.")
        if trial:
            empty += " " + t.gettext(
                "(The engine is in trial mode and only reads the start of each image.)"
            )
        return f"{header}\n{empty}"
    if pending:
        footer = "\n" + t.ngettext(
            "⚠️ {count} line needs your review below.",
            "⚠️ {count} lines need your review below.",
            len(pending),
            count=t.number(len(pending)),
        )
    else:
        footer = "\n" + t.gettext("✅ Saved.")
    if not accepted:
        unclear = t.gettext("<i>No line was clear enough to accept on its own.</i>")
        return f"{header}\n{unclear}{footer}"
    body = "\n".join(line.text for line in accepted)
    return long_text(t, header, body, footer, f"note-{note.id}.txt")


def _code(line: Line, limit: int = PREVIEW_LIMIT) -> str:
    return f"<code>{esc(shorten(line.text, limit))}</code>"


def review_prompt(t: Translator, line: Line) -> str:
    label = t.gettext(
        "❓ Line {number} · {confidence}",
        number=t.number(line.position + 1),
        confidence=confidence_label(t, line),
    )
    return f"{label}\n{_code(line)}"


def review_done(t: Translator, line: Line) -> str:
    number = t.number(line.position + 1)
    if line.state is LineState.KEPT:
        return t.gettext("✅ Kept line {number}: {text}", number=number, text=_code(line))
    if line.state is LineState.RETYPED:
        return t.gettext("✏️ Retyped line {number}: {text}", number=number, text=_code(line))
    if line.state is LineState.DROPPED:
        text = f"<s>{esc(shorten(line.text, PREVIEW_LIMIT))}</s>"
        return t.gettext("🗑 Dropped line {number}: {text}", number=number, text=text)
    return review_prompt(t, line)


def retype_request(t: Translator, line: Line) -> str:
    return t.gettext(
        "✏️ Send me the correct text for line {number} (now {text}), or /cancel.",
        number=t.number(line.position + 1),
        text=_code(line, 500),
    )


def line_saved(t: Translator, line: Line, note: Note) -> str:
    return t.gettext(
        "✏️ Saved line {number} of note #{id}.", number=t.number(line.position + 1), id=note.id
    )


def note_complete(t: Translator, note: Note) -> LongText:
    header = t.gettext("✅ <b>Note #{id} is complete.</b>", id=note.id) + "\n"
    body = note.text or t.gettext("(no lines left)")
    return long_text(t, header, body, filename=f"note-{note.id}.txt")


def duplicate_photo(t: Translator, note: Note) -> LongText:
    header = t.gettext(
        "You sent this photo before: it's <b>note #{id}</b> from {date}. "
        "/notes lists all your notes.",
        id=note.id,
        date=t.date_time(note.created_at),
    )
    body = note.text or t.gettext("(empty)")
    return long_text(t, header + "\n", body, filename=f"note-{note.id}.txt")
