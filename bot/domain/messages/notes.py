"""Finding and managing notes: /notes, an opened note, renaming and deleting, /search, inline
results, /export and /forget."""

from __future__ import annotations

from bot.domain.i18n import N_, Translator
from bot.domain.lengths import shorten
from bot.domain.messages.common import NOTE_NUMBER, LongText, esc, long_text, page_label
from bot.domain.models import HIGHLIGHT_END, HIGHLIGHT_START, LineState, Note, SearchHit
from bot.domain.paging import Page
from bot.domain.review import TITLE_LIMIT

BUTTON_TITLE_LIMIT = 40  # a note's title on its /notes button (in UTF-16 units)

NO_NOTES = N_("You have no notes yet. Send me a photo of your notes to make the first one.")
NOTE_GONE = N_("That note no longer exists.")
NOTE_DELETED = N_("🗑 Note deleted.")
DELETED = N_("Deleted.")
SEND_TITLE = N_("Send me the new title.")
SEARCH_USAGE = N_("Tell me what to look for, e.g. <code>/search shopping list</code>")
SEARCH_EXPIRED = N_("Those search results have expired. Please search again.")
EXPORT_CHOOSE = N_("Which format would you like your notes in?")
EXPORT_EMPTY = N_("You have no notes to export yet.")
EXPORT_TOO_BIG = N_("Your export is larger than Telegram lets me send (50 MB), even zipped.")
PREPARING_EXPORT = N_("Preparing your file…")
FORGET_KEPT = N_("OK, I kept everything.")

# Buttons.
REVIEW_PENDING_BUTTON = N_("Review pending lines")
SHOW_PHOTO_BUTTON = N_("Show photo")
SHOW_PHOTOS_BUTTON = N_("Show photos")
SENDING_PHOTOS = N_("Here they come.")
RENAME_BUTTON = N_("Rename")
DELETE_BUTTON = N_("Delete")
BACK_TO_RESULTS = N_("« Back to results")
BACK_TO_NOTES = N_("« Back to notes")
CONFIRM_DELETE_BUTTON = N_("Yes, delete it")
KEEP_NOTE_BUTTON = N_("No, keep it")
FORGET_BUTTON = N_("Yes, delete everything")
KEEP_DATA_BUTTON = N_("No, keep my notes")


def open_note_button(t: Translator, note_id: int) -> str:
    return t.gettext("Open #{id}", id=note_id)


def _title_or_first_line(t: Translator, note: Note) -> str:
    text = note.title or (note.lines[0].text if note.lines else t.gettext("(empty)"))
    return " ".join(text.split())


def note_button(t: Translator, note: Note) -> str:
    """A note in the /notes keyboard: number, date, title (or first line), ⚠️ if unreviewed."""
    title = shorten(_title_or_first_line(t, note), BUTTON_TITLE_LIMIT)
    pending = " ⚠️" if note.pending_lines else ""
    return f"#{note.id} · {t.day_month(note.created_at)} · {title}{pending}"


def _summary(t: Translator, note: Note) -> str:
    lines = len(note.visible_lines)
    text = t.date_time(note.created_at) + " · "
    text += t.ngettext("{count} line", "{count} lines", lines, count=t.number(lines))
    if note.pending_lines:
        pending = len(note.pending_lines)
        text += t.gettext(", {count} awaiting review", count=t.number(pending))
    return text


def notes_list(t: Translator, notes: list[Note], page: Page) -> str:
    if not notes:
        return t(NO_NOTES)
    header = t.gettext(
        "🗒 <b>Your notes</b> ({count}){page}. Tap one to open it.",
        count=t.number(page.total),
        page=page_label(t, page),
    )
    rows = []
    for note in notes:
        title = f" · {esc(note.title)}" if note.title else ""
        rows.append(f"<b>#{note.id}</b>{title}\n{_summary(t, note)}")
    return header + "\n\n" + "\n\n".join(rows)


def note_view(t: Translator, note: Note) -> LongText:
    """A whole note: title, date, every line not dropped (pending ones marked)."""
    title = f" · {esc(note.title)}" if note.title else ""
    header = t.gettext("📝 <b>Note #{id}</b>", id=note.id) + title
    header += f"\n<i>{_summary(t, note)}</i>\n"
    body = "\n".join(
        f"⚠️ {line.text}" if line.state is LineState.PENDING else line.text
        for line in note.visible_lines
    )
    footer = ""
    if note.pending_lines:
        footer = "\n" + t.gettext("⚠️ marks lines that still need your review.")
    return long_text(t, header, body or t.gettext("(no lines)"), footer, f"note-{note.id}.txt")


def page_caption(t: Translator, note: Note, page: int, pages: int) -> str:
    """The caption of a note's photo sent again: which note, which page."""
    title = f" · {esc(note.title)}" if note.title else ""
    which = page_label(t, Page.of(page, 1, pages))
    return t.gettext("📝 <b>Note #{id}</b>", id=note.id) + title + which


def confirm_delete(t: Translator, note: Note) -> str:
    title = f" ({esc(note.title)})" if note.title else ""
    return t.gettext(
        "Delete <b>note #{id}</b>{title} for good? This can't be undone.", id=note.id, title=title
    )


def rename_prompt(t: Translator, note: Note) -> str:
    if note.title:
        return t.gettext(
            "✏️ Send me the new title for note #{id} (now <i>{title}</i>), or /cancel.",
            id=note.id,
            title=esc(note.title),
        )
    return t.gettext("✏️ Send me the new title for note #{id}, or /cancel.", id=note.id)


