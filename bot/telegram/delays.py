"""Telling the sender why their photo waits when OCR can't run now (the task queue
unreachable, no worker running), instead of a "Recognizing…" that never changes.

While a photo is being read, a watcher asks the backend, once the photo has waited
OCR_DELAY_NOTICE_S since it arrived and every CHECK_EVERY_S after, why it would wait
(`OcrBackend.delay`), and shows each change: the reason, or plain "Recognizing…" again once
OCR can run. The photo itself waits where it is (in the queue, or for a retry): nothing is
lost, and its note replaces the status as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

from bot.domain.models import OcrDelay
from bot.ocr.backends.base import OcrBackend

log = logging.getLogger(__name__)

CHECK_EVERY_S = 10.0

Show = Callable[[OcrDelay | None], Awaitable[None]]


@contextlib.asynccontextmanager
async def delay_notices(
    ocr: OcrBackend, waiting_since: datetime, notice_after_s: float, show: Show
) -> AsyncIterator[None]:
    """Around one reading of a photo that arrived at `waiting_since`: `show` why it is
    delayed, while it is (see the module's doc)."""
    waited = (datetime.now(UTC) - waiting_since).total_seconds()
    watcher = asyncio.create_task(_watch(ocr, max(0.0, notice_after_s - waited), show))
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _watch(ocr: OcrBackend, first_after_s: float, show: Show) -> None:
    """Cosmetic: a failure here ends the watching, never the reading it watches."""
    await asyncio.sleep(first_after_s)
    shown: OcrDelay | None = None
    try:
        while True:
            delay = await ocr.delay()
            if delay is not shown:
                log.info("event=ocr_delay_shown delay=%s", delay)
                await show(delay)
                shown = delay
            await asyncio.sleep(CHECK_EVERY_S)
    except Exception as error:  # a bug: logged, and the photo is read all the same
        log.error("event=ocr_delay_watch_failed error=%r", error)
