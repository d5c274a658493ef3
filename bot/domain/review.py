"""Review rules: which recognized lines are accepted, which a user must confirm, and what a
user may type as a correction or a title.

Free of Telegram and storage so the rules can be tested directly. Refusals carry a reason,
not a sentence: the wording lives in `messages`.
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.lengths import shorten, telegram_length
from bot.domain.models import LineDraft, LineState, RecognizedLine

# Lengths as Telegram counts them (UTF-16 units: an emoji is 2), like every length the bot
# checks, so what passes here always fits the messages and captions that show it.
MAX_RETYPE_CHARS = 1000
TITLE_LIMIT = 100


class Refusal(StrEnum):
    """Why a typed correction or title is not stored."""

    EMPTY_LINE = "empty_line"
    LONG_LINE = "long_line"
    EMPTY_TITLE = "empty_title"
    LONG_TITLE = "long_title"


class TextRejected(ValueError):
    """A retyped line or title we won't store; `reason` says why."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(str(reason))
        self.reason = reason


def classify(
    lines: list[RecognizedLine], threshold: float, pages: list[int] | None = None
) -> list[LineDraft]:
    """Accept lines at or above `threshold` (0-1); everything below waits for the user.

    Each draft keeps its line's box, and its page of the note (`pages`, one per line; 0 when
    not given), so the line's piece of the photo can be found again."""
    return [
        LineDraft(
            text=line.text,
            confidence=line.confidence,
            confidence_source=line.confidence_source,
            state=LineState.ACCEPTED if line.confidence >= threshold else LineState.PENDING,
            page=pages[index] if pages else 0,
            box=line.box,
            alternatives=line.alternatives,
        )
        for index, line in enumerate(lines)
    ]


def note_title(caption: str | None, drafts: list[LineDraft]) -> str | None:
    """The caption if the user wrote one, else the first accepted line, one line, shortened."""
    source = caption or next(
        (draft.text for draft in drafts if draft.state is LineState.ACCEPTED), None
    )
    if not source:
        return None
    return shorten(" ".join(source.split()), TITLE_LIMIT)


def clean_retype(text: str | None) -> str:
    """Normalise a user's correction to one line; refuse empty or oversized text."""
    collapsed = " ".join((text or "").split())
    if not collapsed:
        raise TextRejected(Refusal.EMPTY_LINE)
    if telegram_length(collapsed) > MAX_RETYPE_CHARS:
        raise TextRejected(Refusal.LONG_LINE)
    return collapsed


def clean_title(text: str | None) -> str:
    """A note title typed by the user: one line, not empty, at most TITLE_LIMIT characters."""
    collapsed = " ".join((text or "").split())
    if not collapsed:
        raise TextRejected(Refusal.EMPTY_TITLE)
    if telegram_length(collapsed) > TITLE_LIMIT:
        raise TextRejected(Refusal.LONG_TITLE)
    return collapsed


def parse_threshold(text: str) -> float | None:
    """A percentage 0-100 from `/threshold` ("60", "60%", "72.5"); None if it isn't one."""
    cleaned = text.strip().removesuffix("%").strip()
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if not 0 <= value <= 100 or value != value:  # NaN compares unequal to itself
        return None
    return value
