"""Where OCR runs, as the bot sees it: the interface both backends implement.

`OcrPool` (OCR_BACKEND=local, the default) reads images in worker processes of the bot itself;
`CeleryBackend` (OCR_BACKEND=celery) sends them through a Celery/Redis task queue to
`python -m bot worker` processes on any number of machines. The pipeline, the handlers and
`Services` know only `OcrBackend`, and both raise the same errors (`bot.ocr.contract`):
OcrFailed / OcrTimeout / ModelMissing when the image may be at fault, OcrUnavailable when OCR
could not be attempted, ImageRejected for an image the engine refused.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from bot.domain.models import Box
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


class ReadingLog:
    """What both backends keep about the images they read: seconds per recent image (for
    /stats) and the operator notices already logged (each is logged once)."""

    def __init__(self) -> None:
        self.durations: deque[float] = deque(maxlen=1000)
        self._notices_seen: set[str] = set()

    def record(self, outcome: OcrOutcome, seconds: float) -> None:
        self.durations.append(seconds)
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
    def durations(self) -> list[float]:
        """Seconds per recent image, as the bot saw them (queueing included)."""

    def start(self) -> None: ...

    async def warm_up(self) -> None: ...

    async def recognize(
        self, image: bytes, language: str | None = None, crop_below: float | None = None
    ) -> OcrOutcome:
        """OCR one image; with `crop_below`, also the pieces of the lines below it."""

    async def cut(self, image: bytes, boxes: list[Box | None]) -> list[bytes | None]:
        """Pieces of an image read earlier, one per box (None where none), cut by a worker."""

    async def languages(self) -> list[str]: ...

    async def language_problem(self, language: str) -> str | None: ...

    async def status(self) -> BackendStatus: ...

    async def close(self) -> None: ...

    def shutdown(self) -> None: ...
