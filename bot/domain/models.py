"""Plain data types shared by OCR handling, review and storage.

They carry no Telegram types, so the logic that uses them can be tested without a bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ConfidenceSource(StrEnum):
    """Where a line's confidence came from. Stored with each line: values are never renamed,
    so lines saved by an older version still read back."""

    ENGINE = "engine"  # the engine's own confidence (a licensed Aspose, some languages)
    ESTIMATE = "estimate"  # our dictionary estimate alone (no second engine to ask)
    CROSSCHECK = "crosscheck"  # a second engine re-read the line's region, + the estimate
    CALIBRATED = "calibrated"  # RapidOCR's score mapped to what it means, + the estimate
    USER = "user"  # a line the user added in the editor: nothing was recognised


class LineState(StrEnum):
    """Review state of one recognized line."""

    ACCEPTED = "accepted"  # confident enough, never needed review
    PENDING = "pending"  # below the threshold, waiting for the user
    KEPT = "kept"  # user confirmed the recognized text
    RETYPED = "retyped"  # user replaced the text
    DROPPED = "dropped"  # user removed the line

    @property
    def is_visible(self) -> bool:
        """Whether the line is part of the note's text."""
        return self is not LineState.DROPPED


class ImageFlaw(StrEnum):
    """Why an image is refused: a fault of the image itself, never worth a retry."""

    EMPTY = "empty"
    BOMB = "bomb"
    NOT_AN_IMAGE = "not_an_image"
    FORMAT = "format"
    ANIMATED = "animated"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    TOO_BIG_FILE = "too_big_file"
    DAMAGED = "damaged"
    REFUSED = "refused"  # the engine refused it (a shape or size it can't scale)


class OcrDelay(StrEnum):
    """Why a photo waits longer than usual for OCR: nothing wrong with it, it will be read."""

    UNREACHABLE = "unreachable"  # the task queue (Redis) can't be reached
    NO_WORKER = "no_worker"  # no OCR worker is running


class ReviewAction(StrEnum):
    """What a user can do with a low-confidence line."""

    KEEP = "keep"
    RETYPE = "retype"
    DROP = "drop"


# Where a line is on its page: x, y, width, height in the pixels of the image the engine read
# (after EXIF rotation and downscaling; `OcrOutcome.image_size` is that image's size), so the
# same preparation finds the same piece again.
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class RecognizedLine:
    """One line as the OCR step produced it, before it is stored."""

    text: str
    confidence: float  # 0.0-1.0
    confidence_source: ConfidenceSource
    box: Box | None = None  # where the line is; None when the engine did not say
    # Other readings of the same line that the OCR step has and did not choose (a second
    # engine's reading, a re-read of the line's crop): what the user may remember and search
    # for while the line is not confirmed. Never shown as the note's text.
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineDraft:
    """A line ready to be stored, with its initial review state decided."""

    text: str
    confidence: float
    confidence_source: ConfidenceSource
    state: LineState  # ACCEPTED or PENDING
    page: int = 0  # which page of the note (an album's photo) the line is on
    box: Box | None = None
    alternatives: tuple[str, ...] = ()  # RecognizedLine.alternatives


@dataclass(frozen=True)
class Line:
    id: int
    note_id: int
    position: int
    text: str
    original_text: str
    confidence: float
    confidence_source: ConfidenceSource
    state: LineState
    review_message_id: int | None = None
    page: int = 0
    box: Box | None = None


@dataclass(frozen=True)
class Page:
    """A note's photo as Telegram keeps it: sent back by file_id, never stored by the bot."""

    file_id: str
    as_file: bool = False  # it came as a document, so it goes back as one


@dataclass(frozen=True)
class Note:
    id: int
    user_id: int
    chat_id: int
    title: str | None
    created_at: datetime
    lines: list[Line] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    version: int = 1  # bumped by every change to the note: an editor save names the one it saw

    @property
    def visible_lines(self) -> list[Line]:
        return [line for line in self.lines if line.state.is_visible]

    @property
    def text(self) -> str:
        """The note's current text: every line not dropped, in reading order."""
        return "\n".join(line.text for line in self.visible_lines)

    @property
    def pending_lines(self) -> list[Line]:
        return [line for line in self.lines if line.state is LineState.PENDING]

    @property
    def is_complete(self) -> bool:
        return not self.pending_lines


class JobStatus(StrEnum):
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Job:
    """A received photo, persisted before any slow work so a crash cannot lose it."""

    id: int
    user_id: int
    chat_id: int
    message_id: int
    file_id: str
    file_unique_id: str
    file_size: int | None
    status: JobStatus
    attempts: int
    note_id: int | None
    status_message_id: int | None
    error: str | None
    created_at: datetime
    media_group_id: str | None = None  # photos sent as one album share it
    caption: str | None = None
    as_file: bool = False  # the image came as a document, not as a photo
    locale: str | None = None  # the interface language its replies are written in


@dataclass(frozen=True)
class MessageRef:
    """Which chat message asked for a change: it is applied once, however often it arrives."""

    chat_id: int
    message_id: int


@dataclass(frozen=True)
class SearchHit:
    note_id: int
    created_at: datetime
    title: str | None
    snippet: str  # contains HIGHLIGHT_START / HIGHLIGHT_END around matched terms
    rank: float


@dataclass(frozen=True)
class UserSettings:
    """A user's own preferences; None means "use the bot's default"."""

    user_id: int
    language: str | None = None
    threshold: float | None = None  # percent
    trial_notified: bool = False
    interface_language: str | None = None  # a catalog's code; None: Telegram's language


HIGHLIGHT_START = "\ue000"
HIGHLIGHT_END = "\ue001"
