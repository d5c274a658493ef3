"""`python -m bot` as a real subprocess against the fake Bot API: for the tests that kill and
signal it, and for the benchmarks that measure it as it runs in production."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.support.fake_telegram import FakeTelegram

REPO_ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """`python -m bot` in its own process group, so a kill reaches its OCR workers too.

    Its settings come only from `env` and the defaults below (none leak in from the calling
    environment), its data and log (`bot.log`, stdout and stderr) live in `workdir`.
    """

    def __init__(self, telegram: FakeTelegram, workdir: Path, **env: str) -> None:
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TELEGRAM_", "ASPOSE_", "OCR_", "DATABASE_"))
        }
        self.env.update(
            PYTHONPATH=str(REPO_ROOT),
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            TELEGRAM_FILE_BASE_URL=telegram.base_file_url,
            DATABASE_PATH=str(workdir / "notes.db"),
            ASPOSE_RESOURCES_DIR=str(workdir / "aspose"),
            ASPOSE_AUTO_DOWNLOAD="false",
            LOG_LEVEL="DEBUG",
        )
        self.env.update(env)
        self.workdir = workdir
        self.process: asyncio.subprocess.Process | None = None
        self.log = workdir / "bot.log"

    async def start(self) -> None:
        with self.log.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )

    def kill_group(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)

    async def wait(self, timeout: float) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.kill_group()
            await self.process.wait()
