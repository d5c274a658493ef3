"""End to end: inline mode (`@bot words` in any chat) through the real Application and the fake
Bot API, with notes in the real SQLite database. Each user finds only their own notes."""

from __future__ import annotations

import json

import pytest

from bot.domain.models import ConfidenceSource, LineDraft, LineState
from tests.support.fake_telegram import buttons, shown, utf16_len
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
ALICE, BOB, LAN = 1001, 2002, 4004


async def seed(app, user_id: int, *texts: str, title: str | None = None):
    lines = [LineDraft(text, 0.9, ConfidenceSource.ENGINE, LineState.ACCEPTED) for text in texts]
    storage = app.bot_data.services.storage
    return await storage.create_note(user_id=user_id, chat_id=user_id, lines=lines, title=title)


async def ask(telegram, user_id: int, words: str, offset: str = "") -> dict:
    query = telegram.send_inline_query(user_id, words, offset=offset)
    return await telegram.wait_for_inline_answer(query["id"])


def ids(answer: dict) -> list[int]:
    return [int(result["id"]) for result in answer["results"]]


def posted(answer: dict) -> list[str]:
    return [r["input_message_content"]["text_plain"] for r in answer["results"]]


async def test_inline_query_finds_only_the_askers_notes(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        milk = await seed(app, ALICE, "Buy milk today", "and bread", title="Shopping")
        honey = await seed(app, ALICE, "Milk and honey")
        call = await seed(app, ALICE, "Call Alice <b>now</b>")
        bobs = await seed(app, BOB, "Bob's milk secret")
        found = await ask(telegram, ALICE, "milk")
        latest = await ask(telegram, ALICE, "")
        bob_found = await ask(telegram, BOB, "milk")
        bob_honey = await ask(telegram, BOB, "honey")
        nothing = await ask(telegram, ALICE, "zebra")

    assert sorted(ids(found)) == sorted([milk.id, honey.id])
    assert ids(latest) == [call.id, honey.id, milk.id]  # newest first
    assert ids(bob_found) == [bobs.id]
    assert ids(bob_honey) == []
    assert ids(nothing) == []
    assert nothing["button"] == {
        "text": "No notes found · open the bot",
        "start_parameter": "inline",
    }
    assert "button" not in found
    alice_answers = json.dumps([found, latest])
    assert "Bob" not in alice_answers
    assert "secret" not in alice_answers
    assert "honey" not in json.dumps(bob_found)
    for answer in (found, latest, bob_found):
        assert answer["is_personal"] is True
        assert 0 < answer["cache_time"] <= 60
    shopping = next(r for r in found["results"] if int(r["id"]) == milk.id)
    assert shopping["title"] == f"#{milk.id} · Shopping"
    assert "milk" in shopping["description"].lower()
    assert shopping["input_message_content"]["text_plain"] == "Shopping\nBuy milk today\nand bread"
    # The note's text is posted as text: markup in it is not interpreted.
    call_text = next(r for r in latest["results"] if int(r["id"]) == call.id)
    assert call_text["input_message_content"]["text_plain"] == "Call Alice <b>now</b>"


async def test_inline_results_page_and_long_notes_fit(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        made = [await seed(app, ALICE, f"Note number {n}") for n in range(12)]
        long_note = await seed(app, ALICE, *[f"line {n} " + "w" * 90 for n in range(80)])
        first = await ask(telegram, ALICE, "")
        second = await ask(telegram, ALICE, "", offset=first["next_offset"])
        forged = await ask(telegram, ALICE, "", offset="-5; DROP")

    everything = [long_note.id, *[note.id for note in reversed(made)]]
    assert ids(first) == everything[:10]
    assert first["next_offset"] == "10"
    assert ids(second) == everything[10:]
    assert not second.get("next_offset")
    assert ids(forged) == ids(first)  # a nonsense offset is the first page
    text = posted(first)[0]
    assert len(text) <= 4096
    assert text.startswith("line 0 ")
    assert text.endswith("[… the rest of this note is in the bot's chat]")


async def test_titles_are_bounded_as_telegram_counts_them(telegram, settings_for, ocr_pool):
    """Issue 19.4: a note whose first line is 1,000 emoji (2,000 UTF-16 units): its inline
    result's title stays within 100 units, its description within ~220, its /notes button's
    title within 40, each shortened visibly."""
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        note = await seed(app, ALICE, "😀" * 1000, "second line")
        answer = await ask(telegram, ALICE, "")
        telegram.send_text(ALICE, "/notes")
        listing = await telegram.wait_for_message(ALICE, lambda m: "Your notes" in shown(m))
    (result,) = answer["results"]
    assert result["title"].startswith(f"#{note.id} · 😀")
    assert result["title"].endswith("…")
    assert utf16_len(result["title"]) <= 100
    assert utf16_len(result["description"]) <= 230
    ((label, _),) = [b for b in buttons(listing) if b[0].startswith(f"#{note.id} ")]
    assert label.endswith("😀…")
    title = label.split(" · ", 2)[2]
    assert utf16_len(title) <= 40


async def test_inline_answers_in_the_users_language_and_respects_the_allowlist(
    telegram, settings_for, ocr_pool
):
    telegram.user(LAN, "Lan", language_code="vi")
    settings = settings_for(telegram, allowed_user_ids=frozenset({LAN}))
    async with running_bot(settings, ocr_pool) as app:
        await seed(app, LAN, "Mua sữa")
        await seed(app, BOB, "Mua sữa của Bob")
        lan = await ask(telegram, LAN, "sữa")
        outsider = await ask(telegram, BOB, "sữa")
        outsider_all = await ask(telegram, BOB, "")

    assert posted(lan) == ["Mua sữa"]
    assert "thg" in lan["results"][0]["description"]  # the date, in Vietnamese
    assert outsider["results"] == []
    assert outsider_all["results"] == []
    assert outsider["is_personal"] is True
    assert outsider["button"]["text"] == "Sorry, this bot is private."


async def test_a_failing_inline_query_says_sorry(telegram, settings_for, ocr_pool):
    """A real fault: the database is closed under the running bot."""
    telegram.user(LAN, "Lan", language_code="vi")
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        await app.bot_data.services.storage.close()
        answer = await ask(telegram, LAN, "sữa")
    assert answer["results"] == []
    assert answer["button"]["text"] == "Xin lỗi, đã có lỗi xảy ra. Bạn vui lòng thử lại."
