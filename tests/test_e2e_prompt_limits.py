"""Review prompts within Telegram's limits, through the real Application, real RapidOCR workers
and the fake Bot API (which refuses what Telegram refuses: photos beyond 20:1 or 10,000 px,
captions over 1,024 UTF-16 units): every unsure line is asked about, once, however its piece
of the photo or its text is shaped; a refused photo becomes a text prompt at once; prompts to
one chat come at Telegram's pace without holding up other chats."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image, ImageDraw

from tests.support.fake_telegram import FakeTelegram, buttons, shown, utf16_len
from tests.support.images import font, render_note
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
ALICE, BOB = 9501, 9502
OCR_TIMEOUT = 120.0
LONG_LINE = "Remember to bring the signed contract and both office keys before the Friday meeting"


def is_prompt(message: dict) -> bool:
    return [label for label, _ in buttons(message)] == ["Keep", "Retype", "Drop"]


def prompts(telegram: FakeTelegram, chat_id: int = ALICE) -> list[dict]:
    return [m for m in telegram.bot_messages(chat_id) if is_prompt(m)]


def strip_image() -> bytes:
    """A 2400×70 image of one long line: its piece can't grow to 20:1 within the image."""
    image = Image.new("RGB", (2400, 70), "white")
    ImageDraw.Draw(image).text((20, 12), LONG_LINE, font=font(40), fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def photos_beyond_limits(telegram: FakeTelegram) -> int:
    """sendPhoto calls whose upload Telegram refuses (PHOTO_INVALID_DIMENSIONS)."""
    count = 0
    for method, params in telegram.requests:
        photo = params.get("photo")
        if method == "sendPhoto" and isinstance(photo, dict):
            with Image.open(io.BytesIO(photo["data"])) as image:
                width, height = image.size
            count += width + height > 10_000 or max(width, height) > 20 * min(width, height)
    return count


async def unfinished_jobs(storage) -> list:
    """The jobs not done once their prompts are out (a job is marked done just after them)."""
    for _ in range(100):
        if not (unfinished := await storage.jobs.unfinished()):
            break
        await asyncio.sleep(0.05)
    return unfinished


async def set_threshold(telegram: FakeTelegram, user: int, value: str) -> None:
    telegram.send_text(user, f"/threshold {value}")
    await telegram.wait_for_message(user, lambda m: "Done" in shown(m))


async def test_a_long_strip_of_a_line_is_asked_about_with_a_photo_telegram_accepts(
    telegram, settings_for, rapid_pool
):
    """Issue 19.1: a 2400×70 image sent as a file, every line unsure (/threshold 100): the
    line's piece is padded beyond the image's edge to 20:1, so Telegram takes the photo and
    the prompt comes, once; the job is done (nothing retried)."""
    settings = settings_for(telegram, ocr_engine="rapidocr")
    async with running_bot(settings, rapid_pool) as app:
        await set_threshold(telegram, ALICE, "100")
        telegram.send_document(ALICE, strip_image(), file_name="strip.png", mime_type="image/png")
        prompt = await telegram.wait_for_message(ALICE, is_prompt, timeout=OCR_TIMEOUT)
        unfinished = await unfinished_jobs(app.bot_data.services.storage)
    assert "photo" in prompt
    (photo,) = telegram.photos
    with Image.open(io.BytesIO(photo["data"])) as piece:
        width, height = piece.size
        top_left = piece.convert("L").getpixel((1, 1))
    assert width / height <= 20
    assert width + height <= 10_000
    assert top_left > 200  # the padding is the page's background, not black
    assert photos_beyond_limits(telegram) == 0
    assert len(prompts(telegram)) == 1
    assert unfinished == []


async def test_a_prompt_photo_refused_for_good_is_sent_as_text_at_once(
    telegram, settings_for, rapid_pool
):
    """Issue 19.1: any permanent 400 on a prompt's photo (here IMAGE_PROCESS_FAILED, injected
    for every photo) gives a text prompt at once, not a job retried every few seconds; and
    "Review pending lines" asks again the same way instead of "Sorry, something went wrong"."""
    settings = settings_for(telegram, ocr_engine="rapidocr", confidence_threshold=100)
    async with running_bot(settings, rapid_pool) as app:
        telegram.fail_next("sendPhoto", count=100, status=400, description="IMAGE_PROCESS_FAILED")
        telegram.send_photo(ALICE, render_note(["Pick up the parcel", "Call the bank"]))
        await telegram.wait_for(lambda: len(prompts(telegram)) == 2, timeout=OCR_TIMEOUT)
        storage = app.bot_data.services.storage
        unfinished = await unfinished_jobs(storage)
        telegram.send_text(ALICE, "/notes")
        listing = await telegram.wait_for_message(ALICE, lambda m: "Your notes" in shown(m))
        telegram.press_button(ALICE, listing, buttons(listing)[0][1])
        view = await telegram.wait_for_message(ALICE, lambda m: "Rename" in str(buttons(m)))
        again = dict(buttons(view))["Review pending lines"]
        telegram.press_button(ALICE, view, again)
        await telegram.wait_for(lambda: len(prompts(telegram)) == 4)
    asked = prompts(telegram)
    assert all("text" in m and "photo" not in m for m in asked)
    assert [shown(m).split("\n")[1] for m in asked[:2]] == ["Pick up the parcel", "Call the bank"]
    assert [shown(m) for m in asked[2:]] == [shown(m) for m in asked[:2]]
    assert unfinished == []
    assert not any("went wrong" in shown(m) for m in telegram.bot_messages(ALICE))


async def test_a_retype_too_long_as_telegram_counts_is_refused_and_the_prompt_stays(
    telegram, settings_for, rapid_pool
):
    """Issue 19.3: 1,000 emoji are 2,000 UTF-16 units: over the 1,000 a retype may have. The
    user is told, the line still waits with its prompt's buttons live; a retype within the
    limit is saved and its prompt's caption (shortened visibly when long) says so."""
    settings = settings_for(telegram, ocr_engine="rapidocr", confidence_threshold=100)
    async with running_bot(settings, rapid_pool) as app:
        telegram.send_photo(ALICE, render_note(["Pick up the parcel"]))
        prompt = await telegram.wait_for_message(ALICE, is_prompt, timeout=OCR_TIMEOUT)
        sent = telegram.send_text(ALICE, "😀" * 1000, reply_to_message_id=prompt["message_id"])
        answer = await telegram.wait_for_message(ALICE, after=sent["message_id"])
        storage = app.bot_data.services.storage
        (note,) = await storage.notes.page(ALICE)
        still = telegram.find_bot_message(ALICE, lambda m: m["message_id"] == prompt["message_id"])
        fits = "😀" * 499 + "ok"  # 1,000 units exactly
        sent = telegram.send_text(ALICE, fits, reply_to_message_id=prompt["message_id"])
        saved = await telegram.wait_for_message(ALICE, after=sent["message_id"])
        await telegram.wait_for(
            lambda: "Retyped" in shown(telegram.find_bot_message(ALICE, is_photo(prompt)) or {})
        )
        done = telegram.find_bot_message(ALICE, is_photo(prompt))
        (after,) = await storage.notes.page(ALICE)
    assert "longer than 1,000 characters" in shown(answer)
    assert [line.state.value for line in note.lines] == ["pending"]
    assert still is not None
    assert is_prompt(still)
    assert "Saved line 1" in shown(saved)
    assert after.lines[0].text == fits
    assert done is not None
    assert buttons(done) == []
    assert utf16_len(shown(done)) <= 1024
    assert shown(done).startswith("✏️ Retyped line 1: 😀")


def is_photo(prompt: dict):
    return lambda m: m["message_id"] == prompt["message_id"]


async def test_prompts_to_one_chat_come_at_telegrams_pace_without_holding_up_others(
    telegram, settings_for, rapid_pool
):
    """Telegram asks for about one message a second per chat: eight photo prompts to Alice
    come at that pace after a short burst, and Bob, writing meanwhile, is answered before
    Alice's prompts are all out."""
    lines = [f"Item {number} of the list" for number in range(1, 9)]
    settings = settings_for(telegram, ocr_engine="rapidocr", confidence_threshold=100)
    async with running_bot(settings, rapid_pool):
        telegram.send_photo(ALICE, render_note(lines))
        await telegram.wait_for_message(ALICE, is_prompt, timeout=OCR_TIMEOUT)
        telegram.send_text(BOB, "/help")
        await telegram.wait_for_message(BOB, lambda m: "/search" in shown(m))
        alice_prompts_when_bob_answered = len(prompts(telegram))
        await telegram.wait_for(lambda: len(prompts(telegram)) == len(lines), timeout=60)
    assert alice_prompts_when_bob_answered < len(lines)
    sent = telegram.sent_at[ALICE]
    for first in range(len(sent)):
        for last in range(first + 1, len(sent)):
            messages = last - first + 1
            seconds = sent[last] - sent[first]
            # A burst of a few, then one a second (a little slack for the clock's grain).
            assert messages <= 4 + seconds * 1.0 + 0.1, (messages, seconds, sent)
