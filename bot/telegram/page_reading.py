"""What reading one page of a job gave, as the pipeline keeps it: the page's lines added to
the note being built, or why the page could not be read, worded for the user."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from telegram.error import BadRequest

from bot.domain import messages
from bot.domain.i18n import Translator
from bot.domain.models import Job, RecognizedLine
from bot.monitoring import OCR_SECONDS, PHOTOS_READ
from bot.ocr.contract import ImageGivenUp, ModelMissing, OcrFailed, OcrOutcome, OcrTimeout
from bot.ocr.images.intake import ImageRejected

log = logging.getLogger(__name__)

# What makes a page unreadable for good (the pipeline re-raises everything else: a passing
# fault runs the whole job again, a crash counts as an attempt).
PageFault = ImageRejected | OcrFailed | BadRequest


@dataclass
class PagesRead:
    """What reading a job's pages gave: the lines in order, and for each line its page of the
    note and its piece of the photo (None: not unsure, or no box)."""

    lines: list[RecognizedLine] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    pieces: list[bytes | None] = field(default_factory=list)
    trial: bool = False
    skipped: list[str] = field(default_factory=list)  # pages that could not be read, and why

    def add(self, job: Job, page: int, outcome: OcrOutcome, language: str) -> None:
        """The lines of the note's page `page` (0-based), as `outcome` read them."""
        PHOTOS_READ.labels(outcome="read").inc()
        OCR_SECONDS.observe(outcome.elapsed_s)
        self.lines.extend(outcome.lines)
        self.pages.extend([page] * len(outcome.lines))
        fits = len(outcome.crops) == len(outcome.lines)  # else not asked, or an old worker
        self.pieces.extend(outcome.crops if fits else [None] * len(outcome.lines))
        self.trial = self.trial or outcome.trial
        log.info(
            "event=ocr_done job=%d user=%d engine=%s lines=%d language=%s model=%s "
            "ocr_s=%.2f crosscheck_s=%.2f pieces=%d crop_s=%.3f",
            job.id,
            job.user_id,
            outcome.engine,
            len(outcome.lines),
            language,
            outcome.model,
            outcome.elapsed_s,
            outcome.crosscheck_s,
            sum(piece is not None for piece in outcome.crops),
            outcome.crop_s,
        )


def page_failure(error: PageFault, job: Job, language: str, t: Translator) -> tuple[str, str]:
    """(what the user is told, the reason kept on the job) for a page that can't be read."""
    if isinstance(error, ImageRejected):
        PHOTOS_READ.labels(outcome="refused").inc()
        return messages.image_flaw(t, error.flaw, error.detail), f"image rejected: {error}"
    if isinstance(error, BadRequest):  # e.g. a file Telegram no longer has
        log.warning("event=download_failed job=%d user=%d error=%s", job.id, job.user_id, error)
        return t(messages.DOWNLOAD_FAILED), str(error)
    if isinstance(error, ModelMissing):
        log.warning("event=ocr_model_missing job=%d language=%s error=%s", job.id, language, error)
        return messages.language_unavailable(t, language), str(error)
    PHOTOS_READ.labels(outcome="failed").inc()
    if isinstance(error, OcrTimeout):
        log.error("event=ocr_timeout job=%d user=%d error=%s", job.id, job.user_id, error)
        return t(messages.ENGINE_TIMEOUT), str(error)
    if isinstance(error, ImageGivenUp):  # it killed whole workers of the task queue
        log.error("event=ocr_given_up job=%d user=%d error=%s", job.id, job.user_id, error)
        return t(messages.GIVING_UP), str(error)
    log.error("event=ocr_failed job=%d user=%d error=%s", job.id, job.user_id, error)
    return t(messages.ENGINE_FAILED), str(error)
