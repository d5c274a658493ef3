"""Cold start of the real `python -m bot` process, and its memory at each stage.

Stages: process start → first getUpdates (the bot is taking updates) → engine warmed up in
the background (`event=ocr_ready` in its log) → first photo answered → 16 users at once.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from bench.bot_load import photo_answered
from bench.report import children, rss_mb
from tests.fake_telegram import FakeTelegram

TOKEN = "123456789:AAFakeTokenForColdStart_abcdefghijkl"
REPO = Path(__file__).resolve().parent.parent


def _memory(pid: int) -> dict:
    workers = children(pid)
    main = rss_mb(pid) or 0.0
    worker_mb = sum(rss_mb(child) or 0.0 for child in workers)
    return {"main_mb": main, "workers_mb": round(worker_mb, 1), "processes": 1 + len(workers)}


async def _until(predicate, timeout: float, what: str) -> float:
    """Poll every 2 ms (the fake server has no events to wait on); returns the time seen."""
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.002)
    return time.perf_counter()


async def _answer_time(server: FakeTelegram, user: int, photo: bytes) -> float:
    sent = server.send_photo(user, photo)
    started = time.perf_counter()
    await _until(lambda: photo_answered(server, user, sent["message_id"]), 300, "photo reply")
    return time.perf_counter() - started


def _env(server: FakeTelegram, folder: Path, warm_up: bool) -> dict[str, str]:
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "TELEGRAM_FILE_BASE_URL": server.base_file_url,
        "DATABASE_PATH": str(folder / "notes.db"),
        "ASPOSE_RESOURCES_DIR": str(folder / "aspose"),
        "ASPOSE_AUTO_DOWNLOAD": "false",
        "OCR_CONFIDENCE_THRESHOLD": "0",
        "OCR_WARM_UP": "true" if warm_up else "false",
        "LOG_LEVEL": "INFO",
    }


async def cold_start(folder: Path, photo: bytes, load_users: int) -> dict:
    """Run the bot as a subprocess against the fake server and time/measure each stage."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    log_path = folder / "bot.log"
    async with FakeTelegram(token=TOKEN) as server:
        with log_path.open("w") as log:
            started = time.perf_counter()
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=REPO,
                env=_env(server, folder, warm_up=True),
                stdout=log,
                stderr=log,
            )
            try:
                polled = await _until(
                    lambda: any(m == "getUpdates" for m, _ in server.requests), 120, "first poll"
                )
                at_poll = _memory(process.pid)
                # A photo at once, while the engine is still warming up in the background...
                at_start_s = await _answer_time(server, 1, photo)
                ready = await _until(
                    lambda: "event=ocr_ready" in log_path.read_text(), 120, "engine warm-up"
                )
                at_ready = _memory(process.pid)
                # ...and one once it is warm.
                warm_s = await _answer_time(server, 2, photo)
                peak = dict(at_ready)
                users = range(3, 3 + load_users)
                pending = [(u, server.send_photo(u, photo)["message_id"]) for u in users]
                while pending:
                    now = _memory(process.pid)
                    for key in ("main_mb", "workers_mb"):
                        peak[key] = max(peak[key], now[key])
                    pending = [p for p in pending if not photo_answered(server, *p)]
                    await asyncio.sleep(0.05)
                process.terminate()
                exit_code = await asyncio.wait_for(process.wait(), timeout=30)
            finally:
                if process.returncode is None:
                    process.kill()
    warm_up_line = next(
        (line for line in log_path.read_text().splitlines() if "event=ocr_ready" in line), ""
    )
    return {
        "to_first_poll_s": round(polled - started, 2),
        "to_engine_ready_s": round(ready - started, 2),
        "warm_up_logged": warm_up_line.split("warm_up_s=")[-1].strip() if warm_up_line else None,
        "photo_sent_at_first_poll_s": round(at_start_s, 2),
        "photo_after_warm_up_s": round(warm_s, 2),
        "memory_at_first_poll": at_poll,
        "memory_engine_loaded": at_ready,
        "memory_peak_under_load": peak,
        "load_users": load_users,
        "exit_code_after_sigterm": exit_code,
    }


async def without_warm_up(folder: Path, photo: bytes, idle_s: float) -> dict:
    """OCR_WARM_UP=false: memory while idle, and the first photo sent after `idle_s`."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    log_path = folder / "bot.log"
    async with FakeTelegram(token=TOKEN) as server:
        with log_path.open("w") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=REPO,
                env=_env(server, folder, warm_up=False),
                stdout=log,
                stderr=log,
            )
            try:
                await _until(
                    lambda: any(m == "getUpdates" for m, _ in server.requests), 120, "first poll"
                )
                await asyncio.sleep(idle_s)
                idle = _memory(process.pid)
                first_s = await _answer_time(server, 1, photo)
                second_s = await _answer_time(server, 2, photo)
                after = _memory(process.pid)
                process.terminate()
                await asyncio.wait_for(process.wait(), timeout=30)
            finally:
                if process.returncode is None:
                    process.kill()
    return {
        "idle_s": idle_s,
        "first_photo_s": round(first_s, 2),
        "second_photo_s": round(second_s, 2),
        "memory_idle": idle,
        "memory_after_photos": after,
    }
