"""Inline keyboards. Every button's data is signed for the user who will press it.

Kinds (the second field of the callback data; see `callbacks.py`):
  k/r/d line          keep / retype / drop a line under review
  nl page             the notes list at a page
  no note back        open a note; `back` says where its Back button leads
  nr note             send the note's pending lines for review again
  nn note             rename the note (the next text message is the title)
  nx note back        ask to delete the note; ny note back: confirm it
  sp search page      a page of saved search results
  ef format           export all notes in a format
  fy / fn             forget all my data: confirm / keep it
  lp page / ls code   language picker page / choose a language (ls - = the default)
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CallbackSigner
from bot.export import ExportFormat
from bot.languages import LanguagePage, language_name
from bot.models import Line, Note
from bot.paging import Page

NOTES_BACK_PREFIX = "nl"  # `back` field: "nl.3" → notes page 3, "sp.12.0" → search 12 page 0


class Keyboards:
    """Builds keyboards for one signer; handlers and the pipeline share one instance."""

    def __init__(self, signer: CallbackSigner) -> None:
        self.signer = signer

    def _button(self, user_id: int, text: str, kind: str, *fields: str | int):
        return InlineKeyboardButton(text, callback_data=self.signer.encode(user_id, kind, *fields))

    def review(self, user_id: int, line: Line) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [
                    self._button(user_id, "Keep", "k", line.id),
                    self._button(user_id, "Retype", "r", line.id),
                    self._button(user_id, "Drop", "d", line.id),
                ]
            ]
        )

    def _pager(self, user_id: int, page: Page, kind: str, *fields: str | int) -> list:
        row = []
        if page.has_prev:
            row.append(self._button(user_id, "« Prev", kind, *fields, page.number - 1))
        if page.has_next:
            row.append(self._button(user_id, "Next »", kind, *fields, page.number + 1))
        return row

    def notes_list(self, user_id: int, notes: list[Note], page: Page) -> InlineKeyboardMarkup:
        rows = [
            [self._button(user_id, _note_button_text(note), "no", note.id, f"nl.{page.number}")]
            for note in notes
        ]
        pager = self._pager(user_id, page, "nl")
        return InlineKeyboardMarkup([*rows, pager] if pager else rows)

    def search_results(
        self, user_id: int, note_ids: list[int], search_id: int, page: Page
    ) -> InlineKeyboardMarkup:
        back = f"sp.{search_id}.{page.number}"
        rows = [
            [self._button(user_id, f"Open #{note_id}", "no", note_id, back)] for note_id in note_ids
        ]
        pager = self._pager(user_id, page, "sp", search_id)
        return InlineKeyboardMarkup([*rows, pager] if pager else rows)

    def note_view(self, user_id: int, note: Note, back: str) -> InlineKeyboardMarkup:
        rows = []
        if note.pending_lines:
            rows.append([self._button(user_id, "Review pending lines", "nr", note.id)])
        rows.append(
            [
                self._button(user_id, "Rename", "nn", note.id),
                self._button(user_id, "Delete", "nx", note.id, back),
            ]
        )
        rows.append([self._back_button(user_id, back)])
        return InlineKeyboardMarkup(rows)

    def _back_button(self, user_id: int, back: str) -> InlineKeyboardButton:
        kind, *fields = back.split(".")
        if kind == "sp" and len(fields) == 2:
            return self._button(user_id, "« Back to results", "sp", *fields)
        page = fields[0] if fields else 0
        return self._button(user_id, "« Back to notes", "nl", page)

    def confirm_delete(self, user_id: int, note: Note, back: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [
                    self._button(user_id, "Yes, delete it", "ny", note.id, back),
                    self._button(user_id, "No, keep it", "no", note.id, back),
                ]
            ]
        )

    def export_formats(self, user_id: int) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [[self._button(user_id, fmt.label, "ef", fmt.value) for fmt in ExportFormat]]
        )

    def confirm_forget(self, user_id: int) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [
                    self._button(user_id, "Yes, delete everything", "fy"),
                    self._button(user_id, "No, keep my notes", "fn"),
                ]
            ]
        )

    def languages(self, user_id: int, page: LanguagePage, current: str) -> InlineKeyboardMarkup:
        buttons = [
            self._button(
                user_id, ("✓ " if code == current else "") + language_name(code), "ls", code
            )
            for code in page.codes
        ]
        rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
        nav = []
        if page.page > 0:
            nav.append(self._button(user_id, "« Prev", "lp", page.page - 1))
        if page.page + 1 < page.pages:
            label = "All languages »" if page.page == 0 else "Next »"
            nav.append(self._button(user_id, label, "lp", page.page + 1))
        rows.append(nav)
        rows.append([self._button(user_id, "Use the default", "ls", "-")])
        return InlineKeyboardMarkup(rows)


def _note_button_text(note: Note) -> str:
    title = note.title or (note.lines[0].text if note.lines else "(empty)")
    title = " ".join(title.split())
    if len(title) > 40:
        title = title[:39].rstrip() + "…"
    pending = " ⚠️" if note.pending_lines else ""
    return f"#{note.id} · {note.created_at:%d %b} · {title}{pending}"
