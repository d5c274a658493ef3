"""End to end: search tolerant of OCR errors through the real Application, the fake Bot API and
the real SQLite database, in /search and inline mode. Notes are put straight into the database
through `Storage`, as OCR would have made them (a misread word, a line's other reading)."""

from __future__ import annotations

import json

from bot.domain.models import ConfidenceSource, LineDraft, LineState
from tests.support.fake_telegram import FakeTelegram, buttons, shown
from tests.support.running import running_bot

ALICE, BOB, LAN = 1001, 2002, 4004


def line(text: str, *alternatives: str, state: LineState = LineState.ACCEPTED) -> LineDraft:
    return LineDraft(text, 0.9, ConfidenceSource.ENGINE, state, alternatives=alternatives)


async def seed(app, user_id: int, *lines: LineDraft, title: str | None = None):
    storage = app.bot_data.services.storage
    return await storage.create_note(
        user_id=user_id, chat_id=user_id, lines=list(lines), title=title
    )


async def search(telegram: FakeTelegram, user_id: int, words: str) -> dict:
    sent = telegram.send_text(user_id, f"/search {words}")
    return await telegram.wait_for_message(
        user_id, lambda m: "match" in shown(m) or "khớp" in shown(m), after=sent["message_id"]
    )


async def inline(telegram: FakeTelegram, user_id: int, words: str) -> dict:
    query = telegram.send_inline_query(user_id, words)
    return await telegram.wait_for_inline_answer(query["id"])


def bold(message: dict) -> list[str]:
    """The bold parts of a message (entity offsets count UTF-16 code units)."""
    units = shown(message).encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le").strip()
        for e in message.get("entities", [])
        if e["type"] == "bold"
    ]


def opened(message: dict) -> list[int]:
    return [int(label.split("#")[1]) for label, _ in buttons(message) if "#" in label]


async def test_a_misspelled_note_is_found_by_its_right_spelling(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        typo = await seed(app, ALICE, line("Team meetng at noon"), title="Monday")
        exact = await seed(app, ALICE, line("Meeting notes for Tuesday"))
        await seed(app, ALICE, line("Buy milk"))
        # Bob's notes hold the right spelling and close ones: never Alice's results.
        bobs = await seed(app, BOB, line("meeting meetinq secret u1001"), title="Bob's")
        found = await search(telegram, ALICE, "meeting")
        bob_found = await search(telegram, BOB, "meeting")
        telegram.set_language(LAN, "vi")
        lans = await seed(app, LAN, line("Họp nhóm lúc trưa: meetng"))
        vietnamese = await search(telegram, LAN, "meeting")

    text = shown(found)
    assert "2 notes match meeting" in text
    assert "≈ Also showing notes with meetng." in text
    assert opened(found) == [exact.id, typo.id]  # the exact match first
    assert text.index(f"#{exact.id}") < text.index(f"#{typo.id}")
    assert "meetng" in bold(found)  # the snippet highlights the word that matched
    assert "Bob" not in text
    assert "secret" not in text
    assert "meetinq" not in text
    assert opened(bob_found) == [bobs.id]
    assert "Also showing" not in shown(bob_found)
    assert opened(vietnamese) == [lans.id]
    assert "≈ Cũng hiển thị các ghi chú có meetng." in shown(vietnamese)


async def test_inline_mode_finds_it_too(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        typo = await seed(app, ALICE, line("Team meetng at noon"), title="Monday")
        exact = await seed(app, ALICE, line("Meeting notes for Tuesday"))
        bobs = await seed(app, BOB, line("meeting meetinq secret"), title="Bob's")
        found = await inline(telegram, ALICE, "meeting")
        bob_found = await inline(telegram, BOB, "meetng")

    assert [int(result["id"]) for result in found["results"]] == [exact.id, typo.id]
    approximate = found["results"][1]
    assert "≈ close to: meetng" in approximate["description"]
    assert "Team meetng at noon" in approximate["description"]
    assert "≈" not in found["results"][0]["description"]
    assert "secret" not in json.dumps(found)
    assert "Bob" not in json.dumps(found)
    assert [int(result["id"]) for result in bob_found["results"]] == [bobs.id]
    assert "Monday" not in json.dumps(bob_found)


async def test_another_reading_finds_a_note_and_is_never_shown(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        made = await seed(
            app,
            ALICE,
            line("Agenda"),
            line("Zorblat quexx", "Budget forecast", state=LineState.PENDING),
        )
        found = await search(telegram, ALICE, "budget")
        query = telegram.press_button(ALICE, found, buttons(found)[0][1])
        await telegram.wait_for_callback_answer(query["id"])
        view = await telegram.wait_for(
            lambda: next(
                (
                    m
                    for m in telegram.bot_messages(ALICE)
                    if m["message_id"] == found["message_id"] and f"Note #{made.id}" in shown(m)
                ),
                None,
            )
        )
        offered = await inline(telegram, ALICE, "budget")
        bob_found = await search(telegram, BOB, "budget")

    assert opened(found) == [made.id]
    assert "another reading of the photo has budget" in shown(found)
    assert "forecast" not in shown(found).lower()
    assert "Zorblat quexx" in shown(view)
    assert "forecast" not in shown(view).lower()
    (result,) = offered["results"]
    assert "≈ another reading of the photo" in result["description"]
    assert "forecast" not in json.dumps(offered).lower()
    assert shown(bob_found).startswith("No notes match")
