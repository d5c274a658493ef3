"""Two small Redis keys per photo's job, shared by the bot and the workers, for what Celery
can't know: which task is the job's current one, and how many workers died reading it.

- The bot names the job's current task before sending it, and marks the job answered when
  it has its answer. A task sent for the same job earlier (before the bot was killed and sent
  it again on restart), or a copy of an answered task that Redis handed out once more (its
  visibility timeout ran out while a worker was still busy with it), is then *superseded*:
  the worker that takes it skips it, instead of reading a photo whose answer nobody waits for.
- A worker counts itself in when it starts reading a job's task and out when it is done. A
  worker that dies whole while reading (its machine, or a kernel OOM kill) never counts out,
  and Redis hands the task to the next worker after the visibility timeout: so the count a
  worker finds on arrival is the deaths so far. After MAX_ATTEMPTS of them the image is given
  up (the user is told), instead of killing worker after worker forever.

Both fail open: with Redis unreachable for these keys, the task is read as before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

import redis
from redis.asyncio import Redis

from bot.ocr.contract import MAX_ATTEMPTS

log = logging.getLogger(__name__)

KEY_PREFIX = "notes-ocr:job:"
# Longer than a task can sensibly wait in the queue; a key that expired only means a stale
# task is read once more, or the death count starts again.
KEPT_S = 7 * 24 * 3600
ANSWERED = "answered"  # the current "task" of a job whose answer the bot has


def _current(job: str) -> str:
    return f"{KEY_PREFIX}{job}:task"


def _reading(job: str) -> str:
    return f"{KEY_PREFIX}{job}:reading"


async def name_current(client: Redis, job: str, task_id: str) -> None:
    """The bot: `task_id` is the job's task from now on (raises RedisError when unreachable:
    the task is not sent then either)."""
    await client.set(_current(job), task_id, ex=KEPT_S)


async def mark_answered(client: Redis, job: str) -> None:
    """The bot has the job's answer: no copy of its task needs reading any more."""
    await client.set(_current(job), ANSWERED, ex=KEPT_S)


class Verdict(StrEnum):
    READ = "read"
    SUPERSEDED = "superseded"  # the bot sent the job again since: skip this copy
    GIVEN_UP = "given_up"  # workers died reading it MAX_ATTEMPTS times


@dataclass(frozen=True)
class Arrival:
    verdict: Verdict
    deaths: int = 0  # earlier readings of the job that never finished
    counted: bool = False  # counted in: `check_out` when done


def check_in(client: redis.Redis, job: str, task_id: str) -> Arrival:
    """A worker, before reading a job's task: what to do with it. When the verdict is READ,
    call `check_out` once done, whatever the outcome."""
    try:
        current = client.get(_current(job))
        if isinstance(current, bytes):
            current = current.decode()
        if current is not None and current != task_id:
            return Arrival(Verdict.SUPERSEDED)
        pipe = client.pipeline()
        pipe.incr(_reading(job))
        pipe.expire(_reading(job), KEPT_S)
        count, _ = pipe.execute()
    except (redis.RedisError, OSError) as error:
        log.warning("event=ocr_ticket_unavailable job=%s error=%s", job, type(error).__name__)
        return Arrival(Verdict.READ)
    deaths = int(count) - 1
    if deaths >= MAX_ATTEMPTS:
        check_out(client, job, Arrival(Verdict.GIVEN_UP, counted=True))
        return Arrival(Verdict.GIVEN_UP, deaths)
    return Arrival(Verdict.READ, deaths, counted=True)


def check_out(client: redis.Redis, job: str, arrival: Arrival) -> None:
    """A worker is done with a job's task (read, refused, or failed): it did not die on it."""
    if not arrival.counted:
        return
    try:
        client.decr(_reading(job))
    except (redis.RedisError, OSError) as error:
        log.warning("event=ocr_ticket_unavailable job=%s error=%s", job, type(error).__name__)
