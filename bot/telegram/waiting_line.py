"""The line of photos waiting for OCR: their place in it, and how many are read at once.

Only a few jobs at a time download their image and hand it to the OCR pool, so a full queue
holds photos as rows in the database, not as megabytes in memory; the rest wait their turn in
arrival order. One slot more than there are OCR workers lets the next image download while
the current one is read, so the engine never waits for the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class WaitingLine:
    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a waiting line needs at least one slot")
        self._slots = asyncio.Semaphore(slots)
        self._unfinished = 0

    def __len__(self) -> int:
        """Jobs in the line: being read or waiting for a slot."""
        return self._unfinished

    @asynccontextmanager
    async def place(self) -> AsyncIterator[int]:
        """Join the line; yields how many jobs are ahead (being read or waiting), and holds
        the place until the block ends. Call `turn()` inside it to wait for a slot."""
        ahead = self._unfinished
        self._unfinished += 1
        try:
            yield ahead
        finally:
            self._unfinished -= 1

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a free slot (first come, first served) and hold it for the block."""
        async with self._slots:
            yield
