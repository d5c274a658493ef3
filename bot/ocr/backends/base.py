"""Where OCR runs, as the bot sees it: the interface both backends implement.

`OcrPool` (OCR_BACKEND=local, the default) reads images in worker processes of the bot itself;
`CeleryBackend` (OCR_BACKEND=celery) sends them through a Celery/Redis task queue to
`python -m bot worker` processes on any number of machines. The pipeline, the handlers and
`Services` know only `OcrBackend`, and both raise the same errors (`bot.ocr.contract`):
OcrFailed / OcrTimeout / ModelMissing when the image may be at fault, OcrUnavailable when OCR
could not be attempted, ImageRejected for an image the engine refused. While a photo waits,
`delay()` says why in the user's terms (the queue unreachable, no worker), or None.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from bot.domain.models import Box, OcrDelay
from bot.ocr.contract import OcrOutcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackendStatus:
    """What `/stats` shows about OCR capacity."""

    kind: str  # "local" or "celery"
    workers: int  # local: processes; celery: workers that answered a ping just now
    worker_names: tuple[str, ...] = ()  # celery: those workers' names
    queued: int | None = None  # celery: tasks waiting in the broker; None: not known
    broker_reachable: bool = True


@dataclass(frozen=True)
class OcrTimings:
    """Seconds per recent image, as the bot saw them (/stats): waiting for a worker (the
    queue, or a busy pool) and reading (the engine's own time)."""

    waiting: list[float]
    reading: list[float]


class ReadingLog:
    """What both backends keep about the images they read: seconds per recent image (for
    /stats) and the operator notices already logged (each is logged once)."""

    def __init__(self) -> None:
        self.waiting: deque[float] = deque(maxlen=1000)
        self.reading: deque[float] = deque(maxlen=1000)
        self._notices_seen: set[str] = set()

    @property
    def timings(self) -> OcrTimings:
        return OcrTimings(list(self.waiting), list(self.reading))

    def record(self, outcome: OcrOutcome, seconds: float) -> None:
        """`seconds` from asking to the answer; of them, the engine read for `elapsed_s`."""
        self.reading.append(outcome.elapsed_s)
        self.waiting.append(max(0.0, seconds - outcome.elapsed_s))
        for notice in outcome.notices:
            if notice not in self._notices_seen:
                self._notices_seen.add(notice)
                log.warning("event=ocr_notice notice=%r", notice)


class OcrBackend(Protocol):
    """OCR for the event loop: every call is bounded, every failure one of the errors above."""

    licensed: bool | None  # known after the first OCR or warm-up
    warm_up_s: float | None

    @property
    def in_flight(self) -> int:
        """Images handed to OCR and not answered yet."""

    @property
    def capacity(self) -> int:
        """How many jobs may download and read images at once (the pipeline's slots)."""

    @property
    def timings(self) -> OcrTimings:
        """Seconds per recent image, waiting and reading apart."""

    def start(self) -> None: ...

    async def warm_up(self) -> None: ...

    async def recognize(
        self,
        image: bytes,
        language: str | None = None,
        crop_below: float | None = None,
        job: str | None = None,
    ) -> OcrOutcome:
        """OCR one image; with `crop_below`, also the pieces of the lines below it. `job`
        names the photo's job: asking again for the same job supersedes an earlier request
        still waiting somewhere (a bot restart), and raises ImageGivenUp when the image has
        killed workers MAX_ATTEMPTS times."""

    async def delay(self) -> OcrDelay | None:
        """Why an image would wait now (asked when one waits long), or None if nothing is
        known to be wrong."""

    async def cut(self, image: bytes, boxes: list[Box | None]) -> list[bytes | None]:
        """Pieces of an image read earlier, one per box (None where none), cut by a worker."""

    async def languages(self) -> list[str]: ...

    async def language_problem(self, language: str) -> str | None: ...

    async def status(self) -> BackendStatus: ...

    async def close(self) -> None: ...

    def shutdown(self) -> None: ...
