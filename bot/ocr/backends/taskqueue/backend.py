"""OCR through a Celery task queue on Redis (OCR_BACKEND=celery): the bot's side.

The bot sends each image as a task and waits for its result; `python -m bot worker` processes
on any number of machines read them. The durable job row in SQLite stays the source of truth:
what is in Redis can be lost (a Redis restart without persistence) and is then sent again.

- A task whose worker vanished is given back by Redis to another worker (visibility timeout,
  `bot.ocr.backends.taskqueue.app`); the bot just keeps waiting.
- Redis restarted (its run_id changed) or unreachable for a moment: tasks are sent again;
  unreachable for longer than BROKER_GRACE_S: OcrUnavailable (not the image's fault).
- A photo's task names its job (`tickets`): sent again (after a restart of the bot, or of
  Redis), the earlier copy is skipped by the worker that takes it; and a photo that has
  killed MAX_ATTEMPTS whole workers is answered as given up (ImageGivenUp).
- A duplicate run that slipped through anyway is harmless: the first result is taken,
  later ones are ignored and expire.
- While a photo waits, `delay()` tells why: Redis unreachable, or no worker answering.
- Errors arrive as data (`wire`) and are raised as the same types the local pool raises.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from kombu.exceptions import OperationalError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.domain.models import Box, OcrDelay
from bot.ocr.backends.base import BackendStatus, OcrTimings, ReadingLog
from bot.ocr.backends.taskqueue.app import (
    CHECK_LANGUAGE,
    CUT,
    JOB_HEADER,
    LANGUAGES,
    QUEUE,
    RECOGNIZE,
    RESULT_TTL_S,
    make_celery,
)
from bot.ocr.backends.taskqueue.results import ResultWatcher
from bot.ocr.backends.taskqueue.tickets import mark_answered, name_current
from bot.ocr.backends.taskqueue.wire import WireError, error_from_wire, from_wire, to_wire
from bot.ocr.contract import (
    EngineConfig,
    OcrFailed,
    OcrOutcome,
    OcrTimeout,
    OcrUnavailable,
    WorkerLost,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

BROKER_GRACE_S = 30.0  # Redis away longer than this: OcrUnavailable
QUESTION_TIMEOUT_S = 15.0  # /lang's questions to a worker wait at most this long
PING_TIMEOUT_S = 1.0
DELAY_KNOWN_S = 5.0  # how long one finding of `delay()` serves every photo that waits
CHECK_S = 0.5  # how often a waiting call looks at the broker's state

# Celery failures that are not about the image: no worker could run the task as sent.
_NOT_THE_IMAGE = frozenset({"NotRegistered", "ContentDisallowed", "DecodeError", "Reject"})
# A worker that read the image but could not store its answer (Redis away for longer than its
# retries) records the connection error as the task's failure: the queue's fault, not the image's.
_QUEUE_FAULTS = frozenset(
    {
        "OperationalError",
        "ConnectionError",
        "TimeoutError",
        "BusyLoadingError",
        "ReadOnlyError",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "BrokenPipeError",
    }
)


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _decode(kind: type[T], answer: Any) -> T:
    """A worker's answer as `kind`; one that doesn't fit comes from a worker of another
    version: not the image's fault."""
    try:
        return from_wire(kind, answer)
    except WireError as error:
        raise OcrUnavailable(f"the worker's answer does not fit: {error}") from None


