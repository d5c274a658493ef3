"""Cold start of the real `python -m bot` process, and its memory at each stage.

Stages: process start → first getUpdates (the bot is taking updates) → engine warmed up in
the background (`event=ocr_ready` in its log) → first photo answered → 16 users at once.
And the same bot with OCR_WARM_UP=false: memory while idle, and its first photo.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.bot_load import photo_answered
from bench.bot_process import TOKEN, bot_process, until
from bench.report import process_memory
from tests.support.fake_telegram import FakeTelegram


async def answer_time(server: FakeTelegram, user: int, photo: bytes) -> float:
    """Seconds from a photo sent to its note arriving."""
    sent = server.send_photo(user, photo)
    started = time.perf_counter()
    await until(lambda: photo_answered(server, user, sent["message_id"]), 300, "photo reply")
    return time.perf_counter() - started


async def cold_start(folder: Path, photo: bytes, load_users: int, **settings: str) -> dict:
    """Time and measure each stage of a start with the default background warm-up."""
    server = FakeTelegram(token=TOKEN)
    async with server, bot_process(server, folder, **settings) as bot:
        polled = await bot.first_poll(server)
        at_poll = process_memory(bot.process.pid)
        # A photo at once, while the engine is still warming up in the background...
        at_start_s = await answer_time(server, 1, photo)
        ready = await bot.engine_ready()
        at_ready = process_memory(bot.process.pid)
        # ...and one once it is warm.
        warm_s = await answer_time(server, 2, photo)
        peak = dict(at_ready)
        users = range(3, 3 + load_users)
        pending = [(u, server.send_photo(u, photo)["message_id"]) for u in users]
        while pending:
            now = process_memory(bot.process.pid)
            for key in ("main_mb", "workers_mb"):
                peak[key] = max(peak[key], now[key])
            pending = [p for p in pending if not photo_answered(server, *p)]
            await asyncio.sleep(0.05)
    warm_up_line = next(
        (line for line in bot.log.read_text().splitlines() if "event=ocr_ready" in line), ""
    )
    return {
        "to_first_poll_s": round(polled - bot.started, 2),
        "to_engine_ready_s": round(ready - bot.started, 2),
        "warm_up_logged": warm_up_line.split("warm_up_s=")[-1].strip() if warm_up_line else None,
        "photo_sent_at_first_poll_s": round(at_start_s, 2),
        "photo_after_warm_up_s": round(warm_s, 2),
        "memory_at_first_poll": at_poll,
        "memory_engine_loaded": at_ready,
        "memory_peak_under_load": peak,
        "load_users": load_users,
        "exit_code_after_sigterm": bot.exit_code,
    }


async def without_warm_up(folder: Path, photo: bytes, idle_s: float) -> dict:
    """OCR_WARM_UP=false: memory while idle, and the first photo sent after `idle_s`."""
    server = FakeTelegram(token=TOKEN)
    async with server, bot_process(server, folder, OCR_WARM_UP="false") as bot:
        await bot.first_poll(server)
        await asyncio.sleep(idle_s)
        idle = process_memory(bot.process.pid)
        first_s = await answer_time(server, 1, photo)
        second_s = await answer_time(server, 2, photo)
        after = process_memory(bot.process.pid)
    return {
        "idle_s": idle_s,
        "first_photo_s": round(first_s, 2),
        "second_photo_s": round(second_s, 2),
        "memory_idle": idle,
        "memory_after_photos": after,
    }


def cli_calls(folder: Path, photo: bytes, calls: int = 2, **settings: str) -> dict:
    """Wall seconds of `python -m bot ocr IMAGE` calls one after another (a fresh process
    each, as a script would call it), sharing one resources folder."""
    folder.mkdir(parents=True, exist_ok=True)
    image = folder / "photo.jpg"
    image.write_bytes(photo)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASPOSE_", "OCR_"))}
    env |= {"ASPOSE_RESOURCES_DIR": str(folder / "aspose"), **settings}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bot", "ocr", str(image)],
            env=env,
            cwd=folder,
            capture_output=True,
            timeout=300,
            check=False,
        )
        seconds.append(round(time.perf_counter() - started, 2))
        if done.returncode != 0:
            return {"error": done.stderr.decode()[-300:]}
    return {"settings": " ".join(f"{k}={v}" for k, v in settings.items()), "call_s": seconds}
