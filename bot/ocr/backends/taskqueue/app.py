"""The Celery application both sides of the OCR queue build: the bot (which sends tasks) and
`python -m bot worker` (which runs them). One place for the queue's rules, so the two agree.

The rules, and why:
- JSON only (`accept_content`): no pickle from Redis; payloads are built
  by `wire`.
- `task_acks_late`: a task is acknowledged when it is done, so a worker machine that vanishes
  mid-image leaves it unacknowledged in Redis instead of losing it.
- Redis gives an unacknowledged task back only after the transport's `visibility_timeout`
  (an hour by default). Here it is the task's time limit plus a margin, and workers sweep for
  such tasks every second: a photo whose worker died is read by another one within
  OCR_TIMEOUT_S + ~6 s. A task still running can't outlive its hard time limit, so a live
  worker's task is never handed out twice.
- `task_reject_on_worker_lost=False`: when only the pool child dies (the worker survives, so
  the engine crashed on this image) the task fails with WorkerLostError, which the bot counts
  as an attempt at this image, as the local pool does; requeueing it could crash worker after
  worker on the same image.
- `worker_prefetch_multiplier=1`: a worker holds only the tasks it is running, so tasks wait in
  Redis, where any worker can take them, and the visibility timeout starts when reading does.
- Results expire after OCR_RESULT_TTL_S (600 s by default): the bot reads a result within
  milliseconds; one nobody reads (the bot restarted and sent the image again) must not stay
  in Redis. Longer keeps an answer for a bot that is down for longer; it costs Redis memory.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.backends.redis import RedisBackend

QUEUE = "notes-ocr"
RECOGNIZE = "notes.ocr.recognize"
LANGUAGES = "notes.ocr.languages"
CHECK_LANGUAGE = "notes.ocr.check_language"
CUT = "notes.ocr.cut"
# A message header naming the photo's job (`tickets`): a header, not an argument, so workers
# and bots of the version before it still understand each other's tasks.
JOB_HEADER = "notes_job"

VISIBILITY_MARGIN_S = 5.0
RESTORE_INTERVAL_S = 1
RESULT_TTL_S = 600  # OCR_RESULT_TTL_S's default
# Seconds a child may take to load and warm the engine before the worker gives up on it
# (Celery's default, 4 s, is shorter than the engine's warm-up).
CHILD_START_TIMEOUT_S = 120.0


class ResultStore(RedisBackend):  # type: ignore[misc]  # celery is untyped
    """Celery's Redis result backend, minus the subscription it opens for every task sent
    (that is for `AsyncResult.get`): the bot never calls `get`, it waits with its own watcher
    (`results`). Those subscriptions would pile up for the life of the bot,
    and with Redis down they make sending fail after Celery's own 20 reconnection tries."""

    def on_task_call(self, producer: Any, task_id: str) -> None:
        return None


def visibility_timeout(timeout_s: float) -> float:
    """How long Redis keeps a delivered, unacknowledged task from other workers."""
    return timeout_s + VISIBILITY_MARGIN_S


def make_celery(broker_url: str, timeout_s: float, result_ttl_s: int = RESULT_TTL_S) -> Celery:
    """The queue's Celery app; `timeout_s` is OCR_TIMEOUT_S, the hard limit per task;
    `result_ttl_s` is OCR_RESULT_TTL_S."""
    connection: dict[str, Any] = {
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
        "socket_keepalive": True,
        "health_check_interval": 10,
    }
    # "class+url" is Celery's way to name a backend class for a URL.
    backend = f"{ResultStore.__module__}:{ResultStore.__name__}+{broker_url}"
    app = Celery("notes-ocr", broker=broker_url, backend=backend, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_acks_on_failure_or_timeout=True,
        task_reject_on_worker_lost=False,
        task_time_limit=timeout_s,
        task_track_started=False,
        worker_prefetch_multiplier=1,
        worker_proc_alive_timeout=CHILD_START_TIMEOUT_S,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_deduplicate_successful_tasks=False,
        result_expires=result_ttl_s,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_transport_options={
            **connection,
            "visibility_timeout": visibility_timeout(timeout_s),
            "unacked_restore_interval": RESTORE_INTERVAL_S,
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options=connection,
        # A worker that finishes while Redis restarts stores its answer once Redis is back
        # (about 25 s of tries), instead of storing "OperationalError" as the task's failure.
        result_backend_always_retry=True,
        result_backend_max_retries=20,
        result_backend_max_sleep_between_retries_ms=2000,
        redis_socket_timeout=10,
        redis_socket_connect_timeout=5,
        redis_retry_on_timeout=True,
    )
    return app
