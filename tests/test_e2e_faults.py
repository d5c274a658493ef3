"""Promises kept under faults: restarts, redelivered updates, failing Bot API calls, reused ids,
other chats, a rejected token, odd input. Each test reproduces one defect found from outside
(the real bot, the fake Bot API injecting the fault, real SQLite, the real engine)."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.domain.models import ConfidenceSource
from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeTelegram, buttons, shown
from tests.support.images import render_note
from tests.support.running import TOKEN, running_bot

pytestmark = pytest.mark.asyncio
ALICE, BOB = 5101, 5202
GROUP = -100777
OCR_TIMEOUT = 120.0


def photo(number: int) -> bytes:
    """A distinct page per number (the bot spots a photo sent twice by its content)."""
    return render_note([f"Page {number} buy milk", "Call Alice today"], width=900)


def note_messages(telegram: FakeTelegram, chat_id: int) -> list[dict]:
    return [m for m in telegram.bot_messages(chat_id) if shown(m).startswith("📝 Note #")]


def prompts(telegram: FakeTelegram, chat_id: int) -> list[dict]:
    return [m for m in telegram.bot_messages(chat_id) if shown(m).startswith("❓ Line")]


def button(message: dict, label: str) -> str:
    return next(data for text, data in buttons(message) if text == label)


def rows(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql).fetchall()


async def all_jobs_finished(path: Path, timeout: float = 10.0) -> None:
    """A job is marked done right after its last reply: wait for that."""
    for _ in range(int(timeout / 0.05)):
        if rows(path, "SELECT count(*) FROM jobs WHERE status = 'queued'") == [(0,)]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("jobs left unfinished")


# --- 1. restarts are not failed attempts ---


async def test_photos_waiting_through_restarts_and_kills_are_all_read(
    telegram: FakeTelegram, tmp_path: Path
):
    env = {"MAX_PENDING_PER_USER": "20", "OCR_WARM_UP": "false"}
    photos = 10
    for number in range(photos):
        telegram.send_photo(ALICE, photo(number))
    for stop in (signal.SIGKILL, signal.SIGTERM, signal.SIGKILL, signal.SIGKILL):
        if len(note_messages(telegram, ALICE)) == photos:
            break  # all read already (a SIGTERM lets running jobs finish)
        bot = BotProcess(telegram, tmp_path, **env)
        await bot.start()
        try:
            # Stop it while photos still wait: as soon as one is being read.
            await telegram.wait_for(
                lambda: any(m == "sendChatAction" for m, _ in telegram.requests), timeout=60
            )
            assert bot.process is not None
            if stop is signal.SIGKILL:
                bot.kill_group()
            else:
                bot.process.send_signal(stop)
            await bot.wait(30)
        finally:
            await bot.stop()
        telegram.requests.clear()
    bot = BotProcess(telegram, tmp_path, **env)
    await bot.start()
    try:
        await telegram.wait_for(
            lambda: len(note_messages(telegram, ALICE)) == photos, timeout=OCR_TIMEOUT * 2
        )
        await all_jobs_finished(tmp_path / "notes.db")
    finally:
        await bot.stop()
    texts = [shown(m) for m in telegram.bot_messages(ALICE)]
    assert not any("tried several times" in text for text in texts)
    assert rows(tmp_path / "notes.db", "SELECT count(*) FROM notes") == [(photos,)]
    assert rows(tmp_path / "notes.db", "SELECT DISTINCT status FROM jobs") == [("done",)]


# --- 2. a passing Bot API fault strands nothing ---


@pytest.mark.parametrize(
    ("method", "count", "status"),
    [
        ("sendMessage", 1, 500),  # the "Recognizing…" status message
        ("editMessageText", 2, 502),  # the status edited into the note
        ("file", 2, 500),  # the download
        ("sendMessage", 7, 500),  # longer than the rate limiter's retries: the job runs again
    ],
)
async def test_a_failing_bot_api_call_does_not_strand_the_photo(
    telegram, settings_for, ocr_pool, method: str, count: int, status: int
):
    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_pool) as app:
        telegram.fail_next(method, count, status=status)
        telegram.send_photo(ALICE, photo(1))
        result = await telegram.wait_for_message(
            ALICE, lambda m: shown(m).startswith("📝 Note #"), timeout=OCR_TIMEOUT
        )
        storage = app.bot_data.services.storage
        await telegram.wait_for(lambda: True, timeout=0.5)
        for _ in range(100):
            if not await storage.jobs.unfinished():
                break
            await asyncio.sleep(0.05)
        assert await storage.jobs.unfinished() == []
    assert "Buy" in shown(result) or "Page" in shown(result)
    assert len(note_messages(telegram, ALICE)) == 1


async def test_a_saved_note_whose_replies_telegram_refuses_for_good_is_not_retried_forever(
    telegram, settings_for, tmp_path: Path, ocr_pool
):
    """A note saved, then its replies refused for good (a permanent 400) on every attempt:
    once the attempts are used up the job ends (the note is in /notes) instead of sending the
    same refused message every few minutes forever. Set up as the database holds it after
    those attempts, through the bot's own storage; the fake Bot API refuses the sends."""
    from bot.domain.models import LineDraft, LineState
    from bot.ocr.contract import MAX_ATTEMPTS
    from bot.storage import Storage

    settings = settings_for(telegram, confidence_threshold=100)
    async with await Storage.open(settings.database_path) as storage:
        job = await storage.jobs.create(
            user_id=ALICE, chat_id=ALICE, message_id=42, file_id="f1", file_unique_id="u1",
            file_size=100,
        )  # fmt: skip
        note = await storage.create_note(
            user_id=ALICE,
            chat_id=ALICE,
            lines=[LineDraft("Buy milk", 0.5, ConfidenceSource.ESTIMATE, LineState.PENDING)],
            job_ids=[job.id],
        )
        for _ in range(MAX_ATTEMPTS):
            await storage.jobs.count_failure(job.id, "BadRequest: message can't be sent")
    for method in ("sendMessage", "editMessageText", "sendPhoto"):
        telegram.fail_next(method, 1000, status=400, description="Bad Request: can't be sent")
    async with running_bot(settings, ocr_pool):
        await all_jobs_finished(settings.database_path)
        await asyncio.sleep(6)  # longer than the first retry delay
    sends = [name for name, _ in telegram.requests if name in {"sendMessage", "sendPhoto"}]
    assert len(sends) <= 1  # at most the one "saved, open it with /notes" attempt
    assert rows(settings.database_path, "SELECT status FROM jobs") == [("done",)]
    assert rows(settings.database_path, "SELECT count(*) FROM notes") == [(1,)]
    assert note.id


