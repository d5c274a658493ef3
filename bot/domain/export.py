"""Writing a user's notes to a file in Markdown, plain text or JSON.

Notes arrive one at a time and are written straight out, so an export of any size needs
memory for one note, not for all of them.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import AsyncIterable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from bot.domain import messages
from bot.domain.i18n import ENGLISH, Translator
from bot.domain.models import LineState, Note

# Bots may upload documents up to 50 MB; keep a margin for the multipart framing.
MAX_UPLOAD_BYTES = 49 * 1024 * 1024


class ExportFormat(StrEnum):
    MARKDOWN = "md"
    TEXT = "txt"
    JSON = "json"

    def label(self, t: Translator) -> str:
        return messages.export_format(t, self.value)

    @classmethod
    def named(cls, text: str, t: Translator) -> ExportFormat | None:
        """The format a user named: its extension ("md", ".txt") or its name in their language
        or in English ("markdown", "plain text")."""
        wanted = " ".join(text.split()).casefold().lstrip(".")
        for fmt in cls:
            english = messages.export_format(ENGLISH, fmt.value)
            if wanted in (fmt.value, fmt.label(t).casefold(), english.casefold()):
                return fmt
        return None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _title(t: Translator, note: Note) -> str:
    return note.title or t(messages.NOTE_NUMBER, id=note.id)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def _markdown_escape(text: str) -> str:
    """Recognized text is data: escape it so `# x` or `*y*` stays literal in Markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _write_markdown(out: TextIO, note: Note, t: Translator) -> None:
    out.write(f"## {_markdown_escape(_title(t, note))}\n\n")
    out.write(f"*{messages.note_heading(t, note.id, _iso(note.created_at))}*\n\n")
    for line in note.visible_lines:
        pending = line.state is LineState.PENDING
        mark = f" *{t(messages.NOT_REVIEWED)}*" if pending else ""
        out.write(f"{_markdown_escape(line.text)}{mark}  \n")
    out.write("\n")


def _write_text(out: TextIO, note: Note, t: Translator) -> None:
    heading = messages.note_heading(t, note.id, _iso(note.created_at))
    out.write(f"{_title(t, note)}\n{heading}\n\n")
    out.write(note.text + "\n" if note.text else "")
    out.write("\n" + "-" * 40 + "\n\n")


def note_as_dict(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "title": note.title,
        "created_at": _iso(note.created_at),
        "text": note.text,
        "complete": note.is_complete,
        "lines": [
            {
                "position": line.position,
                "text": line.text,
                "original_text": line.original_text,
                "confidence": round(line.confidence, 4),
                "confidence_source": str(line.confidence_source),
                "state": str(line.state),
            }
            for line in note.lines
        ],
    }


async def write_export(
    notes: AsyncIterable[Note],
    fmt: ExportFormat,
    out: TextIO,
    *,
    exported_at: datetime,
    t: Translator,
) -> int:
    """Write every note to `out` in `fmt`, its words in `t`'s language (JSON has none);
    returns how many notes were written."""
    count = 0
    title, when = t(messages.EXPORT_TITLE), messages.exported_at(t, _iso(exported_at))
    if fmt is ExportFormat.MARKDOWN:
        out.write(f"# {title}\n\n{when}\n\n")
    elif fmt is ExportFormat.TEXT:
        out.write(f"{title}\n{when}\n\n")
    else:
        out.write(f'{{"exported_at": {json.dumps(_iso(exported_at))}, "notes": [')
    async for note in notes:
        if fmt is ExportFormat.MARKDOWN:
            _write_markdown(out, note, t)
        elif fmt is ExportFormat.TEXT:
            _write_text(out, note, t)
        else:
            out.write(("," if count else "") + "\n  " + json.dumps(note_as_dict(note)))
        count += 1
    if fmt is ExportFormat.JSON:
        out.write("\n]}\n")
    return count


def fit_for_upload(path: Path, limit: int = MAX_UPLOAD_BYTES) -> Path | None:
    """The file to upload: as is, zipped if too big (text shrinks ~4x), or None if even
    the zip is over Telegram's limit."""
    if path.stat().st_size <= limit:
        return path
    packed = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, arcname=path.name)
    return packed if packed.stat().st_size <= limit else None
