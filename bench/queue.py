"""OCR through the Celery/Redis queue against the local pool, same machine, same images, one
run: the overhead the queue adds to each photo, and photos/s through the bot with 1 and 2
workers. Real redis-server and real `python -m bot worker` processes (tests/support)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import replace
from pathlib import Path

from bench.bot_load import TOKEN, bot_settings, photos_through_bot
from bench.report import ms, percentile
from bot.ocr.backends.base import OcrBackend
from bot.ocr.backends.pool import OcrPool
from bot.ocr.backends.taskqueue.backend import CeleryBackend
from bot.ocr.contract import EngineConfig
from tests.support.bot_process import BotProcess, WorkerProcess
from tests.support.fake_telegram import FakeTelegram
from tests.support.redis_server import RedisServer
from tests.support.running import running_bot


async def overhead(backend: OcrBackend, name: str, images: list[bytes]) -> dict:
    """One image at a time: the bot's wait for each minus the engine's own time (measured in
    the worker), i.e. what getting the image there and the answer back costs."""
    added = []
    for image in images:
        started = time.perf_counter()
        outcome = await backend.recognize(image)
        added.append(time.perf_counter() - started - outcome.elapsed_s)
    return {
        "backend": name,
        "images": len(images),
        "added_p50_ms": ms(percentile(added, 50)),
        "added_p95_ms": ms(percentile(added, 95)),
        "added_max_ms": ms(max(added)),
    }


async def throughput(
    backend: OcrBackend, name: str, workers: int, images: list[bytes], folder: Path, users: int
) -> dict:
    """Every image at once through the real bot and the fake Bot API; CPU of this process
    (the bot and the fake server: an upper bound of the bot's own cost) per photo."""
    async with FakeTelegram(token=TOKEN) as server:
        settings = bot_settings(server, folder, workers)
        async with running_bot(settings, backend):
            cpu = time.process_time()
            row = await photos_through_bot(server, images, users)
            cpu = time.process_time() - cpu
    return {
        "backend": name,
        "workers": workers,
        **row,
        "bench_cpu_ms_per_photo": round(cpu * 1000 / len(images), 1),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def bot_cpu(broker_url: str, images: list[bytes], folder: Path, users: int) -> dict:
    """The real `python -m bot` with OCR_BACKEND=celery: its own CPU per photo, which bounds
    what one bot process can pass on however many workers read."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    async with FakeTelegram(token=TOKEN) as server:
        bot = BotProcess(
            server,
            folder,
            OCR_BACKEND="celery",
            OCR_BROKER_URL=broker_url,
            OCR_CONFIDENCE_THRESHOLD="0",
            MAX_PENDING_PER_USER="1000",
            MAX_QUEUE="10000",
            LOG_LEVEL="INFO",
        )
        await bot.start()
        try:
            await server.wait_for(
                lambda: any(method == "getUpdates" for method, _ in server.requests), 120
            )
            assert bot.process is not None
            before = cpu_seconds(bot.process.pid)
            row = await photos_through_bot(server, images, users)
            used = cpu_seconds(bot.process.pid) - before
            bot.process.send_signal(signal.SIGTERM)
            await bot.wait(30)
        finally:
            await bot.stop()
    return {
        "photos": len(images),
        "images_per_s": row["images_per_s"],
        "bot_cpu_ms_per_photo": round(used * 1000 / len(images), 1),
        "photos_per_bot_cpu_s": round(len(images) / used, 1) if used else None,
    }


async def compare(
    config: EngineConfig, images: list[bytes], folder: Path, worker_counts: list[int], users: int
) -> dict:
    config = replace(config, resources_dir=str(folder / "aspose"))
    result: dict = {"overhead": [], "throughput": []}
    for workers in worker_counts:
        pool = OcrPool(config, workers=workers)
        pool.start()
        await pool.warm_up()
        try:
            if workers == worker_counts[0]:
                result["overhead"].append(await overhead(pool, "local pool", images))
            result["throughput"].append(
                await throughput(pool, "local pool", workers, images, folder / f"l{workers}", users)
            )
        finally:
            await pool.close()

    redis = RedisServer(folder)
    await redis.start()
    started: list[WorkerProcess] = []
    try:
        for workers in worker_counts:
            while len(started) < workers:
                worker = WorkerProcess(redis.url, folder, f"worker{len(started) + 1}")
                await worker.start()
                await worker.ready()
                started.append(worker)
            queue = CeleryBackend(config, broker_url=redis.url, max_in_flight=workers + 1)
            queue.start()
            try:
                if workers == worker_counts[0]:
                    await queue.recognize(images[0])  # connections made, as in a running bot
                    result["overhead"].append(await overhead(queue, "celery + redis", images))
                result["throughput"].append(
                    await throughput(
                        queue, "celery + redis", workers, images, folder / f"q{workers}", users
                    )
                )
            finally:
                await queue.close()
        result["bot_cpu"] = await bot_cpu(redis.url, images, folder / "bot-process", users)
    finally:
        for worker in started:
            await worker.stop()
        await redis.stop()
    local, remote = (row["added_p50_ms"] for row in result["overhead"])
    result["added_by_queue_p50_ms"] = round(remote - local, 1)
    return result
