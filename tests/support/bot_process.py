"""`python -m bot` as a real subprocess: the bot against the fake Bot API, and OCR workers of
the task queue (`python -m bot worker`), for the tests that kill and signal them and for the
benchmarks that measure them as they run in production."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from pathlib import Path

from tests.support.fake_telegram import FakeTelegram

REPO_ROOT = Path(__file__).resolve().parents[2]


class ModuleProcess:
    """`python -m bot ARGS` in its own process group, so a kill reaches its OCR workers too.

    Its settings come only from `env` and the defaults below (none leak in from the calling
    environment); its output (stdout and stderr) goes to `log`, its data lives in `workdir`.
    """

    def __init__(self, args: list[str], workdir: Path, log: Path, env: dict[str, str]) -> None:
        self.args = args
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                ("TELEGRAM_", "ASPOSE_", "OCR_", "DATABASE_", "WEBAPP_", "WEBHOOK_")
            )
        }
        self.env.update(
            PYTHONPATH=str(REPO_ROOT),
            ASPOSE_RESOURCES_DIR=str(workdir / "aspose"),
            ASPOSE_AUTO_DOWNLOAD="false",
            LOG_LEVEL="DEBUG",
        )
        self.env.update(env)
        self.workdir = workdir
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *self.args,
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

    def logged(self, text: str) -> bool:
        return self.log.is_file() and text in self.log.read_text()

    def matches(self, pattern: str) -> list[re.Match[str]]:
        """Every match of `pattern` (a regular expression) in the log so far."""
        return list(re.finditer(pattern, self.log.read_text())) if self.log.is_file() else []

    async def wait_logged(
        self, pattern: str, timeout: float = 120, *, skip: int = 0
    ) -> re.Match[str]:
        """The match of `pattern` after the first `skip` ones, once it is in the log."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.matches(pattern)
            if len(found) > skip:
                return found[skip]
            if self.process is not None and self.process.returncode is not None:
                raise AssertionError(f"{self.args} exited ({self.process.returncode}): {pattern}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{pattern!r} not in {self.log} within {timeout} s")
            await asyncio.sleep(0.05)


class BotProcess(ModuleProcess):
    """`python -m bot` against the fake Bot API; its log is `workdir/bot.log`. Its HTTP
    server listens on a free port of 127.0.0.1 unless `env` names one (`http_port`)."""

    def __init__(self, telegram: FakeTelegram, workdir: Path, **env: str) -> None:
        if not {"WEBAPP_PORT", "WEBHOOK_PORT"} & set(env):
            env = {"WEBAPP_LISTEN": "127.0.0.1", "WEBAPP_PORT": "0", **env}
        super().__init__(
            [],
            workdir,
            workdir / "bot.log",
            {
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "TELEGRAM_FILE_BASE_URL": telegram.base_file_url,
                "DATABASE_PATH": str(workdir / "notes.db"),
                "WEBAPP_CACHE_DIR": str(workdir / "page-cache"),
                **env,
            },
        )

    async def http_port(self, timeout: float = 120) -> int:
        """The port its HTTP server listens on, once it does."""
        found = await self.wait_logged(r"event=http_listening listen=\S+ port=(\d+)", timeout)
        return int(found.group(1))


class WorkerProcess(ModuleProcess):
    """`python -m bot worker` on the queue at `broker_url`; its log is `workdir/NAME.log`.
    No token and no database in its environment: a worker must not need them."""

    def __init__(self, broker_url: str, workdir: Path, name: str = "worker", **env: str) -> None:
        super().__init__(
            ["worker"],
            workdir,
            workdir / f"{name}.log",
            {"OCR_BROKER_URL": broker_url, "LOG_LEVEL": "INFO", **env},
        )
        self.name = name

    async def ready(self, timeout: float = 120) -> None:
        """Until its engine is warm and it takes tasks."""
        await self.wait_logged(r"celery\.apps\.worker .* ready\.", timeout)
