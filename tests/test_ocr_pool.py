"""The OCR pool with the real engine: workers run at lower CPU priority than the bot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.ocr.backends.pool import OcrPool
from bot.ocr.backends.worker import WORKER_NICENESS
from tests.support.images import NOTE_LINES, render_note


def ocr_worker_pids() -> list[int]:
    """This process's spawned pool workers (not multiprocessing's resource tracker)."""
    pids = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        pids += [int(pid) for pid in (task / "children").read_text().split()]
    return [pid for pid in pids if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


@pytest.mark.asyncio
async def test_workers_yield_the_cpu_to_the_bot(ocr_pool: OcrPool) -> None:
    outcome = await ocr_pool.recognize(render_note(NOTE_LINES))
    assert outcome.lines  # the worker really ran the engine
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    workers = ocr_worker_pids()
    assert workers
    assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in workers} == {mine + WORKER_NICENESS}
