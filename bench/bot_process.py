"""The real `python -m bot` as a subprocess against the fake Bot API, as it runs in production:
its own process, so the fake server and the measuring code don't share its event loop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.fake_telegram import FakeTelegram

TOKEN = "123456789:AAFakeTokenForColdStart_abcdefghijkl"
REPO = Path(__file__).resolve().parent.parent


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
    process: asyncio.subprocess.Process
    log: Path
    started: float  # perf_counter() just before the process was started
    exit_code: int | None = None

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
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "TELEGRAM_FILE_BASE_URL": server.base_file_url,
        "DATABASE_PATH": str(folder / "notes.db"),
        "ASPOSE_RESOURCES_DIR": str(folder / "aspose"),
        "ASPOSE_AUTO_DOWNLOAD": "false",
        "OCR_CONFIDENCE_THRESHOLD": "0",
        "LOG_LEVEL": "INFO",
        **settings,
    }
    log_path = folder / "bot.log"
    with log_path.open("w") as log:
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=REPO, env=env, stdout=log, stderr=log
        )
        run = BotRun(process, log_path, started)
        try:
            yield run
            process.send_signal(signal.SIGTERM)
            run.exit_code = await asyncio.wait_for(process.wait(), timeout=30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
