"""The bot end to end: photos through the fake Bot API with 1, 4 and 16 users at once.

Latency is from the moment a photo update is queued on the fake server to the moment the
bot's reply for it (the status message, edited into "Note #…") is seen there.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.report import percentile, process_memory
from bot.config import Settings
from bot.ocr.backends.pool import OcrPool
from bot.ocr.contract import EngineConfig
from tests.support.fake_telegram import FakeTelegram
from tests.support.running import running_bot

TOKEN = "123456789:AAFakeTokenForBenchmarks_abcdefghijk"
PROBE_USER = 999_999
# Replies go through AIORateLimiter (Telegram's 30 messages/s overall): probes ~10/s leave room
# for the OCR replies, so the figures are the bot's latency, not the limiter's queue.
PROBE_GAP_S = 0.2


def bot_settings(server: FakeTelegram, folder: Path, workers: int) -> Settings:
    return Settings(
        token=server.token,
        api_base_url=server.base_url,
        file_base_url=server.base_file_url,
        database_path=folder / "notes.db",
        aspose_resources_dir=folder / "aspose",
        aspose_auto_download=False,
        ocr_workers=workers,
        confidence_threshold=0,
        max_pending_per_user=1000,
        max_queue=10_000,
    )


@dataclass
class MemorySampler:
    """Peak resident memory of this process and of its OCR workers, sampled every 100 ms."""

    main_peak: float = 0.0
    workers_peak: float = 0.0
    total_peak: float = 0.0
    _task: asyncio.Task | None = field(default=None, repr=False)

    def sample(self) -> None:
        now = process_memory(os.getpid())
        self.main_peak = max(self.main_peak, now["main_mb"])
        self.workers_peak = max(self.workers_peak, now["workers_mb"])
        self.total_peak = max(self.total_peak, now["main_mb"] + now["workers_mb"])

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(0.1)

    def __enter__(self) -> MemorySampler:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()
        self.sample()


def photo_answered(server: FakeTelegram, chat_id: int, photo_id: int) -> bool:
    """Whether the bot has answered that photo with its note (the edited status message)."""

    def is_result(message: dict) -> bool:
        replied = message.get("reply_to_message") or {}
        return replied.get("message_id") == photo_id and "Note #" in message.get("text_plain", "")

    return server.find_bot_message(chat_id, is_result, after=photo_id) is not None


async def round_trip(server: FakeTelegram, user: int, text: str, expect: str) -> float:
    """Seconds from a command queued on the fake server to the bot's answer arriving there.

    The fake server wakes the wait after every Bot API call, so no polling delay is added.
    """
    sent = server.send_text(user, text)
    started = time.perf_counter()
    await server.wait_for_message(
        user, lambda m: expect in m.get("text_plain", ""), after=sent["message_id"], timeout=60
    )
    return time.perf_counter() - started


async def photos_through_bot(server: FakeTelegram, images: list[bytes], users: int) -> dict:
    """Send every image at once, spread over `users` users; wait for every reply."""
    first_user = 10_000 * users
    pending: dict[tuple[int, int], float] = {}
    for index, image in enumerate(images):
        user = first_user + index % users
        photo = server.send_photo(user, image)
        pending[(user, photo["message_id"])] = time.perf_counter()
    started = min(pending.values())
    latencies: list[float] = []
    while pending:
        done = await server.wait_for(
            lambda: [key for key in pending if photo_answered(server, *key)], timeout=1800
        )
        for key in done:
            latencies.append(time.perf_counter() - pending.pop(key))
    wall = time.perf_counter() - started
    return {
        "users": users,
        "images": len(images),
        "images_per_s": round(len(images) / wall, 3),
        "p50_s": round(percentile(latencies, 50), 3),
        "p95_s": round(percentile(latencies, 95), 3),
    }


async def bot_throughput(
    config: EngineConfig, images: list[bytes], folder: Path, workers: int, user_counts: list[int]
) -> tuple[list[dict], dict]:
    """Rows per user count for one OCR_WORKERS value, and the memory peaks meanwhile."""
    service = OcrPool(replace(config, resources_dir=str(folder / "aspose")), workers=workers)
    service.start()
    await service.warm_up()
    rows = []
    try:
        async with FakeTelegram(token=TOKEN) as server:
            settings = bot_settings(server, folder / f"w{workers}", workers)
            async with running_bot(settings, service):
                with MemorySampler() as memory:
                    for users in user_counts:
                        row = await photos_through_bot(server, images, users)
                        rows.append({"workers": workers, **row})
    finally:
        await service.close()
    peaks = {
        "main_mb": memory.main_peak,
        "workers_mb": memory.workers_peak,
        "total_mb": memory.total_peak,
    }
    return rows, peaks
