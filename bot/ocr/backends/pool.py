"""Runs OCR off the event loop, in a pool of worker processes.

Processes rather than threads because the engine is native code: a crash or a hang inside it
must cost one image, not the bot. A worker that dies or overruns `timeout_s` is replaced by the
pool (pebble) and the caller gets OcrFailed / OcrTimeout.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

from bot.domain.models import Box, OcrDelay
from bot.ocr.backends.base import BackendStatus, OcrTimings, ReadingLog
from bot.ocr.backends.worker import (
    init_worker,
    worker_check_language,
    worker_cut,
    worker_languages,
    worker_recognize,
    worker_warm_up,
)
from bot.ocr.contract import (
    TRIAL_HINT,
    EngineConfig,
    OcrFailed,
    OcrOutcome,
    OcrTimeout,
    OcrUnavailable,
    WorkerLost,
)
from bot.ocr.engines.factory import prepare_runtime

log = logging.getLogger(__name__)
T = TypeVar("T")
POOL_MARGIN_S = 30.0


class OcrPool:
    """OCR worker processes, called from the event loop; every call is bounded in time.

    The local `OcrBackend` (bot.ocr.backends.base): nothing to run besides the bot.
    """

    def __init__(
        self,
        config: EngineConfig,
        *,
        workers: int = 1,
        timeout_s: float = 120.0,
        log_level: str = "INFO",
    ):
        self.config = config
        self.workers = workers
        self.timeout_s = timeout_s
        self.log_level = log_level
        self.licensed: bool | None = None  # known after the first OCR or warm-up
        self._pool: ProcessPool | None = None
        self._in_flight = 0
        self._readings = ReadingLog()
        self.warm_up_s: float | None = None
        self._languages: list[str] | None = None
        self._language_checks: dict[str, str | None] = {}

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def timings(self) -> OcrTimings:
        return self._readings.timings

    @property
    def capacity(self) -> int:
        """One job more than workers: the next image downloads while the current is read."""
        return self.workers + 1

    async def status(self) -> BackendStatus:
        return BackendStatus(kind="local", workers=self.workers)

    async def delay(self) -> OcrDelay | None:
        """The workers are this process's own: an image only waits its turn."""
        return None

    def start(self) -> None:
        """Check prerequisites here (clear error, no native abort later) and start workers."""
        prepare_runtime(self.config)
        if self._pool is None:
            self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPool:
        return ProcessPool(
            max_workers=self.workers,
            context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(self.log_level,),
        )

    def _replace_broken_pool(self, broken: ProcessPool, error: BaseException) -> OcrUnavailable:
        """pebble's pool can fail as a whole when a worker is killed at the wrong moment
        (seen when SIGKILLing an idle worker): every later call would fail. Start a new one;
        the call that found it broken is not the image's fault."""
        if self._pool is broken:  # not replaced already by another call that found it broken
            log.error("event=ocr_pool_replaced error=%s", error)
            self._pool = self._new_pool()
            broken.stop()  # type: ignore[no-untyped-call]
        return OcrUnavailable(f"the OCR workers were restarted ({error})")

    async def warm_up(self) -> None:
        """Build the engine in the workers now, so the first user doesn't wait for it."""
        try:
            results = await asyncio.gather(
                *(self._call(worker_warm_up, (self.config,)) for _ in range(self.workers))
            )
        except OcrFailed as error:
            log.error("event=ocr_warm_up_failed error=%s", error)
            return
        self.licensed = results[0][0]
        self.warm_up_s = max(seconds for _, seconds in results)
        log.info(
            "event=ocr_ready engine=%s workers=%d licensed=%s warm_up_s=%.2f",
            self.config.engine,
            self.workers,
            self.licensed,
            self.warm_up_s,
        )
        if not self.licensed:
            log.warning("event=ocr_trial_mode hint=%r", TRIAL_HINT)

    async def recognize(
        self,
        image: bytes,
        language: str | None = None,
        crop_below: float | None = None,
        job: str | None = None,
    ) -> OcrOutcome:
        """OCR one image; raises ImageRejected, OcrTimeout or OcrFailed. (`job` is for the
        task queue: here a request dies with the bot, and a worker's death is seen at once.)"""
        started = time.monotonic()
        outcome: OcrOutcome = await self._call(
            worker_recognize, (self.config, image, language, crop_below)
        )
        self._readings.record(outcome, time.monotonic() - started)
        self.licensed = not outcome.trial
        return outcome

    async def cut(self, image: bytes, boxes: list[Box | None]) -> list[bytes | None]:
        """Pieces of an image read earlier, cut in a worker (never on the event loop)."""
        return await self._call(worker_cut, (self.config, image, boxes))

    async def languages(self) -> list[str]:
        """The engine's language names (asked once from a worker, then cached)."""
        if self._languages is None:
            self._languages = await self._call(worker_languages, (self.config,))
        return self._languages

    async def language_problem(self, language: str) -> str | None:
        """None if `language` works here, else the engine's reason (cached per language)."""
        if language not in self._language_checks:
            problem = await self._call(worker_check_language, (self.config, language))
            self._language_checks[language] = problem
        return self._language_checks[language]

    async def _call(self, function: Callable[..., T], args: tuple[Any, ...]) -> T:
        if self._pool is None:
            self.start()
        pool = self._pool
        assert pool is not None
        self._in_flight += 1
        try:
            try:
                future = pool.schedule(function, args=args, timeout=self.timeout_s)
            except RuntimeError as error:  # "Unexpected error within the Pool"
                raise self._replace_broken_pool(pool, error) from None
            answer = asyncio.wrap_future(future)
            try:
                # The pool enforces timeout_s; the margin only guards against a pool that
                # failed as a whole and will never settle this future.
                settled, _ = await asyncio.wait({answer}, timeout=self.timeout_s + POOL_MARGIN_S)
            except asyncio.CancelledError:
                future.cancel()  # type: ignore[no-untyped-call]
                raise
            if not settled:
                future.cancel()  # type: ignore[no-untyped-call]
                raise self._replace_broken_pool(pool, TimeoutError("no answer")) from None
            try:
                result: T = answer.result()
                return result
            except FutureTimeout:  # the pool's own timeout_s
                raise OcrTimeout(f"OCR took longer than {self.timeout_s:g} s") from None
            except ProcessExpired as error:
                raise WorkerLost(f"OCR worker died (exit code {error.exitcode})") from None
        finally:
            self._in_flight -= 1

    def shutdown(self) -> None:
        """Synchronous close, for callers outside an event loop."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()  # type: ignore[no-untyped-call]
            pool.join(10)

    async def close(self) -> None:
        """Stop the workers (a running OCR is abandoned; its job is resumed at next start)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()  # type: ignore[no-untyped-call]
            await asyncio.to_thread(pool.join, 10)
