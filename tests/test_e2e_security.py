"""Isolation and access: forged, replayed and stale buttons; allowlist; group chats."""

from __future__ import annotations

import random

import pytest

from bot.domain.models import LineState
from tests.support.fake_telegram import buttons, shown
from tests.support.images import NOTE_LINES, UNSURE_LINES, render_note
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
ALICE, BOB = 5005, 6006
OCR_TIMEOUT = 90.0
GROUP = -100123


def text(message: dict) -> str:
    return shown(message)


async def first_review(telegram, user_id: int = ALICE) -> dict:
    telegram.send_photo(user_id, render_note(UNSURE_LINES))
    return await telegram.wait_for_message(
        user_id, lambda m: text(m).startswith("❓ Line 1"), timeout=OCR_TIMEOUT
    )


async def test_forged_callback_data_changes_nothing(telegram, settings_for, ocr_pool):
    rng = random.Random(7)
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        review = await first_review(telegram)
        storage = app.bot_data.services.storage
        (note,) = await storage.notes.page(ALICE, limit=1)
        line_id = note.lines[0].id
        genuine = dict(buttons(review))["Keep"]
        forged = [
            genuine.replace(f":{line_id}:", f":{line_id + 1}:"),  # someone else's line
            f"v1:d:{line_id}:" + "A" * 16,  # guessed signature
            genuine[:-1] + ("A" if genuine[-1] != "A" else "B"),
            "v1:d:" + str(line_id),
            "k:" + str(line_id),
            "x" * 64,
            "".join(rng.choice("abc:0123456789") for _ in range(64)),
        ]
        answers = []
        for data in forged:
            query = telegram.press_button(ALICE, review, data, strict=False)
            answers.append((await telegram.wait_for_callback_answer(query["id"])).get("text"))
        # Bob replays Alice's genuine button.
        query = telegram.press_button(BOB, review, genuine, strict=False)
        bob_answer = (await telegram.wait_for_callback_answer(query["id"])).get("text")
        note_after = await storage.notes.get(ALICE, note.id)

    assert all(answer in {"Sorry, that button isn't for you.", "This button is no longer valid."}
               for answer in answers), answers  # fmt: skip
    assert bob_answer == "Sorry, that button isn't for you."

    def content(lines):
        return [(line.text, line.state) for line in lines]

    assert content(note_after.lines) == content(note.lines)  # nothing changed


async def test_stale_button_after_note_deleted_removes_keyboard(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        review = await first_review(telegram)
        storage = app.bot_data.services.storage
        (note,) = await storage.notes.page(ALICE, limit=1)
        assert await storage.delete_note(ALICE, note.id)
        query = telegram.press_button(ALICE, review, dict(buttons(review))["Keep"])
        answer = await telegram.wait_for_callback_answer(query["id"])
        await telegram.wait_for(
            lambda: (
                not buttons(
                    next(
                        m
                        for m in telegram.bot_messages(ALICE)
                        if m["message_id"] == review["message_id"]
                    )
                )
            )
        )
    assert answer.get("text") == "This button is no longer valid."


async def test_second_press_on_a_resolved_line(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        review = await first_review(telegram)
        keep, drop = dict(buttons(review))["Keep"], dict(buttons(review))["Drop"]
        first = telegram.press_button(ALICE, review, keep)
        await telegram.wait_for_callback_answer(first["id"])
        again = telegram.press_button(ALICE, review, drop, strict=False)  # replayed old button
        answer = await telegram.wait_for_callback_answer(again["id"])
        (note,) = await app.bot_data.services.storage.notes.page(ALICE, limit=1)
    assert answer.get("text") == "That line was already reviewed."
    assert note.lines[0].state is LineState.KEPT


async def test_allowlist_refuses_strangers(telegram, settings_for, ocr_pool):
    settings = settings_for(telegram, allowed_user_ids=frozenset({ALICE}))
    async with running_bot(settings, ocr_pool):
        telegram.send_text(BOB, "/help")
        refused = await telegram.wait_for_message(BOB, lambda m: "private" in text(m))
        telegram.send_photo(BOB, render_note(NOTE_LINES))
        telegram.send_text(ALICE, "/help")
        await telegram.wait_for_message(ALICE, lambda m: "/search" in text(m))
    assert text(refused) == "Sorry, this bot is private."
    assert not any(m == "getFile" for m, _ in telegram.requests)


async def test_group_chat_only_when_addressed_and_search_stays_private(
    telegram, settings_for, ocr_pool
):
    async with running_bot(settings_for(telegram), ocr_pool):
        telegram.send_photo(ALICE, render_note(NOTE_LINES), chat_id=GROUP)  # not addressed
        telegram.send_text(ALICE, "just chatting", chat_id=GROUP, chat_type="group")
        telegram.send_photo(
            ALICE, render_note(UNSURE_LINES), chat_id=GROUP, caption="@fake_test_bot please"
        )
        result = await telegram.wait_for_message(
            GROUP, lambda m: "Note #" in text(m), timeout=OCR_TIMEOUT
        )
        telegram.send_text(ALICE, "/search zorblat", chat_id=GROUP, chat_type="group")
        private_only = await telegram.wait_for_message(GROUP, lambda m: "private" in text(m))
        # Bob, in the same group, cannot press Alice's review buttons.
        review = await telegram.wait_for_message(GROUP, lambda m: text(m).startswith("❓"))
        query = telegram.press_button(BOB, review, dict(buttons(review))["Keep"])
        bob = await telegram.wait_for_callback_answer(query["id"])
    group_texts = [text(m) for m in telegram.bot_messages(GROUP)]
    assert sum("Note #" in t for t in group_texts) == 1  # only the addressed photo
    assert "Note #" in text(result)
    assert "zorblat" not in text(private_only).lower()
    assert bob.get("text") == "Sorry, that button isn't for you."


async def test_same_photo_twice_is_not_read_twice(telegram, settings_for, ocr_pool):
    photo = render_note([*NOTE_LINES, "Same photo test"])
    async with running_bot(settings_for(telegram), ocr_pool):
        telegram.send_photo(ALICE, photo)
        first = await telegram.wait_for_message(
            ALICE, lambda m: "Note #" in text(m), timeout=OCR_TIMEOUT
        )
        telegram.send_photo(ALICE, photo)
        again = await telegram.wait_for_message(
            ALICE, lambda m: "sent this photo before" in text(m)
        )
        telegram.send_photo(BOB, photo)  # another user's copy is their own note
        await telegram.wait_for_message(BOB, lambda m: "Note #" in text(m), timeout=OCR_TIMEOUT)
    note_number = text(first).split("Note #")[1].split()[0]
    assert f"note #{note_number}" in text(again)
    assert sum(1 for m, _ in telegram.requests if m == "getFile") == 2
