"""OCR_BACKEND=celery when things go wrong for longer: a photo that kills every worker that
takes it, a bot killed with tasks in Redis, Redis or every worker away for a while, a wrong
Redis password. The real `python -m bot`, the fake Bot API, a real redis-server and real
`python -m bot worker` processes (RapidOCR: they restart in seconds), killed for real.

The promises: the user is told (that reading is delayed and why, or that a photo was given
up), each photo is read once however often it was sent, and nothing is lost.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.ocr.backends.taskqueue.app import QUEUE
from bot.ocr.contract import MAX_ATTEMPTS
from tests.support.bot_process import BotProcess, WorkerProcess
from tests.support.fake_telegram import FakeTelegram
from tests.support.redis_server import RedisServer
from tests.test_e2e_queue import (
    ALICE,
    BOB,
    FIRST_LINES,
    all_answered,
    assert_each_photo_has_one_note,
    notes,
    send_photos,
    stop_cleanly,
    text,
)

pytestmark = pytest.mark.asyncio
ENGINE = {"OCR_ENGINE": "rapidocr"}
NOTICE_S = 3  # OCR_DELAY_NOTICE_S here: users hear of a delay after 3 s
# OCR_TIMEOUT_S here: a dead worker's task is handed out again after 25 s; room for a RapidOCR
# reading on a loaded 2-core machine.
TIMEOUT_S = 20
UNREACHABLE = "reading service can't be reached"
NO_READER = "no reader is running"


def bot_on(telegram: FakeTelegram, workdir: Path, broker_url: str, **env: str) -> BotProcess:
    return BotProcess(
        telegram,
        workdir,
        OCR_BACKEND="celery",
        OCR_BROKER_URL=broker_url,
        OCR_TIMEOUT_S=str(TIMEOUT_S),
        OCR_DELAY_NOTICE_S=str(NOTICE_S),
        LOG_LEVEL="INFO",
        **ENGINE,
        **env,
    )


def reader(redis: RedisServer, workdir: Path, name: str) -> WorkerProcess:
    return WorkerProcess(redis.url, workdir, name, OCR_TIMEOUT_S=str(TIMEOUT_S), **ENGINE)


@asynccontextmanager
async def running(process: BotProcess | WorkerProcess) -> AsyncIterator[None]:
    await process.start()
    try:
        if isinstance(process, WorkerProcess):
            await process.ready()
        else:
            await process.wait_logged("event=started", 60)
        yield
    finally:
        await process.stop()


def status_of(telegram: FakeTelegram, user: int, photo_id: int) -> dict | None:
    """The bot's message about the photo (its status, later its note), as it is now."""
    return telegram.find_bot_message(
        user, lambda m: (m.get("reply_to_message") or {}).get("message_id") == photo_id
    )


async def test_a_photo_that_kills_every_worker_is_given_up(
    telegram: FakeTelegram, redis_server: RedisServer, tmp_path: Path
) -> None:
    """Each worker that takes the photo dies whole (its process group SIGKILLed, as a kernel
    OOM kill or a machine going away would) and is started again, as systemd would: Redis
    hands the task out again each time. After MAX_ATTEMPTS deaths the photo is given up with
    a message, and the next photo is read as usual."""
    bot = bot_on(telegram, tmp_path, redis_server.url)
    deaths = 0
    async with running(bot):
        worker = reader(redis_server, tmp_path, "worker0")
        await worker.start()
        try:
            await worker.ready()
            (poison,) = send_photos(telegram, {ALICE: FIRST_LINES[:1]})
            deadline = time.monotonic() + 60 + (MAX_ATTEMPTS + 1) * (TIMEOUT_S + 20)
            while time.monotonic() < deadline:
                told = status_of(telegram, ALICE, poison[1])
                if told is not None and "tried several times" in text(told):
                    break
                if worker.matches("event=ocr_task_started"):  # it took the photo: it dies
                    worker.kill_group()
                    await worker.process.wait()  # type: ignore[union-attr]
                    deaths += 1
                    worker = reader(redis_server, tmp_path, f"worker{deaths}")
                    await worker.start()
                    await worker.ready()
                await asyncio.sleep(0.05)
            told = status_of(telegram, ALICE, poison[1])
            assert told is not None
            assert "tried several times" in text(told), (deaths, text(told))
            # The queue still reads other photos, with the worker that refused the poison.
            sent = send_photos(telegram, {BOB: FIRST_LINES[1:2]})
            await all_answered(telegram, {BOB: FIRST_LINES[1:2]}, timeout=120)
            await stop_cleanly(bot)
        finally:
            await worker.stop()
    assert deaths == MAX_ATTEMPTS
    assert_each_photo_has_one_note(telegram, {BOB: FIRST_LINES[1:2]}, sent, tmp_path / "notes.db")
    assert worker.matches(r"event=ocr_task_given_up .*deaths=" + str(MAX_ATTEMPTS))
    with sqlite3.connect(tmp_path / "notes.db") as db:
        assert db.execute("SELECT status FROM jobs WHERE user_id = ?", (ALICE,)).fetchall() == [
            ("failed",)
        ]


