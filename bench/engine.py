"""The raw engine, without the bot: time per image size, threads vs processes, downscaling.

Each measurement runs in a fresh spawned process, so a native crash in the engine (e.g. two
engines in one process) is reported as an error instead of ending the benchmark.
"""

from __future__ import annotations

import asyncio
import difflib
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace

from bot.ocr_engine import AsposeEngine, EngineConfig
from bot.ocr_service import OcrService


def _parallel_row(mode: str, parallel: int, images: int, wall: float) -> dict:
    return {
        "mode": mode,
        "parallel": parallel,
        "images": images,
        "wall_s": round(wall, 2),
        "images_per_s": round(images / wall, 3),
    }


def _in_child(function, *args):
    """Run `function(*args)` in a new spawned process; errors come back as {'error': ...}."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        try:
            return pool.submit(function, *args).result(timeout=1800)
        except Exception as error:  # includes BrokenProcessPool after a native abort
            return {"error": f"{type(error).__name__}: {error}"}


def _recognized(engine: AsposeEngine, image: bytes) -> tuple[float, str]:
    started = time.perf_counter()
    outcome = engine.recognize(image)
    return time.perf_counter() - started, "\n".join(line.text for line in outcome.lines)


def _loop(config: EngineConfig, images: list[bytes]) -> dict:
    engine = AsposeEngine(config)
    warm_up, _ = _recognized(engine, images[0])
    timings = [_recognized(engine, image)[0] for image in images]
    return {"first_call_s": warm_up, "seconds": timings}


def engine_loop(config: EngineConfig, images: list[bytes]) -> dict:
    """Seconds per image for one engine in a loop (after a first, warm-up call)."""
    return _in_child(_loop, config, images)


def _threads(config: EngineConfig, images: list[bytes], threads: int) -> dict:
    engines = [AsposeEngine(config) for _ in range(threads)]
    for engine in engines:
        engine.recognize(images[0])  # warm each one
    chunks = [images[i::threads] for i in range(threads)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(
            pool.map(
                lambda pair: [pair[0].recognize(i) for i in pair[1]],
                zip(engines, chunks, strict=True),
            )
        )
    wall = time.perf_counter() - started
    return _parallel_row("threads, one process", threads, len(images), wall)


def threads_run(config: EngineConfig, images: list[bytes], threads: int) -> dict:
    """Wall time for the images split over `threads` threads, one engine per thread."""
    return _in_child(_threads, config, images, threads)


async def processes_run(config: EngineConfig, images: list[bytes], workers: int) -> dict:
    """Wall time for the images through the bot's process pool (OcrService) with N workers."""
    service = OcrService(config, workers=workers, timeout_s=600)
    service.start()
    try:
        await service.warm_up()
        started = time.perf_counter()
        await asyncio.gather(*(service.recognize(image) for image in images))
        wall = time.perf_counter() - started
    finally:
        await service.close()
    return _parallel_row("worker processes (OcrService)", workers, len(images), wall)


def _downscale(config: EngineConfig, image: bytes, truth: str, sides: list[int]) -> list[dict]:
    engines = {side: AsposeEngine(replace(config, max_side=side)) for side in sides}
    rows = []
    for side, engine in engines.items():
        engine.recognize(image)  # warm-up
        timings, text = [], ""
        for _ in range(2):
            seconds, text = _recognized(engine, image)
            timings.append(seconds)
        # Trial mode returns only the start of the text: compare with the same-length prefix.
        prefix = truth[: max(1, len(text))]
        similarity = difflib.SequenceMatcher(None, text.replace("\n", " "), prefix).ratio()
        rows.append(
            {
                "max_side": side,
                "seconds": round(min(timings), 2),
                "chars": len(text),
                "similarity": round(similarity, 3),
                "text_start": text.replace("\n", " / ")[:50],
            }
        )
    return rows


def downscale(config: EngineConfig, image: bytes, truth: str, sides: list[int]) -> list[dict]:
    """Time and recognized text of one large image at several `max_side` downscale limits."""
    return _in_child(_downscale, config, image, truth, sides)