async def test_a_saved_decision_is_shown_even_if_the_press_cannot_be_answered(
    telegram, settings_for, ocr_pool
):
    async with running_bot(settings_for(telegram, confidence_threshold=100), ocr_pool) as app:
        telegram.send_photo(ALICE, photo(2))
        prompt = await telegram.wait_for_message(
            ALICE, lambda m: shown(m).startswith("❓ Line"), timeout=OCR_TIMEOUT
        )
        telegram.fail_next("answerCallbackQuery", 10, status=500)  # longer than the retries
        telegram.press_button(ALICE, prompt, button(prompt, "Keep"))
        edit = await telegram.wait_for(
            lambda: next(
                (e for e in telegram.edits if e["message_id"] == prompt["message_id"]), None
            ),
            timeout=30,
        )
        line = await app.bot_data.services.storage.notes.line_by_review_message(
            ALICE, ALICE, prompt["message_id"]
        )
    assert "Kept line" in edit["text"]
    assert line is not None
    assert str(line.state) == "kept"
    texts = [shown(m) for m in telegram.bot_messages(ALICE)]
    assert not any("went wrong" in text for text in texts)


# --- 3. a redelivered update is handled once ---


async def test_a_photo_delivered_twice_makes_one_note(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_pool) as app:
        update = telegram.update_of(telegram.send_photo(ALICE, photo(3)))
        telegram.deliver_again(update)  # while the first is being read
        await telegram.wait_for(lambda: note_messages(telegram, ALICE), timeout=OCR_TIMEOUT)
        storage = app.bot_data.services.storage
        for _ in range(200):  # the job is done once its last reply (the trial notice) is out
            if not await storage.jobs.unfinished():
                break
            await asyncio.sleep(0.05)
        before = len(telegram.bot_messages(ALICE))
        telegram.deliver_again(update)  # after it was answered
        telegram.send_text(ALICE, "/help")
        await telegram.wait_for_message(ALICE, lambda m: "/search" in shown(m))
        notes = await storage.notes.count(ALICE)
    assert notes == 1
    assert len(note_messages(telegram, ALICE)) == 1
    # Only the /help answer came after the second copy: no "you sent this before".
    assert len(telegram.bot_messages(ALICE)) == before + 1