async def test_tasks_of_a_killed_bot_are_not_read_again(
    telegram: FakeTelegram, redis_server: RedisServer, tmp_path: Path
) -> None:
    """The bot is SIGKILLed with six tasks waiting in Redis and sends them again when it
    restarts: the first six are stale (nobody waits for their answers) and are skipped, so
    each photo is read once."""
    plan = {ALICE: FIRST_LINES[:3], BOB: FIRST_LINES[3:6]}
    redis = Redis.from_url(redis_server.url)
    try:
        first = bot_on(telegram, tmp_path, redis_server.url)
        async with running(first):
            sent = send_photos(telegram, plan)
            await wait_until(lambda: queued(redis, 6), 60)
            first.kill_group()
            await first.wait(10)
        second = bot_on(telegram, tmp_path, redis_server.url)
        async with running(second):
            await wait_until(lambda: queued(redis, 12), 60)  # the six sent again
            worker = reader(redis_server, tmp_path, "worker")
            async with running(worker):
                await all_answered(telegram, plan, timeout=240)
                await asyncio.sleep(3)  # late readings would come now
                await stop_cleanly(second)
    finally:
        await redis.aclose()
    assert_each_photo_has_one_note(telegram, plan, sent, tmp_path / "notes.db")
    assert len(worker.matches("event=ocr_task_done")) == 6
    assert len(worker.matches("event=ocr_task_superseded")) == 6


async def queued(redis: Redis, count: int) -> bool:
    return int(await redis.llen(QUEUE)) >= count


async def wait_until(check, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(check)
        await asyncio.sleep(0.1)


async def test_users_hear_when_redis_is_away_and_get_their_note_after(
    telegram: FakeTelegram, redis_server: RedisServer, tmp_path: Path
) -> None:
    plan = {ALICE: FIRST_LINES[:1]}
    bot = bot_on(telegram, tmp_path, redis_server.url)
    async with running(reader(redis_server, tmp_path, "worker")), running(bot):
        await redis_server.stop()
        down_at = time.monotonic()
        sent = send_photos(telegram, plan)
        (photo,) = sent
        delayed = await telegram.wait_for(
            lambda: (m := status_of(telegram, ALICE, photo[1])) and UNREACHABLE in text(m) and m,
            timeout=30,
        )
        told_after = time.monotonic() - down_at
        await asyncio.sleep(max(0.0, 40 - told_after))  # away for 40 s, past the bot's grace
        await redis_server.start()
        await all_answered(telegram, plan, timeout=180)
        await stop_cleanly(bot)
    assert_each_photo_has_one_note(telegram, plan, sent, tmp_path / "notes.db")
    note = notes(telegram, ALICE)[0]
    assert note["message_id"] == delayed["message_id"]  # the same message, edited into the note
    assert told_after < NOTICE_S + 15, told_after


async def test_users_hear_when_no_worker_runs_and_get_their_note_after(
    telegram: FakeTelegram, redis_server: RedisServer, tmp_path: Path
) -> None:
    plan = {ALICE: FIRST_LINES[:1]}
    bot = bot_on(telegram, tmp_path, redis_server.url)
    async with running(bot):
        sent = send_photos(telegram, plan)
        (photo,) = sent
        delayed = await telegram.wait_for(
            lambda: (m := status_of(telegram, ALICE, photo[1])) and NO_READER in text(m) and m,
            timeout=30,
        )
        async with running(reader(redis_server, tmp_path, "worker")):
            await all_answered(telegram, plan, timeout=120)
            await stop_cleanly(bot)
    assert_each_photo_has_one_note(telegram, plan, sent, tmp_path / "notes.db")
    assert notes(telegram, ALICE)[0]["message_id"] == delayed["message_id"]


async def test_a_refused_redis_password_stops_bot_and_worker_at_start(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    """Not "unreachable" (that would wait for Redis forever): one line that says what to fix,
    never the password, and a non-zero exit."""
    redis = RedisServer(tmp_path, password="right-one")
    await redis.start()
    try:
        bot = bot_on(telegram, tmp_path, redis.url_with("wrong-one"))
        worker = WorkerProcess(redis.url_with(None), tmp_path, "worker", **ENGINE)
        for process in (bot, worker):
            await process.start()
            try:
                code = await process.wait(60)
            finally:
                await process.stop()
            log = process.log.read_text()
            assert code != 0
            refused = [line for line in log.splitlines() if "refused the credentials" in line]
            assert len(refused) == 1, log
            assert "Traceback" not in log
            assert "wrong-one" not in log
            assert "right-one" not in log
    finally:
        await redis.stop()