def _cancelling() -> bool:
    """Whether the running task is being cancelled (the bot stopping): no more Redis calls."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class TaskLost(Exception):
    """Redis restarted after the task was sent: it may be gone, send it again."""


class CeleryBackend:
    """`OcrBackend` on a Celery/Redis queue; see the module docstring for the rules."""

    def __init__(
        self,
        config: EngineConfig,
        *,
        broker_url: str,
        timeout_s: float = 120.0,
        max_in_flight: int = 8,
        broker_grace_s: float = BROKER_GRACE_S,
        question_timeout_s: float = QUESTION_TIMEOUT_S,
        result_ttl_s: int = RESULT_TTL_S,
        namespace: str = "bot",
    ) -> None:
        self.config = config
        self.timeout_s = timeout_s
        self.broker_grace_s = broker_grace_s
        self.question_timeout_s = question_timeout_s
        # Job ids are the bot's own: `namespace` (the bot's id) keeps two bots that share a
        # Redis from superseding each other's tasks.
        self.namespace = namespace
        self.licensed: bool | None = None
        self.warm_up_s: float | None = None  # workers warm themselves; nothing to report
        self._app = make_celery(broker_url, timeout_s, result_ttl_s)
        # Celery's client calls block, so they run on threads of their own, one at a time
        # each: sending (and revoking) on one, pings (~1 s each, for /stats) on another, so
        # a ping never holds up a photo.
        self._send_thread = ThreadPoolExecutor(1, thread_name_prefix="celery-send")
        self._ping_thread = ThreadPoolExecutor(1, thread_name_prefix="celery-ping")
        self._redis = Redis.from_url(
            broker_url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=10
        )
        self._watcher = ResultWatcher(
            self._redis,
            key_prefix=self._app.backend.task_keyprefix.decode()
            if isinstance(self._app.backend.task_keyprefix, bytes)
            else str(self._app.backend.task_keyprefix),
            decode=self._app.backend.decode,
        )
        self._max_in_flight = max_in_flight
        self._slots: asyncio.Semaphore | None = None
        self._in_flight = 0
        self._waiting: set[str] = set()  # task ids this process still wants an answer to
        self._abandoned: set[str] = set()  # given up (shutdown): revoked at close
        self._readings = ReadingLog()
        self._languages: list[str] | None = None
        self._language_checks: dict[str, str | None] = {}
        self._delay_found: tuple[float, OcrDelay | None] | None = None  # (when, what)
        self._delay_lock: asyncio.Lock | None = None

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def capacity(self) -> int:
        return self._max_in_flight

    @property
    def timings(self) -> OcrTimings:
        return self._readings.timings

    def start(self) -> None:
        """Start listening for results (needs the running event loop)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_in_flight)
        self._watcher.start()

    async def warm_up(self) -> None:
        """Workers warm their own engines; say what the queue looks like at start."""
        status = await self.status()
        log.info(
            "event=ocr_queue_ready broker_reachable=%s workers=%d queued=%s",
            status.broker_reachable,
            status.workers,
            status.queued,
        )

    async def recognize(
        self,
        image: bytes,
        language: str | None = None,
        crop_below: float | None = None,
        job: str | None = None,
    ) -> OcrOutcome:
        """OCR one image on a worker; waits (bounded: OCR_MAX_IN_FLIGHT at once) for one."""
        if self._slots is None:
            self.start()
        assert self._slots is not None
        ticket = None if job is None else f"{self.namespace}:{job}"
        async with self._slots:
            self._in_flight += 1
            started = time.monotonic()
            try:
                args = [to_wire(self.config), _base64(image), language, crop_below]
                answer = await self._ask(RECOGNIZE, args, deadline_s=None, job=ticket)
            finally:
                self._in_flight -= 1
                if ticket is not None and not _cancelling():
                    await self._answered(ticket)
        outcome = _decode(OcrOutcome, answer)
        self._readings.record(outcome, time.monotonic() - started)
        self.licensed = not outcome.trial
        return outcome

    async def languages(self) -> list[str]:
        if self._languages is None:
            answer = await self._ask(
                LANGUAGES, [to_wire(self.config)], deadline_s=self.question_timeout_s
            )
            self._languages = [str(name) for name in answer]
        return self._languages

    async def language_problem(self, language: str) -> str | None:
        if language not in self._language_checks:
            answer = await self._ask(
                CHECK_LANGUAGE,
                [to_wire(self.config), language],
                deadline_s=self.question_timeout_s,
            )
            self._language_checks[language] = None if answer is None else str(answer)
        return self._language_checks[language]

    async def cut(self, image: bytes, boxes: list[Box | None]) -> list[bytes | None]:
        """Pieces of an image read earlier, cut by a worker; bounded like a question."""
        answer = await self._ask(
            CUT,
            [to_wire(self.config), _base64(image), to_wire(boxes)],
            deadline_s=self.question_timeout_s,
        )
        return _decode(list[bytes | None], answer)

    async def status(self) -> BackendStatus:
        """Tasks waiting in Redis and the workers that answer a ping (takes ~1 s)."""
        try:
            # kombu's Redis transport keeps a queue as a list under the queue's name.
            queued: int | None = int(await self._redis.llen(QUEUE))
            replies = await self._in_thread(self._ping_thread, self._ping)
        except (RedisError, OperationalError, OSError) as error:
            log.warning("event=ocr_status_failed error=%s", type(error).__name__)
            return BackendStatus(kind="celery", workers=0, broker_reachable=False)
        names = tuple(sorted(name for reply in replies for name in reply))
        return BackendStatus(kind="celery", workers=len(names), worker_names=names, queued=queued)

    async def _answered(self, ticket: str) -> None:
        """Copies of the job's task still in Redis are skipped from now on (best effort)."""
        try:
            await asyncio.wait_for(mark_answered(self._redis, ticket), timeout=2)
        except (TimeoutError, RedisError, OSError) as error:
            log.info("event=ocr_ticket_unavailable error=%s", type(error).__name__)

    def _ping(self) -> list[dict[str, Any]]:
        return list(self._app.control.ping(timeout=PING_TIMEOUT_S) or [])

    async def delay(self) -> OcrDelay | None:
        """Redis unreachable, or no worker answering a ping (found at most every few
        seconds, however many photos wait)."""
        if self._delay_lock is None:
            self._delay_lock = asyncio.Lock()
        async with self._delay_lock:
            found = self._delay_found
            if found is None or time.monotonic() - found[0] > DELAY_KNOWN_S:
                found = self._delay_found = (time.monotonic(), await self._find_delay())
            return found[1]

    async def _find_delay(self) -> OcrDelay | None:
        try:
            await asyncio.wait_for(self._redis.ping(), timeout=5 * PING_TIMEOUT_S)
            replies = await self._in_thread(self._ping_thread, self._ping)
        except (TimeoutError, RedisError, OperationalError, OSError):
            return OcrDelay.UNREACHABLE
        return None if replies else OcrDelay.NO_WORKER

    # --- one task: send, wait, send again if Redis lost it ---

    async def _ask(
        self, name: str, args: list[Any], *, deadline_s: float | None, job: str | None = None
    ) -> Any:
        """The task's answer (`outcome`), or its error raised as the local pool would; each
        copy sent is named the current task of `job`, if given."""
        deadline = None if deadline_s is None else time.monotonic() + deadline_s
        task_ids: list[str] = []
        try:
            while True:
                task_id = str(uuid.uuid4())
                task_ids.append(task_id)
                self._waiting.add(task_id)
                self._watcher.watch(task_id)  # before sending, so no result is missed
                await self._send(name, args, task_id, job)
                held_by = await self._watcher.server_id()
                log.debug("event=ocr_task_sent task=%s name=%s", task_id, name)
                try:
                    meta = await self._wait(task_ids, held_by, deadline)
                except TaskLost:
                    log.warning("event=ocr_task_resent task=%s reason=broker_restarted", task_id)
                    continue
                return self._answer(meta)
        except asyncio.CancelledError:
            self._abandoned.update(task_ids)  # revoked at close, so no worker reads it later
            raise
        finally:
            for task_id in task_ids:
                self._waiting.discard(task_id)
                self._watcher.forget(task_id)

    async def _send(self, name: str, args: list[Any], task_id: str, job: str | None) -> None:
        give_up = time.monotonic() + self.broker_grace_s
        pause = 0.2
        while True:
            try:
                if job is not None:  # before sending: a worker may take the task at once
                    await name_current(self._redis, job, task_id)
                await self._in_thread(
                    self._send_thread,
                    self._app.send_task,
                    name,
                    args=args,
                    task_id=task_id,
                    queue=QUEUE,
                    headers=None if job is None else {JOB_HEADER: job},
                )
                return
            except (OperationalError, RedisError, OSError) as error:
                if time.monotonic() >= give_up:
                    raise OcrUnavailable(f"the OCR queue is unreachable ({error})") from None
                log.warning("event=ocr_send_retry task=%s error=%s", task_id, type(error).__name__)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)

    async def _wait(
        self, task_ids: list[str], held_by: str | None, deadline: float | None
    ) -> dict[str, Any]:
        """The first answer to any copy of the task; TaskLost when the Redis instance that
        held the last copy is gone (restarted: a new run_id)."""
        futures = [self._watcher.watch(task_id) for task_id in task_ids]
        while True:
            done, _ = await asyncio.wait(
                futures, timeout=CHECK_S, return_when=asyncio.FIRST_COMPLETED
            )
            if done:
                return next(iter(done)).result()  # any copy's answer: the first wins
            if await self._gone(held_by):
                raise TaskLost
            if self._watcher.unreachable_for() > self.broker_grace_s:
                raise OcrUnavailable("the OCR queue (Redis) is unreachable")
            if deadline is not None and time.monotonic() > deadline:
                raise OcrUnavailable("no OCR worker answered in time")

    async def _gone(self, held_by: str | None) -> bool:
        """Whether the Redis instance that took the task was replaced by another."""
        if held_by is None or self._watcher.run_id in (None, held_by):
            return False
        # The watcher saw another instance; ask directly: its view may be older than our
        # send, which then went to the new instance.
        return await self._watcher.server_id() not in (None, held_by)

    def _answer(self, meta: dict[str, Any]) -> Any:
        status = meta.get("status")
        result = meta.get("result")
        if status == "SUCCESS" and isinstance(result, dict):
            if "error" in result:
                raise error_from_wire(result["error"])
            return result.get("outcome")
        if status == "REVOKED":
            raise OcrUnavailable("the OCR task was revoked")
        failure = result if isinstance(result, dict) else {}
        kind = str(failure.get("exc_type", "unknown"))
        detail = failure.get("exc_message")
        if kind == "TimeLimitExceeded":
            raise OcrTimeout(f"OCR took longer than {self.timeout_s:g} s")
        if kind == "WorkerLostError":  # as in the local pool: worth another try or two
            raise WorkerLost("OCR worker died while reading the image")
        if kind in _NOT_THE_IMAGE:
            raise OcrUnavailable(f"no worker could run the task: {kind} {detail}")
        if kind in _QUEUE_FAULTS:
            raise OcrUnavailable(f"a worker could not store its answer: {kind} {detail}")
        raise OcrFailed(f"{kind}: {detail}")

    @staticmethod
    async def _in_thread(
        thread: ThreadPoolExecutor, function: Any, *args: Any, **kwargs: Any
    ) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(thread, lambda: function(*args, **kwargs))

    # --- stopping ---

    async def close(self) -> None:
        """Stop listening; tasks given up at shutdown are revoked (best effort), so workers
        that are up skip them: the restarted bot sends those photos again."""
        abandoned = sorted(self._abandoned | self._waiting)
        if abandoned:
            try:
                await asyncio.wait_for(
                    self._in_thread(self._send_thread, self._app.control.revoke, abandoned),
                    timeout=2,
                )
                log.info("event=ocr_tasks_revoked count=%d", len(abandoned))
            except (TimeoutError, OperationalError, RedisError, OSError) as error:
                log.info("event=ocr_revoke_failed error=%s", type(error).__name__)
        await self._watcher.close()
        await self._redis.aclose()
        self.shutdown()

    def shutdown(self) -> None:
        self._send_thread.shutdown(wait=False, cancel_futures=True)
        self._ping_thread.shutdown(wait=False, cancel_futures=True)
        self._app.close()