async def test_a_photo_redelivered_after_a_kill_makes_one_note(
    telegram: FakeTelegram, tmp_path: Path
):
    bot = BotProcess(telegram, tmp_path)
    await bot.start()
    try:
        update = telegram.update_of(telegram.send_photo(ALICE, photo(4)))
        await telegram.wait_for(
            lambda: any(m == "sendChatAction" for m, _ in telegram.requests), timeout=60
        )
        bot.kill_group()
        await bot.wait(10)
    finally:
        await bot.stop()
    telegram.deliver_again(update)  # Telegram had not been told the bot was done with it
    restarted = BotProcess(telegram, tmp_path)
    await restarted.start()
    try:
        await telegram.wait_for(lambda: note_messages(telegram, ALICE), timeout=OCR_TIMEOUT)
        await all_jobs_finished(tmp_path / "notes.db")
        await asyncio.sleep(6)  # time for a second reading of the photo, if one had started
        telegram.send_text(ALICE, "/help")
        await telegram.wait_for_message(ALICE, lambda m: "/search" in shown(m))
    finally:
        await restarted.stop()
    assert rows(tmp_path / "notes.db", "SELECT count(*) FROM notes") == [(1,)]
    assert len(note_messages(telegram, ALICE)) == 1
    assert not any("sent this photo" in shown(m) for m in telegram.bot_messages(ALICE))


async def test_a_correction_and_a_title_delivered_twice_apply_once(
    telegram, settings_for, ocr_pool
):
    async with running_bot(settings_for(telegram, confidence_threshold=100), ocr_pool) as app:
        telegram.send_photo(ALICE, photo(5))  # trial mode reads one line of each
        telegram.send_photo(ALICE, photo(15))
        await telegram.wait_for(lambda: len(prompts(telegram, ALICE)) >= 2, timeout=OCR_TIMEOUT)
        first, second = prompts(telegram, ALICE)[:2]
        telegram.press_button(ALICE, first, button(first, "Retype"))
        await telegram.wait_for_message(ALICE, lambda m: "Send me the correct" in shown(m))
        update = telegram.update_of(telegram.send_text(ALICE, "Buy oat milk"))
        await telegram.wait_for_message(ALICE, lambda m: "Saved line" in shown(m))
        # The same correction again, now that the next line waits too: it must not land there.
        telegram.press_button(ALICE, second, button(second, "Retype"))
        await telegram.wait_for(lambda: len(telegram.callback_answers) == 2)
        telegram.deliver_again(update)
        telegram.send_text(ALICE, "/help")
        await telegram.wait_for_message(ALICE, lambda m: "/search" in shown(m))
        storage = app.bot_data.services.storage
        line = await storage.notes.line_by_review_message(ALICE, ALICE, second["message_id"])
    saved = [m for m in telegram.bot_messages(ALICE) if "Saved line" in shown(m)]
    assert len(saved) == 1
    assert line is not None
    assert str(line.state) == "pending"


# --- 4. old buttons never act on newer rows ---


async def test_old_buttons_after_forget_act_on_nothing(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram, confidence_threshold=100), ocr_pool) as app:
        telegram.send_photo(ALICE, photo(6))
        old_prompt = (
            await telegram.wait_for(lambda: prompts(telegram, ALICE), timeout=OCR_TIMEOUT)
        )[0]
        telegram.send_text(ALICE, "/notes")
        old_list = await telegram.wait_for_message(ALICE, lambda m: "Your notes" in shown(m))
        telegram.send_text(ALICE, "/forget")
        confirm = await telegram.wait_for_message(ALICE, lambda m: "all your data" in shown(m))
        telegram.press_button(ALICE, confirm, button(confirm, "Yes, delete everything"))
        await telegram.wait_for_message(ALICE, lambda m: shown(m).startswith("Done."))
        telegram.send_photo(ALICE, photo(7))
        await telegram.wait_for(lambda: len(prompts(telegram, ALICE)) == 2, timeout=OCR_TIMEOUT)
        drop = telegram.press_button(ALICE, old_prompt, button(old_prompt, "Drop"))
        dropped = await telegram.wait_for_callback_answer(drop["id"])
        open_ = telegram.press_button(ALICE, old_list, buttons(old_list)[0][1])
        opened = await telegram.wait_for_callback_answer(open_["id"])
        (note,) = await app.bot_data.services.storage.notes.page(ALICE)
    assert "no longer" in dropped["text"]
    assert "no longer exists" in opened["text"]
    assert all(str(line.state) == "pending" for line in note.lines)


