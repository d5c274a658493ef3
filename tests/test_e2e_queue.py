"""OCR_BACKEND=celery end to end: the real `python -m bot` against the fake Bot API, a real
redis-server, and real `python -m bot worker` processes, killed and restarted for real.

The promise in every test: each photo gets exactly one note, and nothing is left unfinished.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.ocr.backends.taskqueue.app import RESTORE_INTERVAL_S, VISIBILITY_MARGIN_S
from tests.support.bot_process import BotProcess, WorkerProcess
from tests.support.fake_telegram import FakeTelegram, shown
from tests.support.images import render_note, words_prefix_of
from tests.support.redis_server import RedisServer
from tests.support.running import TOKEN

pytestmark = pytest.mark.asyncio
ADMIN, ALICE, BOB, CAROL = 5100, 5101, 5102, 5103
FIRST_LINES = [
    "Buy milk today",
    "Call Alice soon",
    "Water the plants",
    "Pay the rent",
    "Book a table",
    "Walk the dog",
]
# OCR_TIMEOUT_S here: a dead worker's task is handed out again after 25 s. Room for a worker's
# first photo (trial Aspose, then RapidOCR placing and cross-checking its lines, both models
# loading) while another test file runs beside this one (`make test` runs two).
TIMEOUT_S = 20


def photo(first_line: str) -> bytes:
    return render_note([first_line, "Meeting at noon", "Lorem ipsum dolor"], width=900)


def text(message: dict) -> str:
    return shown(message)


def notes(telegram: FakeTelegram, user: int) -> list[dict]:
    return [m for m in telegram.bot_messages(user) if text(m).startswith("📝 Note #")]


def send_photos(telegram: FakeTelegram, plan: dict[int, list[str]]) -> dict[tuple[int, int], str]:
    """Each user sends their photos; returns (chat, photo message id) -> its first line."""
    sent = {}
    for user, lines in plan.items():
        for line in lines:
            sent[user, telegram.send_photo(user, photo(line))["message_id"]] = line
    return sent


async def all_answered(telegram: FakeTelegram, plan: dict[int, list[str]], timeout: float) -> None:
    await telegram.wait_for(
        lambda: all(len(notes(telegram, user)) >= len(lines) for user, lines in plan.items()),
        timeout,
    )


def assert_each_photo_has_one_note(
    telegram: FakeTelegram,
    plan: dict[int, list[str]],
    sent: dict[tuple[int, int], str],
    database: Path,
) -> None:
    for user, lines in plan.items():
        answered = notes(telegram, user)
        assert len(answered) == len(lines), [text(m) for m in answered]
        for note in answered:  # the right reading on the right photo
            expected = sent[user, note["reply_to_message"]["message_id"]]
            assert words_prefix_of(text(note).split("\n")[1], expected), (text(note), expected)
        photos = {note["reply_to_message"]["message_id"] for note in answered}
        assert len(photos) == len(lines)
    with sqlite3.connect(database) as db:
        counts = dict(db.execute("SELECT user_id, count(*) FROM notes GROUP BY user_id"))
        unfinished = db.execute("SELECT count(*) FROM jobs WHERE status = 'queued'").fetchone()[0]
    assert counts == {user: len(lines) for user, lines in plan.items()}
    assert unfinished == 0


async def admin_stats(telegram: FakeTelegram, expected: str, tries: int = 10) -> str:
    """/stats until its answer contains `expected` (the figures settle within a moment)."""
    answer = ""
    for _ in range(tries):
        after = max((m["message_id"] for m in telegram.bot_messages(ADMIN)), default=0)
        telegram.send_text(ADMIN, "/stats")
        reply = await telegram.wait_for_message(
            ADMIN, lambda m: "OCR queue" in text(m), after=after, timeout=30
        )
        if expected in (answer := text(reply)):
            return answer
        await asyncio.sleep(0.5)
    raise AssertionError(f"/stats never said {expected!r}; last: {answer}")


def queue_bot(telegram: FakeTelegram, workdir: Path, redis: RedisServer, **env: str) -> BotProcess:
    return BotProcess(
        telegram,
        workdir,
        OCR_BACKEND="celery",
        OCR_BROKER_URL=redis.url,
        OCR_TIMEOUT_S=str(TIMEOUT_S),
        ADMIN_USER_IDS=str(ADMIN),
        LOG_LEVEL="INFO",
        **env,
    )


@asynccontextmanager
async def workers(
    redis: RedisServer, workdir: Path, count: int
) -> AsyncIterator[list[WorkerProcess]]:
    started = [
        WorkerProcess(redis.url, workdir, f"worker{n}", OCR_TIMEOUT_S=str(TIMEOUT_S))
        for n in range(1, count + 1)
    ]
    try:
        for worker in started:
            await worker.start()
        await asyncio.gather(*(worker.ready() for worker in started))
        yield started
    finally:
        for worker in started:
            await worker.stop()


async def stop_cleanly(bot: BotProcess) -> None:
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    assert await bot.wait(30) == 0


async def test_photos_from_several_users_through_two_workers(
    telegram: FakeTelegram, redis_server: RedisServer, tmp_path: Path
) -> None:
    plan = {ALICE: FIRST_LINES[:2], BOB: FIRST_LINES[2:4], CAROL: FIRST_LINES[4:]}
    async with workers(redis_server, tmp_path, 2) as (one, two):
        bot = queue_bot(telegram, tmp_path, redis_server)
        await bot.start()
        try:
            sent = send_photos(telegram, plan)
            await all_answered(telegram, plan, timeout=240)
            stats = await admin_stats(telegram, "0 waiting in Redis")
            await stop_cleanly(bot)
        finally:
            await bot.stop()
    assert_each_photo_has_one_note(telegram, plan, sent, tmp_path / "notes.db")
    # Both workers read photos; /stats names them and the (empty) queue.
    assert one.matches("event=ocr_task_done")
    assert two.matches("event=ocr_task_done")
    assert f"ocr-{one.process.pid}@" in stats
    assert f"ocr-{two.process.pid}@" in stats
    # OCR time with the queue's wait apart from the engine's reading.
    assert re.search(r"waiting p50 [\d.]+ s, p95 [\d.]+ s; reading p50 [\d.]+ s", stats), stats
    # A worker sees no token, and logs no user text.
    for log in (one.log.read_text(), two.log.read_text()):
        assert TOKEN not in log
        assert not any(line in log for line in FIRST_LINES)


async def test_photos_wait_for_a_worker_started_later(
    telegram: FakeTelegram, redis_server: RedisServer, tmp_path: Path
) -> None:
    plan = {ALICE: FIRST_LINES[:1], BOB: FIRST_LINES[1:2]}
    bot = queue_bot(telegram, tmp_path, redis_server)
    await bot.start()
    try:
        sent = send_photos(telegram, plan)
        for user in plan:
            await telegram.wait_for_message(user, lambda m: "Recognizing" in text(m), timeout=60)
        await admin_stats(telegram, "2 waiting in Redis; workers: none answered")
        assert not notes(telegram, ALICE)
        assert not notes(telegram, BOB)
        async with workers(redis_server, tmp_path, 1):
            await all_answered(telegram, plan, timeout=120)
            await stop_cleanly(bot)
    finally:
        await bot.stop()
    assert_each_photo_has_one_note(telegram, plan, sent, tmp_path / "notes.db")


async def test_a_worker_killed_mid_image_loses_nothing(
    telegram: FakeTelegram, redis_server: RedisServer, tmp_path: Path
) -> None:
    """SIGKILL of a worker's whole process group (as when its machine goes away) while it
    reads: Redis hands the task to the other worker after the visibility timeout. Two photos,
    one per worker: the survivor is idle again when the task comes back, so the time measured
    is the queue's, not the survivor's reading of another photo."""
    plan = {ALICE: FIRST_LINES[:1], BOB: FIRST_LINES[2:3]}
    async with workers(redis_server, tmp_path, 2) as pair:
        bot = queue_bot(telegram, tmp_path, redis_server)
        await bot.start()
        try:
            sent = send_photos(telegram, plan)
            started = r"event=ocr_task_started task=(\S+)"
            victim = await first_to_log(pair, started)
            task_id = victim.matches(started)[0].group(1)
            assert not victim.matches(f"event=ocr_task_done task={task_id}")  # mid-image
            victim.kill_group()
            killed_at = time.monotonic()
            survivor = next(worker for worker in pair if worker is not victim)
            await survivor.wait_logged(
                f"event=ocr_task_started task={task_id} .*redelivered=True", 90
            )
            handed_over_s = time.monotonic() - killed_at
            await all_answered(telegram, plan, timeout=120)
            await asyncio.sleep(3)  # a duplicate answer would come now
            await stop_cleanly(bot)
        finally:
            await bot.stop()
    assert_each_photo_has_one_note(telegram, plan, sent, tmp_path / "notes.db")
    # Within OCR_TIMEOUT_S + a few seconds: the visibility margin, one restore sweep, slack.
    assert handed_over_s <= TIMEOUT_S + VISIBILITY_MARGIN_S + RESTORE_INTERVAL_S + 4, handed_over_s
    print(f"task handed to the other worker {handed_over_s:.1f} s after the kill")


async def first_to_log(candidates: list[WorkerProcess], pattern: str) -> WorkerProcess:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for worker in candidates:
            if worker.matches(pattern):
                return worker
        await asyncio.sleep(0.02)
    raise TimeoutError(pattern)


async def test_bot_restarted_with_tasks_in_flight_answers_each_photo_once(
    telegram: FakeTelegram, redis_server: RedisServer, tmp_path: Path
) -> None:
    plan = {ALICE: FIRST_LINES[:2], BOB: FIRST_LINES[2:3]}
    async with workers(redis_server, tmp_path, 1) as (worker,):
        bot = queue_bot(telegram, tmp_path, redis_server)
        await bot.start()
        try:
            sent = send_photos(telegram, plan)
            await worker.wait_logged("event=ocr_task_started", 60)
            assert not any(notes(telegram, user) for user in plan)
            bot.kill_group()  # three tasks in Redis (one being read) and nobody waiting
            await bot.wait(10)
            restarted = queue_bot(telegram, tmp_path, redis_server)
            await restarted.start()
            try:
                await all_answered(telegram, plan, timeout=180)
                await asyncio.sleep(3)
                await stop_cleanly(restarted)
            finally:
                await restarted.stop()
        finally:
            await bot.stop()
    assert_each_photo_has_one_note(telegram, plan, sent, tmp_path / "notes.db")


async def test_redis_restarted_the_bot_reconnects_and_carries_on(
    telegram: FakeTelegram, redis_server: RedisServer, tmp_path: Path
) -> None:
    """Redis without persistence restarted while one photo is being read and another waits in
    its queue: the waiting task is gone with it, the bot sends it again (and the one being
    read, whose answer may come first), and photos sent afterwards are read as usual."""
    async with workers(redis_server, tmp_path, 1) as (worker,):
        bot = queue_bot(telegram, tmp_path, redis_server)
        await bot.start()
        try:
            before = {ALICE: FIRST_LINES[:2]}
            sent = send_photos(telegram, before)
            await worker.wait_logged("event=ocr_task_started", 60)
            await redis_server.restart(down_s=1)
            after = {BOB: FIRST_LINES[2:3]}
            sent |= send_photos(telegram, after)
            plan = before | after
            await all_answered(telegram, plan, timeout=180)
            await asyncio.sleep(3)
            await stop_cleanly(bot)
        finally:
            await bot.stop()
    assert_each_photo_has_one_note(telegram, plan, sent, tmp_path / "notes.db")
    assert "event=ocr_broker_restarted" in bot.log.read_text()
