"""The Mini App editor: its button in the chat, the page's own words (sent to the page in the
user's language with the note), its refusals, and what the chat says after a save."""

from __future__ import annotations

from bot.domain.editor import EditRefusal
from bot.domain.i18n import N_, Msg, Translator
from bot.domain.lengths import shorten
from bot.domain.messages.common import (
    NOTE_NUMBER,
    PREVIEW_LIMIT,
    LongText,
    esc,
    long_text,
)
from bot.domain.messages.photos import note_complete
from bot.domain.models import Line, LineState, Note

EDIT_BUTTON = N_("✏️ Edit")

# The page's words; `{number}` and `{count}` are filled in on the page.
PAGE_TEXTS: dict[str, Msg] = {
    "save": N_("Save"),
    "title": N_("Title"),
    "untitled": N_("No title"),
    "line": N_("Line {number}"),
    "page": N_("Page {number}"),
    "flagged": N_("Check this line"),
    "to_check": N_("Lines to check: {count}"),
    "next_flagged": N_("Next line to check"),
    "all_checked": N_("No line is waiting for a check."),
    "keep": N_("Keep"),
    "drop": N_("Drop"),
    "restore": N_("Restore"),
    "up": N_("Move up"),
    "down": N_("Move down"),
    "add_below": N_("Add a line below"),
    "add": N_("Add a line"),
    "kept": N_("Kept"),
    "edited": N_("Edited"),
    "dropped": N_("Dropped"),
    "added": N_("New"),
    "no_box": N_("Not outlined on the photo"),
    "whole_page": N_("Whole page"),
    "discard": N_("Discard your changes?"),
    "saved": N_("Saved."),
    "save_failed": N_("Couldn't save just now. Please try again."),
    "photo_failed": N_("The photo couldn't be loaded."),
    "no_lines": N_("No text was found on this photo. Add the lines yourself."),
}

# Answers of the page's API (shown on the page).
EXPIRED = N_(
    "This editor has expired or was not opened from Telegram. Please open it again from the chat."
)
STALE_NOTE = N_(
    "This note was changed in the chat while you were editing it. It has been reloaded: "
    "please make your changes again."
)
TOO_LARGE = N_("That's more than one note can hold.")
EDIT_REFUSALS: dict[EditRefusal, Msg] = {
    EditRefusal.MALFORMED: N_("That save can't be read. Please open the editor again."),
    EditRefusal.LINES_CHANGED: N_("The lines don't match this note. Please open it again."),
    EditRefusal.EMPTY_LINE: N_("A line is empty: type its text or drop it."),
    EditRefusal.LONG_LINE: N_("A line is too long: lines are at most 1000 characters."),
    EditRefusal.LONG_TITLE: N_("The title is too long: at most 100 characters."),
    EditRefusal.TOO_MANY_LINES: N_("That's more lines than one note can hold."),
}


def page_texts(t: Translator, note: Note) -> dict[str, str]:
    """Everything the page says, in the user's language."""
    texts = {key: t(text) for key, text in PAGE_TEXTS.items()}
    texts["heading"] = t(NOTE_NUMBER, id=note.id)
    return texts


def closed_in_editor(t: Translator, line: Line) -> str:
    """A review prompt whose line a save in the editor settled (its buttons are removed)."""
    number = t.number(line.position + 1)
    text = esc(shorten(line.text, PREVIEW_LIMIT))
    if line.state is LineState.DROPPED:
        struck = f"<s>{text}</s>"
        return t.gettext(
            "🗑 Line {number} was dropped in the editor: {text}", number=number, text=struck
        )
    if line.state is LineState.RETYPED:
        code = f"<code>{text}</code>"
        return t.gettext(
            "✏️ Line {number} was corrected in the editor: {text}", number=number, text=code
        )
    code = f"<code>{text}</code>"
    return t.gettext("✅ Line {number} was kept in the editor: {text}", number=number, text=code)


def saved_in_editor(t: Translator, note: Note) -> LongText:
    """The note sent after a save: complete, as when the last prompt is answered, or with the
    lines still to check counted."""
    if note.is_complete:
        return note_complete(t, note)
    header = t.gettext("✏️ <b>Note #{id} was saved in the editor.</b>", id=note.id) + "\n"
    pending = len(note.pending_lines)
    footer = "\n" + t.ngettext(
        "⚠️ {count} line still needs a check.",
        "⚠️ {count} lines still need a check.",
        pending,
        count=t.number(pending),
    )
    body = note.text or t.gettext("(no lines left)")
    return long_text(t, header, body, footer, f"note-{note.id}.txt")


def lines_need_a_look(t: Translator, note: Note) -> str:
    """Instead of a prompt per line when there are many: one message with the Edit button
    (and Review pending lines, for the prompts)."""
    count = len(note.pending_lines)
    return t.ngettext(
        "⚠️ {count} line of note #{id} needs a look. Check it beside the photo in the "
        "editor, or have it sent here to answer.",
        "⚠️ {count} lines of note #{id} need a look. Check them beside the photo in the "
        "editor, or have them sent here one by one.",
        count,
        count=t.number(count),
        id=note.id,
    )