# --- 5. an awaited text comes from the chat it was asked in ---


async def test_a_retype_pending_in_private_ignores_a_group_message(
    telegram, settings_for, ocr_pool
):
    async with running_bot(settings_for(telegram, confidence_threshold=100), ocr_pool) as app:
        telegram.send_photo(ALICE, photo(8))
        prompt = (await telegram.wait_for(lambda: prompts(telegram, ALICE), timeout=OCR_TIMEOUT))[0]
        telegram.press_button(ALICE, prompt, button(prompt, "Retype"))
        await telegram.wait_for_message(ALICE, lambda m: "Send me the correct" in shown(m))
        telegram.send_text(BOB, "/help@fake_test_bot", chat_id=GROUP, chat_type="group")
        in_group = await telegram.wait_for_message(GROUP, lambda m: "/search" in shown(m))
        telegram.send_text(
            ALICE, "lol nice one", chat_id=GROUP, reply_to_message_id=in_group["message_id"]
        )
        await telegram.wait_for_message(GROUP, lambda m: "not waiting" in shown(m))
        line = await app.bot_data.services.storage.notes.line_by_review_message(
            ALICE, ALICE, prompt["message_id"]
        )
    assert line is not None
    assert str(line.state) == "pending"
    assert not any("Saved line" in shown(m) for m in telegram.bot_messages(GROUP))


# --- 6. start-up failures are one line, without the token ---


async def test_a_rejected_token_is_one_line_without_the_token(telegram, tmp_path: Path):
    other = FakeTelegram(token="987654321:AAHrevokedTokenxxxxxxxxxxxxxxxxxxxxxx")
    other.url = telegram.url  # the server knows another token: it answers 401
    bot = BotProcess(other, tmp_path)
    await bot.start()
    code = await bot.wait(60)
    output = bot.log.read_text()
    assert code == 1
    assert "Traceback" not in output
    assert "AAHrevoked" not in output
    assert "error: Telegram rejected the bot token" in output


async def test_an_unreachable_bot_api_is_one_line(telegram, tmp_path: Path):
    bot = BotProcess(
        telegram,
        tmp_path,
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
        TELEGRAM_FILE_BASE_URL="http://127.0.0.1:9/file/bot",
    )
    await bot.start()
    code = await bot.wait(60)
    output = bot.log.read_text()
    assert code == 1
    assert "Traceback" not in output
    assert "error: cannot reach the Telegram Bot API" in output
    assert TOKEN.split(":")[1] not in output


# --- 7, 8, 9. odd input ---


async def test_a_superscript_digit_is_not_a_page_number(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool):
        telegram.send_text(ALICE, "/notes ²")
        answer = await telegram.wait_for_message(ALICE, lambda m: True)
    assert "no notes yet" in shown(answer)


async def test_non_ascii_button_data_is_answered(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool):
        telegram.send_text(ALICE, "/help")
        help_ = await telegram.wait_for_message(ALICE, lambda m: "/search" in shown(m))
        query = telegram.press_button(ALICE, help_, "v1:k:1:ñññññññññññññññ", strict=False)
        answer = await telegram.wait_for_callback_answer(query["id"])
    assert "no longer valid" in answer["text"]


async def test_a_malformed_press_cannot_change_someone_elses_message(
    telegram, settings_for, ocr_pool
):
    async with running_bot(settings_for(telegram, confidence_threshold=100), ocr_pool):
        telegram.send_photo(ALICE, photo(9), chat_id=GROUP, caption="@fake_test_bot")
        prompt = (await telegram.wait_for(lambda: prompts(telegram, GROUP), timeout=OCR_TIMEOUT))[0]
        for data in ("v1:k:junk", "garbage", button(prompt, "Keep")):
            query = telegram.press_button(BOB, prompt, data, strict=False)
            await telegram.wait_for_callback_answer(query["id"])
    assert not [e for e in telegram.edits if e["message_id"] == prompt["message_id"]]
    now = telegram.find_bot_message(GROUP, lambda m: m["message_id"] == prompt["message_id"])
    assert now is not None
    assert buttons(now) == buttons(prompt)
