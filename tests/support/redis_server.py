"""A real `redis-server` for the task-queue tests: a free 127.0.0.1 port, no persistence
(a restart loses everything, the harshest case), stopped and restarted at will."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

INSTALL_HINT = "redis-server is not installed: apt-get install redis-server (.ci/run does)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    def __init__(self, workdir: Path, *, password: str | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.password = password  # --requirepass: clients must give it
        self.process: asyncio.subprocess.Process | None = None
        self.log = workdir / "redis.log"

    @property
    def url(self) -> str:
        return self.url_with(self.password)

    def url_with(self, password: str | None) -> str:
        """The URL a client uses, with `password` (None: none) instead of the server's."""
        secret = f":{password}@" if password is not None else ""
        return f"redis://{secret}127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(INSTALL_HINT)
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.workdir),
                *(["--requirepass", self.password] if self.password is not None else []),
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        for _ in range(200):
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.025)
                continue
            writer.close()
            await writer.wait_closed()
            return
        raise RuntimeError(f"redis-server did not start on port {self.port}: see {self.log}")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 10)

    async def restart(self, down_s: float = 0.0) -> None:
        """Stop (losing every key: no persistence) and start again on the same port."""
        await self.stop()
        await asyncio.sleep(down_s)
        await self.start()
