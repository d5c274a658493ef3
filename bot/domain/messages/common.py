"""What every feature's wording needs: escaping, long texts, paging labels, the general
answers (unknown commands, stale buttons, errors), /help and the command menu."""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.domain.i18n import N_, Msg, Translator
from bot.domain.paging import Page

# A line shown in a prompt: short enough for a photo's caption (1,024 units) with its header;
# an OCR line is rarely longer, a retyped one at most MAX_RETYPE_CHARS.
PREVIEW_LIMIT = 800


def esc(text: str) -> str:
    return html.escape(text, quote=False)


@dataclass(frozen=True)
class LongText:
    """A message whose body may be long: `header` and `footer` are HTML, `body` is plain text
    (escaped when sent). If the body is too long for one message it is split, or sent as the
    file `filename` with `notice` in its place; it is never cut."""

    header: str
    body: str
    footer: str = ""
    filename: str = "note.txt"
    notice: str = ""


Text = str | LongText


def long_text(
    t: Translator, header: str, body: str, footer: str = "", filename: str = "note.txt"
) -> LongText:
    """A `LongText` with its notice (shown if the body goes out as a file) in `t`'s language."""
    lines = body.count("\n") + 1
    notice = t.ngettext(
        "📄 The text is long ({count} line), so it's in the file below.",
        "📄 The text is long ({count} lines), so it's in the file below.",
        lines,
        count=t.number(lines),
    )
    return LongText(header, body, footer, filename, notice)


def page_label(t: Translator, page: Page) -> str:
    if page.count <= 1:
        return ""
    return t.gettext(
        " (page {number} of {count})",
        number=t.number(page.number + 1),
        count=t.number(page.count),
    )


# General answers.
UNSUPPORTED_MESSAGE = N_(
    "I can only read photos of notes. Send me a photo, or /help to see what I do."
)
EDITED_IGNORED = N_("I only read new messages, not edits. Please send it again as a new message.")
UNKNOWN_COMMAND = N_("I don't know that command. /help lists what I can do.")
PRIVATE_ONLY = N_("Your notes are private, so I only show them in a private chat with me.")
NOT_ADMIN = N_("That command is only for the bot's administrators.")
STALE_BUTTON = N_("This button is no longer valid.")
NOT_YOURS = N_("Sorry, that button isn't for you.")
NOT_ALLOWED = N_("Sorry, this bot is private.")
SOMETHING_WENT_WRONG = N_("Sorry, something went wrong. Please try again.")
RETYPE_CANCELLED = N_("OK, cancelled. Nothing was changed.")
NO_RETYPE_TO_CANCEL = N_("There's nothing to cancel.")
CHECKING = N_("Checking…")

NOTE_NUMBER = N_("Note #{id}")

# Paging buttons.
PREV = N_("« Prev")
NEXT = N_("Next »")

HELP = N_(
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
    "/settings — the language I speak to you\n"
    "/cancel — stop retyping a line or renaming a note\n"
    "/forget — delete all your data\n"
    "/help — this message\n\n"
    "In any chat, type <code>@{bot} words</code> to share one of your notes.\n\n"
    "Your notes are private to you."
)


def help_text(t: Translator, bot_username: str) -> str:
    """/help; its inline-mode line names the bot (every bot has a username)."""
    return t(HELP, bot=esc(bot_username))


# The command menu (setMyCommands), in the order Telegram shows it.
COMMANDS: list[tuple[str, Msg]] = [
    ("notes", N_("Your notes, newest first")),
    ("search", N_("Find your notes: /search words")),
    ("export", N_("All your notes as a file")),
    ("lang", N_("The language I read")),
    ("threshold", N_("How sure I must be to accept a line")),
    ("settings", N_("The language I speak to you")),
    ("cancel", N_("Stop retyping or renaming")),
    ("forget", N_("Delete all your data")),
    ("help", N_("What this bot does")),
]
