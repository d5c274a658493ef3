"""Review rules: which recognized lines are accepted and which a user must confirm.

Free of Telegram and storage so the rules can be tested directly.
"""

from __future__ import annotations

from bot.models import LineDraft, LineState, RecognizedLine

MAX_RETYPE_CHARS = 1000


class RetypeRejected(ValueError):
    """A retyped line we won't store; the message is shown to the user."""


def classify(lines: list[RecognizedLine], threshold: float) -> list[LineDraft]:
    """Accept lines at or above `threshold` (0-1); everything below waits for the user."""
    return [
        LineDraft(
            text=line.text,
            confidence=line.confidence,
            confidence_source=line.confidence_source,
            state=LineState.ACCEPTED if line.confidence >= threshold else LineState.PENDING,
        )
        for line in lines
    ]


def clean_retype(text: str | None) -> str:
    """Normalise a user's correction to one line; refuse empty or oversized text."""
    collapsed = " ".join((text or "").split())
    if not collapsed:
        raise RetypeRejected("That correction is empty. Please send the text of the line.")
    if len(collapsed) > MAX_RETYPE_CHARS:
        raise RetypeRejected(
            f"That's longer than {MAX_RETYPE_CHARS} characters; a line is usually much shorter. "
            "Please send just the text of this line."
        )
    return collapsed


TITLE_LIMIT = 100


def clean_title(text: str | None) -> str:
    """A note title typed by the user: one line, not empty, at most TITLE_LIMIT characters."""
    collapsed = " ".join((text or "").split())
    if not collapsed:
        raise RetypeRejected("That title is empty. Please send the new title as text.")
    if len(collapsed) > TITLE_LIMIT:
        raise RetypeRejected(
            f"Titles can be at most {TITLE_LIMIT} characters. Please send a shorter one."
        )
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
