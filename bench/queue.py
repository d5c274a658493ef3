"""OCR through the Celery/Redis queue against the local pool, same machine, same images, one
run: the overhead the queue adds to each photo, and photos/s through the bot with 1 and 2
workers. Real redis-server and real `python -m bot worker` processes (tests/support)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from bench.bot_load import TOKEN, bot_settings, photos_through_bot
from bench.report import ms, percentile
from bot.ocr.backend import OcrBackend
from bot.ocr.celery_backend import CeleryBackend
from bot.ocr.engine import EngineConfig
from bot.ocr.pool import OcrPool
from tests.support.bot_process import WorkerProcess
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
    finally:
        for worker in started:
            await worker.stop()
        await redis.stop()
    local, remote = (row["added_p50_ms"] for row in result["overhead"])
    result["added_by_queue_p50_ms"] = round(remote - local, 1)
    return result
