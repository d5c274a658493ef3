"""An asyncio lock with two classes of holders: urgent ones go before waiting background ones.

The bot's one write connection serves both users (a button press, a search) and the photo
pipeline's bookkeeping. When a burst of photos queues dozens of job writes, a user's write
should not wait behind all of them: urgent waiters are served first, each class in arrival
order. Background writers can only be delayed by urgent ones, which are few (they come from
people pressing buttons and typing commands).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class PriorityLock:
    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._background: deque[asyncio.Future[None]] = deque()

    @property
    def locked(self) -> bool:
        return self._held

    @asynccontextmanager
    async def hold(self, *, urgent: bool) -> AsyncIterator[None]:
        await self._acquire(self._urgent if urgent else self._background)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, queue: deque[asyncio.Future[None]]) -> None:
        if not self._held:
            self._held = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(waiter)
        try:
            await waiter  # `_release` hands the lock over by resolving it
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed over just as we were cancelled: pass it on
            raise

    def _release(self) -> None:
        for queue in (self._urgent, self._background):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():  # skip waiters cancelled meanwhile
                    waiter.set_result(None)  # the lock stays held, now by that waiter
                    return
        self._held = False
