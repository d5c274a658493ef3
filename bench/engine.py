"""The raw engine, without the bot: time per image size, threads vs processes, the GIL,
layout detection modes, downscaling.

Each measurement runs in a fresh spawned process, so a native crash in the engine (e.g. two
engines in one process) is reported as an error instead of ending the benchmark.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace

from bot.ocr.backends.pool import OcrPool
from bot.ocr.contract import EngineConfig
from bot.ocr.engines.aspose import AsposeEngine


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
    """Wall time for the images through the bot's process pool (OcrPool) with N workers."""
    service = OcrPool(config, workers=workers, timeout_s=600)
    service.start()
    try:
        await service.warm_up()
        started = time.perf_counter()
        await asyncio.gather(*(service.recognize(image) for image in images))
        wall = time.perf_counter() - started
    finally:
        await service.close()
    return _parallel_row("worker processes (OcrPool)", workers, len(images), wall)


def word_precision(recognized: str, truth: list[str]) -> float | None:
    """Share of recognized words that are words of the truth (order-free: columns may be read
    in either order). Trial mode returns only the start of the text, so recall means nothing
    there; precision still shows misread words ("Jittle" for "little") and lost layout."""
    words = re.findall(r"\w+", recognized.lower())
    known = set(re.findall(r"\w+", " ".join(truth).lower()))
    return round(sum(word in known for word in words) / len(words), 3) if words else None


def _timed_text(engine: AsposeEngine, image: bytes, truth: list[str], runs: int = 2) -> dict:
    engine.recognize(image)  # warm-up at this size and mode
    timings, text = [], ""
    for _ in range(runs):
        seconds, text = _recognized(engine, image)
        timings.append(seconds)
    return {
        "seconds": round(min(timings), 2),
        "chars": len(text),
        "word_precision": word_precision(text, truth),
        "text_start": text.replace("\n", " / ")[:40],
    }


def _downscale(config: EngineConfig, pages: list[tuple[int, bytes, list[str]]], sides: list[int]):
    rows = []
    for side in sides:
        engine = AsposeEngine(replace(config, max_side=side))
        for font_px, image, truth in pages:
            row = {"font_px": font_px, "max_side": side}
            rows.append(row | _timed_text(engine, image, truth))
    return rows


def downscale(
    config: EngineConfig, pages: list[tuple[int, bytes, list[str]]], sides: list[int]
) -> list[dict]:
    """Time and recognized text of large pages (font size, image, truth) at several
    `max_side` downscale limits."""
    return _in_child(_downscale, config, pages, sides)


def _areas(config: EngineConfig, images: list[tuple[str, bytes, list[str]]], modes: list[str]):
    rows = []
    for mode in modes:
        engine = AsposeEngine(replace(config, areas_mode=mode))
        for kind, image, truth in images:
            rows.append({"areas_mode": mode, "image": kind} | _timed_text(engine, image, truth))
    return rows


def areas_modes(
    config: EngineConfig, images: list[tuple[str, bytes, list[str]]], modes: list[str]
) -> list[dict]:
    """Time and text per layout detection mode, on each (kind, image, truth)."""
    return _in_child(_areas, config, images, modes)


def _gil(config: EngineConfig, image: bytes) -> dict:
    engine = AsposeEngine(config)
    engine.recognize(image)
    ticks: list[float] = []
    stop = threading.Event()

    def ticker() -> None:  # a Python thread that wants the GIL every 5 ms
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    thread = threading.Thread(target=ticker)
    thread.start()
    cpu_before, started = time.process_time(), time.perf_counter()
    engine.recognize(image)
    ended, cpu_after = time.perf_counter(), time.process_time()
    stop.set()
    thread.join()
    during = [tick for tick in ticks if started <= tick <= ended]
    expected = (ended - started) / 0.005
    return {
        "ocr_s": round(ended - started, 2),
        "cores_busy": round((cpu_after - cpu_before) / (ended - started), 2),
        "python_thread_ran": len(during),
        "would_run_if_released": round(expected),
        "gil_released": len(during) > expected / 2,
    }


def gil_probe(config: EngineConfig, image: bytes) -> dict:
    """Does `recognize` let other Python threads run? A ticker thread counts its chances."""
    return _in_child(_gil, config, image)
