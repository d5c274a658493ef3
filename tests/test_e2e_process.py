"""The bot as a real `python -m bot` process against the fake Bot API: kill, restart, signals.

These use real signals on a real subprocess (no doubles): SIGKILL in the middle of OCR must not
lose the photo, SIGTERM must stop the bot cleanly with exit code 0.
"""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

import pytest

from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeTelegram, shown
from tests.support.images import FIRST_LINE, NOTE_LINES, render_note
from tests.support.running import TOKEN

pytestmark = pytest.mark.asyncio
ALICE = 3003


async def test_sigkill_during_ocr_loses_nothing(telegram: FakeTelegram, tmp_path: Path):
    bot = BotProcess(telegram, tmp_path)
    await bot.start()
    try:
        telegram.send_photo(ALICE, render_note(NOTE_LINES))
        # The bot sends the chat action after it has recorded the "Recognizing" message on the
        # job, and before OCR (seconds of engine warm-up) can finish: kill it right there.
        await telegram.wait_for_message(ALICE, lambda m: "Recognizing" in shown(m), timeout=60)
        await telegram.wait_for(lambda: any(m == "sendChatAction" for m, _ in telegram.requests))
        assert not any("Note #" in shown(m) for m in telegram.bot_messages(ALICE))
        bot.kill_group()
        await bot.wait(10)

        restarted = BotProcess(telegram, tmp_path)
        await restarted.start()
        try:
            result = await telegram.wait_for_message(
                ALICE, lambda m: "Note #" in shown(m), timeout=120
            )
        finally:
            await restarted.stop()
    finally:
        await bot.stop()
    first = shown(result).split("\n")[1]
    assert FIRST_LINE.startswith(first)
    assert len(first) >= 3
    # The status message from before the kill was reused (edited), not duplicated.
    recognizing = [m for m in telegram.bot_messages(ALICE) if "Recognizing" in shown(m)]
    assert recognizing == []
    assert TOKEN not in (tmp_path / "bot.log").read_text()


async def test_sigterm_stops_cleanly_with_exit_code_0(telegram: FakeTelegram, tmp_path: Path):
    bot = BotProcess(telegram, tmp_path)
    await bot.start()
    try:
        telegram.send_text(ALICE, "/help")
        await telegram.wait_for_message(ALICE, lambda m: "/search" in shown(m), timeout=60)
        assert bot.process is not None
        bot.process.send_signal(signal.SIGTERM)
        code = await bot.wait(15)
    finally:
        await bot.stop()
    assert code == 0
    log = (tmp_path / "bot.log").read_text()
    assert "event=stopped" in log
    assert TOKEN not in log


async def test_engine_warms_up_at_start_unless_told_not_to(telegram: FakeTelegram, tmp_path: Path):
    logs = {}
    for warm_up in ("true", "false"):
        workdir = tmp_path / warm_up
        workdir.mkdir()
        bot = BotProcess(telegram, workdir, OCR_WARM_UP=warm_up)
        await bot.start()
        try:
            telegram.send_text(ALICE, "/help")
            await telegram.wait_for_message(ALICE, lambda m: "/search" in shown(m), timeout=60)
            if warm_up == "true":
                await telegram.wait_for(
                    lambda log=bot.log: "event=ocr_ready" in log.read_text(), timeout=60
                )
            else:
                await asyncio.sleep(6)  # longer than a warm-up takes here (~5 s from start)
            assert bot.process is not None
            bot.process.send_signal(signal.SIGTERM)
            assert await bot.wait(15) == 0
        finally:
            await bot.stop()
        logs[warm_up] = bot.log.read_text()
    assert "event=ocr_ready" in logs["true"]
    assert "event=ocr_ready" not in logs["false"]


async def test_logs_are_one_line_events_with_ids_and_timings_but_no_user_text(
    telegram: FakeTelegram, tmp_path: Path
):
    # Threshold 100: lines wait for review, so a retype goes through the log too.
    bot = BotProcess(telegram, tmp_path, LOG_LEVEL="INFO", OCR_CONFIDENCE_THRESHOLD="100")
    await bot.start()
    try:
        telegram.send_photo(ALICE, render_note(NOTE_LINES), caption="Secretcaption plan")
        review = await telegram.wait_for_message(
            ALICE, lambda m: shown(m).startswith("❓ Line"), timeout=120
        )
        telegram.send_text(
            ALICE, "Confidentialword typed", reply_to_message_id=review["message_id"]
        )
        await telegram.wait_for_message(ALICE, lambda m: "Saved line" in shown(m))
        telegram.send_text(ALICE, "/search Confidentialword")
        await telegram.wait_for_message(ALICE, lambda m: "match" in shown(m))
        assert bot.process is not None
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait(15) == 0
    finally:
        await bot.stop()
    lines = bot.log.read_text().splitlines()
    timestamped = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d (INFO|WARNING|ERROR) \S+ ")
    assert all(timestamped.match(line) for line in lines), lines  # no multi-line records
    ours = [line for line in lines if " bot." in line or " bot " in line]
    assert ours
    assert all(" event=" in line for line in ours)
    created = next(line for line in ours if "event=note_created" in line)
    assert f"user={ALICE}" in created
    assert re.search(r"note=\d+ ", created)

    def first(event: str) -> str:
        return next(line for line in ours if f"event={event} " in line)

    assert re.search(r"ocr_s=\d+\.\d+", first("ocr_done"))
    assert re.search(r"seconds=\d+\.\d+", first("job_finished"))
    assert any("event=line_reviewed" in line and "action=retype" in line for line in ours)
    text = "\n".join(lines)
    for private in ("Secretcaption", "Confidentialword", "milk", "Buy", TOKEN):
        assert private not in text


async def test_corrupt_database_is_a_clear_error_at_start(telegram: FakeTelegram, tmp_path: Path):
    (tmp_path / "notes.db").write_bytes(b"this is not a database" * 100)
    bot = BotProcess(telegram, tmp_path)
    await bot.start()
    code = await bot.wait(60)
    log = (tmp_path / "bot.log").read_text()
    assert code == 1
    assert "error: cannot open database" in log or "is corrupt" in log
    assert "Traceback" not in log
