"""Fault soak: the real `python -m bot` under random kills, failing Bot API calls and updates
delivered twice, then every promise checked once the faults stop.

Several users send photos, press Keep / Drop and reply with corrections while, at random, the
bot is SIGKILLed or SIGTERMed (and restarted), an OCR worker is SIGKILLed, Bot API calls and
file downloads answer 5xx / 429 or slowly, and updates already delivered come again. Then:
every photo has exactly one note (or one clear reply saying the image could not be read), every
answered press and correction is in the database, no job is unfinished, nothing was answered
twice, and the token is in no log and no message.

`make test` runs ~60 s of faults; SOAK_SECONDS=1800 (and SOAK_SEED=n to replay) for longer.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import sqlite3
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeTelegram, Faults, buttons, shown
from tests.support.images import render_note
from tests.support.running import TOKEN

pytestmark = pytest.mark.asyncio
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
SEED = int(os.environ.get("SOAK_SEED", str(int(time.time()))))
USERS = (7001, 7002, 7003)
LINE_ID = re.compile(r"^v1:[kdr]:(\d+):")


@dataclass
class Soak:
    """What the test did, to check against what the bot did."""

    telegram: FakeTelegram
    workdir: Path
    rng: random.Random
    bot: BotProcess | None = None
    photos: list[dict] = field(default_factory=list)
    presses: list[dict] = field(default_factory=list)
    corrections: list[dict] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)

    async def start_bot(self) -> None:
        self.bot = BotProcess(
            self.telegram,
            self.workdir,
            OCR_CONFIDENCE_THRESHOLD="100",  # every line is asked about: buttons to press
            MAX_PENDING_PER_USER="100",
            MAX_QUEUE="1000",
            OCR_TIMEOUT_S="60",
            LOG_LEVEL="INFO",
        )
        await self.bot.start()

    async def stop_bot(self, how: signal.Signals) -> None:
        assert self.bot is not None
        assert self.bot.process is not None
        assert self.bot.process.returncode is None, "the bot exited by itself"
        if how is signal.SIGKILL:
            self.bot.kill_group()
        else:
            self.bot.process.send_signal(how)
        await self.bot.wait(30)
        self.events[f"bot {how.name}"] += 1
        await self.bot.stop()

    def kill_a_worker(self) -> None:
        """SIGKILL one OCR worker process of the bot (its pool starts another)."""
        assert self.bot is not None
        assert self.bot.process is not None
        # Children of every thread: the pool starts its workers from a thread of its own.
        tasks = Path(f"/proc/{self.bot.process.pid}/task").glob("*/children")
        pids = [pid for task in tasks for pid in task.read_text().split()]
        for pid in pids:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
                os.kill(int(pid), signal.SIGKILL)
                self.events["worker SIGKILL"] += 1
                return

    def send_photo(self) -> None:
        user = self.rng.choice(USERS)
        number = len(self.photos)
        # A line that looks like noise: unsure, so it comes with buttons to press.
        page = render_note([f"Zor7bat Qu4xx{number}", "Call Alice"], width=700)
        self.photos.append(self.telegram.send_photo(user, page))
        self.events["photos"] += 1

    def open_prompts(self) -> list[dict]:
        return [
            m
            for user in USERS
            for m in self.telegram.bot_messages(user)
            if shown(m).startswith("❓ Line") and buttons(m)
        ]

    def press(self) -> None:
        prompts = self.open_prompts()
        if prompts:
            prompt = self.rng.choice(prompts)
            label = self.rng.choice(["Keep", "Drop"])
            data = next(data for text, data in buttons(prompt) if text == label)
            query = self.telegram.press_button(prompt["chat"]["id"], prompt, data)
            self.presses.append({"query": query, "label": label, "data": data})
            self.events["presses"] += 1

    def correct(self) -> None:
        prompts = self.open_prompts()
        if prompts:
            prompt = self.rng.choice(prompts)
            text = f"fixed {len(self.corrections)}"
            sent = self.telegram.send_text(
                prompt["chat"]["id"], text, reply_to_message_id=prompt["message_id"]
            )
            self.corrections.append({"message": sent, "prompt": prompt, "text": text})
            self.events["corrections"] += 1

    def deliver_again(self) -> None:
        if self.telegram.delivered:
            self.telegram.deliver_again(self.rng.choice(self.telegram.delivered))
            self.events["updates delivered twice"] += 1


def rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql, params).fetchall()


async def test_promises_hold_under_random_faults(telegram: FakeTelegram, tmp_path: Path):
    soak = Soak(telegram, tmp_path, random.Random(SEED))
    print(f"soak seed={SEED} seconds={SOAK_SECONDS}")
    telegram.faults = Faults(rate=0.05, slow_rate=0.03, slow_s=1.5, seed=SEED)
    await soak.start_bot()
    try:
        deadline = time.monotonic() + SOAK_SECONDS
        while time.monotonic() < deadline:
            roll = soak.rng.random()
            if roll < 0.30:
                soak.send_photo()
            elif roll < 0.55:
                soak.press()
            elif roll < 0.70:
                soak.correct()
            elif roll < 0.80:
                soak.deliver_again()
            elif roll < 0.84:
                await soak.stop_bot(soak.rng.choice([signal.SIGKILL, signal.SIGTERM]))
                await soak.start_bot()
            elif roll < 0.88:
                soak.kill_a_worker()
            await asyncio.sleep(soak.rng.uniform(0.2, 1.2))
        faults = dict(telegram.faults.counts)
        telegram.faults = None
        db = tmp_path / "notes.db"
        finished = time.monotonic() + 240
        while rows(db, "SELECT count(*) FROM jobs WHERE status = 'queued'") != [(0,)]:
            assert time.monotonic() < finished, "jobs left unfinished after the faults stopped"
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)  # presses and corrections still queued get handled
        telegram.send_text(USERS[0], "/help")
        await telegram.wait_for_message(USERS[0], lambda m: "/search" in shown(m), timeout=60)
    finally:
        assert soak.bot is not None
        await soak.bot.stop()
    print(f"soak events={dict(soak.events)} injected={faults}")

    # Every photo: exactly one note, or a clear reply that it could not be read.
    for sent in soak.photos:
        chat, message = sent["chat"]["id"], sent["message_id"]
        ((status, note_id, file_unique_id, status_message, error),) = rows(
            db,
            "SELECT status, note_id, file_unique_id, status_message_id, error FROM jobs "
            "WHERE chat_id = ? AND message_id = ?",
            (chat, message),
        )
        if status == "done":
            assert rows(
                db, "SELECT count(*) FROM notes WHERE file_unique_id = ?", (file_unique_id,)
            ) == [(1,)]
            results = [
                m
                for m in telegram.bot_messages(chat)
                if shown(m).startswith(f"📝 Note #{note_id}\n")
                or shown(m).startswith(f"📝 Note #{note_id} ")
            ]
            assert len(results) == 1, f"note {note_id} shown {len(results)} times"
        else:
            # Only an image fault may end a photo: here, its worker killed under it each time.
            assert status == "failed"
            assert error.startswith("gave up after"), error
            told = telegram.find_bot_message(chat, lambda m, i=status_message: m["message_id"] == i)
            assert told is not None
            assert "couldn't read" in shown(told)

    # Nothing asked twice: one prompt per line.
    prompt_lines = Counter(
        int(match.group(1))
        for user in USERS
        for m in telegram.bot_messages(user)
        for _, data in buttons(m)
        if data.startswith("v1:k:") and (match := LINE_ID.match(data))
    )
    assert [line for line, count in prompt_lines.items() if count > 1] == []

    # Every answered press is in the database.
    for press in soak.presses:
        answer = telegram.callback_answers.get(press["query"]["id"])
        if answer and answer.get("text") in ("Kept.", "Dropped."):
            line_id = int(LINE_ID.match(press["data"]).group(1))
            ((state,),) = rows(db, "SELECT state FROM lines WHERE id = ?", (line_id,))
            assert state == ("kept" if answer["text"] == "Kept." else "dropped")

    # Every confirmed correction is in the database, and was confirmed once.
    for correction in soak.corrections:
        chat, message = correction["message"]["chat"]["id"], correction["message"]["message_id"]
        saved = [
            m
            for m in telegram.bot_messages(chat)
            if "Saved line" in shown(m)
            and (m.get("reply_to_message") or {}).get("message_id") == message
        ]
        assert len(saved) <= 1
        if saved:
            texts = [t for (t,) in rows(db, "SELECT text FROM lines WHERE state = 'retyped'")]
            assert correction["text"] in texts

    # The token is in no log and no message.
    log = (tmp_path / "bot.log").read_text()
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log
    for user in USERS:
        assert all(TOKEN not in shown(m) for m in telegram.bot_messages(user))
    assert soak.events["photos"] > 0
