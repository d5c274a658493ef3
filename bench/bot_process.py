"""The real `python -m bot` as a subprocess against the fake Bot API, as it runs in production:
its own process, so the fake server and the measuring code don't share its event loop."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeTelegram

TOKEN = "123456789:AAFakeTokenForColdStart_abcdefghijkl"


async def until(predicate: Callable[[], object], timeout: float, what: str) -> float:
    """Poll every 2 ms until `predicate()` is true; returns the moment it was seen."""
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.002)
    return time.perf_counter()


@dataclass
class BotRun:
    bot: BotProcess
    started: float  # perf_counter() just before the process was started
    exit_code: int | None = None

    @property
    def process(self) -> asyncio.subprocess.Process:
        assert self.bot.process is not None
        return self.bot.process

    @property
    def log(self) -> Path:
        return self.bot.log

    def logged(self, text: str) -> bool:
        return text in self.log.read_text()

    async def first_poll(self, server: FakeTelegram) -> float:
        return await until(
            lambda: any(method == "getUpdates" for method, _ in server.requests), 120, "first poll"
        )

    async def engine_ready(self) -> float:
        return await until(lambda: self.logged("event=ocr_ready"), 120, "engine warm-up")


@asynccontextmanager
async def bot_process(server: FakeTelegram, folder: Path, **settings: str) -> AsyncIterator[BotRun]:
    """Run `python -m bot` against `server` with its data in `folder`; SIGTERM at the end
    (the exit code is kept in `BotRun.exit_code`)."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    bot = BotProcess(server, folder, OCR_CONFIDENCE_THRESHOLD="0", LOG_LEVEL="INFO", **settings)
    started = time.perf_counter()
    await bot.start()
    run = BotRun(bot, started)
    try:
        yield run
        run.process.send_signal(signal.SIGTERM)
        run.exit_code = await bot.wait(timeout=30)
    finally:
        await bot.stop()
