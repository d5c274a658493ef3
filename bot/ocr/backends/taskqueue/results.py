"""Waits for Celery task results in Redis from the event loop: no thread per task, no polling
delay for the common case, and a reliable answer to "did Redis lose my task?".

Celery's Redis result backend stores each result under `celery-task-meta-<id>` and publishes it
on a channel of that name. The watcher listens on those channels (one pattern subscription),
and once a second re-reads the results it still waits for (a result published while it was
reconnecting is not lost) and Redis's `run_id`, which changes when Redis restarts: tasks sent
to the Redis that went away may be gone, and the backend sends them again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

REFRESH_S = 1.0
RECONNECT_S = 0.5
READY_STATES = frozenset({"SUCCESS", "FAILURE", "REVOKED"})


class ResultWatcher:
    """Futures of task results, resolved from Redis by one background task."""

    def __init__(
        self, redis: Redis, *, key_prefix: str, decode: Callable[[bytes], dict[str, Any]]
    ) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._decode = decode
        self._futures: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._task: asyncio.Task[None] | None = None
        self.run_id: str | None = None  # the Redis instance answering now (None: not known)
        self._unreachable_since: float | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ocr-result-watcher")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for future in self._futures.values():
            future.cancel()
        self._futures.clear()

    def watch(self, task_id: str) -> asyncio.Future[dict[str, Any]]:
        """The future of `task_id`'s result meta (status, result); register before sending."""
        future = self._futures.get(task_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._futures[task_id] = future
        return future

    def forget(self, task_id: str) -> None:
        future = self._futures.pop(task_id, None)
        if future is not None and not future.done():
            future.cancel()

    async def server_id(self) -> str | None:
        """The run_id of the Redis answering right now (None if none does): a task just sent
        lives or dies with that instance."""
        try:
            info = await self._redis.info("server")
        except (RedisError, OSError):
            return self.run_id
        return str(info.get("run_id", "")) or None

    def unreachable_for(self) -> float:
        """Seconds since Redis stopped answering (0 while it answers)."""
        since = self._unreachable_since
        return 0.0 if since is None else time.monotonic() - since

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as error:
                if self._unreachable_since is None:
                    self._unreachable_since = time.monotonic()
                    log.warning("event=ocr_broker_unreachable error=%s", type(error).__name__)
                await asyncio.sleep(RECONNECT_S)

    async def _listen(self) -> None:
        async with self._redis.pubsub() as pubsub:
            await pubsub.psubscribe(f"{self._prefix}*")
            await self._refresh()  # what was published before this subscription
            next_refresh = time.monotonic() + REFRESH_S
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
                if message is not None:
                    self._deliver(message["channel"], message["data"])
                if time.monotonic() >= next_refresh:
                    await self._refresh()
                    next_refresh = time.monotonic() + REFRESH_S

    async def _refresh(self) -> None:
        info = await self._redis.info("server")
        run_id = str(info.get("run_id", "")) or None
        if self.run_id is not None and run_id != self.run_id:
            log.warning("event=ocr_broker_restarted")
        self.run_id = run_id
        if self._unreachable_since is not None:
            log.info("event=ocr_broker_reachable after_s=%.1f", self.unreachable_for())
            self._unreachable_since = None
        waiting = [task_id for task_id, future in self._futures.items() if not future.done()]
        if waiting:
            keys = [f"{self._prefix}{task_id}" for task_id in waiting]
            for key, value in zip(keys, await self._redis.mget(keys), strict=True):
                if value is not None:
                    self._deliver(key.encode(), value)

    def _deliver(self, channel: bytes | str, data: bytes | str) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        future = self._futures.get(name.removeprefix(self._prefix))
        if future is None or future.done():
            return  # another process's task, or a duplicate result: harmless
        try:
            meta = self._decode(data if isinstance(data, bytes) else data.encode())
        except Exception as error:  # a payload we can't read: not one of our results
            log.warning("event=ocr_result_unreadable error=%s", error)
            return
        if isinstance(meta, dict) and meta.get("status") in READY_STATES:
            future.set_result(meta)