def renamed(t: Translator, note: Note) -> str:
    return t.gettext(
        "✏️ Note #{id} is now called <b>{title}</b>.", id=note.id, title=esc(note.title or "")
    )


def review_again(t: Translator, count: int) -> str:
    if count == 0:
        return t.gettext("No line of this note needs review any more.")
    return t.ngettext(
        "Here is the line to review again.",
        "Here are the {count} lines to review again.",
        count,
        count=t.number(count),
    )


# --- search ---


def highlight(snippet: str) -> str:
    """Escape a search snippet, then turn the storage's highlight markers into bold."""
    return esc(snippet).replace(HIGHLIGHT_START, "<b>").replace(HIGHLIGHT_END, "</b>")


def plain_snippet(snippet: str) -> str:
    """A search snippet as plain text on one line (inline results show no markup)."""
    text = snippet.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")
    return " / ".join(part.strip() for part in text.split("\n") if part.strip())


def search_results(t: Translator, query: str, hits: list[SearchHit], page: Page) -> str:
    words = esc(shorten(query, 100))
    if not hits:
        return t.gettext("No notes match <i>{words}</i>.", words=words)
    lines = [
        t.ngettext(
            "🔍 {count} note matches <i>{words}</i>{page}:",
            "🔍 {count} notes match <i>{words}</i>{page}:",
            page.total,
            count=t.number(page.total),
            words=words,
            page=page_label(t, page),
        )
    ]
    for hit in hits:
        title = f" — {esc(hit.title)}" if hit.title else ""
        lines.append(
            f"\n<b>#{hit.note_id}</b> · {t.date_time(hit.created_at)}{title}\n"
            f"{highlight(hit.snippet.replace(chr(10), ' / '))}"
        )
    return "\n".join(lines)


# --- inline mode: a note offered in any chat, and the text it posts ---

# Shown above the (empty) results, as a button that opens the chat with the bot: at most 64
# characters.
INLINE_NOTHING = N_("No notes found · open the bot")


def inline_title(t: Translator, note_id: int, title: str | None) -> str:
    """An inline result's title: the note's number and title (or first line), one line, at
    most TITLE_LIMIT units like every title."""
    if not title:
        return t(NOTE_NUMBER, id=note_id)
    return shorten(f"#{note_id} · {' '.join(title.split())}", TITLE_LIMIT)


def inline_description(t: Translator, note: Note | SearchHit) -> str:
    """Under the title: the date, then the matching words (a search) or the first lines."""
    if isinstance(note, SearchHit):
        text = plain_snippet(note.snippet)
    else:
        text = " / ".join(line.text for line in note.visible_lines[:3])
    text = shorten(text, 200) if text else t.gettext("(empty)")
    return f"{t.date_time(note.created_at)} · {text}"


def shared_note(t: Translator, note: Note) -> LongText:
    """A note posted into a chat through inline mode: its title (when the user gave one) and
    its text. An inline result can't be a file, so a body too long for one message is cut,
    with `notice` saying so (`bot.telegram.text.fit_one`)."""
    first = note.visible_lines[0].text if note.visible_lines else None
    header = f"<b>{esc(note.title)}</b>" if note.title and note.title != first else ""
    body = note.text or t.gettext("(empty)")
    notice = t.gettext("[… the rest of this note is in the bot's chat]")
    return LongText(header, body, notice=notice)


# --- export: the chat's wording, and the words inside the exported file ---

EXPORT_TITLE = N_("My notes")
NOT_REVIEWED = N_("(not reviewed yet)")


def exported_at(t: Translator, when: str) -> str:
    return t.gettext("Exported {when}.", when=when)


def note_heading(t: Translator, note_id: int, when: str) -> str:
    return t.gettext("Note #{id} · {when}", id=note_id, when=when)


def export_format(t: Translator, value: str) -> str:
    """A format's name: "md" -> "Markdown", "txt" -> "Plain text" (translated)."""
    names = {"md": "Markdown", "txt": t.gettext("Plain text"), "json": "JSON"}
    return names.get(value, value)


def exporting(t: Translator, format_name: str) -> str:
    return t.gettext("📦 Exporting your notes as {format}…", format=format_name)


def export_caption(t: Translator, count: int, format_name: str, zipped: bool) -> str:
    if zipped:
        return t.ngettext(
            "📦 {count} note as {format} (zipped: it was large).",
            "📦 {count} notes as {format} (zipped: it was large).",
            count,
            count=t.number(count),
            format=format_name,
        )
    return t.ngettext(
        "📦 {count} note as {format}.",
        "📦 {count} notes as {format}.",
        count,
        count=t.number(count),
        format=format_name,
    )


# --- /forget ---


def confirm_forget(t: Translator, notes: int) -> str:
    return t.ngettext(
        "This deletes <b>all your data</b>: {count} note, its lines, your settings and any "
        "photo still waiting. It can't be undone. Sure?",
        "This deletes <b>all your data</b>: {count} notes, their lines, your settings and any "
        "photo still waiting. It can't be undone. Sure?",
        notes,
        count=t.number(notes),
    )


def forgotten(t: Translator, notes: int) -> str:
    return t.ngettext(
        "Done. I deleted {count} note and everything else of yours.",
        "Done. I deleted {count} notes and everything else of yours.",
        notes,
        count=t.number(notes),
    )
