"""End to end: managing notes through the real Application and the fake Bot API.

Notes are put straight into the real SQLite database through `Storage` (what OCR would have
produced), so these tests are about browsing, renaming, deleting, searching, exporting and
forgetting; the photo → note path has its own tests. /lang checks languages with the real
engine; /threshold is checked on a real photo.
"""

from __future__ import annotations

import json
import re

import pytest

from bot.domain.models import ConfidenceSource, LineDraft, LineState
from tests.support.fake_telegram import FakeTelegram, buttons, shown
from tests.support.images import NOTE_LINES, UNSURE_LINES, render_note
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
ALICE, BOB, ADMIN = 1001, 2002, 3003
OCR_TIMEOUT = 90.0


def draft(text: str, state: LineState = LineState.ACCEPTED) -> LineDraft:
    return LineDraft(
        text, 0.9 if state is LineState.ACCEPTED else 0.3, ConfidenceSource.ENGINE, state
    )


async def seed(app, user_id: int, *texts: str, title: str | None = None, pending: str = ""):
    lines = [draft(text) for text in texts]
    if pending:
        lines.append(draft(pending, LineState.PENDING))
    storage = app.bot_data.services.storage
    return await storage.create_note(user_id=user_id, chat_id=user_id, lines=lines, title=title)


def plain(message: dict) -> str:
    return shown(message)


def labels(message: dict) -> list[str]:
    return [text for text, _ in buttons(message)]


def data_for(message: dict, label: str) -> str:
    return next(data for text, data in buttons(message) if label in text)


async def command(telegram: FakeTelegram, user_id: int, text: str, expect: str) -> dict:
    sent = telegram.send_text(user_id, text)
    return await telegram.wait_for_message(
        user_id, lambda m: expect in plain(m), after=sent["message_id"]
    )


async def press(telegram: FakeTelegram, user_id: int, message: dict, label: str) -> dict:
    """Press the button whose label contains `label`; returns the callback answer."""
    query = telegram.press_button(user_id, message, data_for(message, label))
    return await telegram.wait_for_callback_answer(query["id"])


def current(telegram: FakeTelegram, message: dict) -> dict:
    return next(
        m
        for m in telegram.bot_messages(message["chat"]["id"])
        if m["message_id"] == message["message_id"]
    )


async def edited(telegram: FakeTelegram, message: dict, expect: str) -> dict:
    """The message once an edit made it contain `expect`."""

    def check() -> dict | None:
        now = current(telegram, message)
        return now if expect in plain(now) else None

    return await telegram.wait_for(check)


async def test_command_list_is_registered(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool):
        await telegram.wait_for(lambda: telegram.commands)
        reply = await command(telegram, ALICE, "/help", "/notes")
    registered = {c["command"] for c in telegram.commands}
    assert {
        "notes",
        "search",
        "export",
        "lang",
        "threshold",
        "forget",
        "cancel",
        "help",
    } <= registered
    for name in registered:
        assert f"/{name}" in plain(reply), f"/help does not mention /{name}"


async def test_notes_are_paged_newest_first_and_open(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        made = [await seed(app, ALICE, f"Alice note {n}") for n in range(7)]
        await seed(app, BOB, "Bob's secret")
        listing = await command(telegram, ALICE, "/notes", "Your notes")
        first_page = labels(listing)
        await press(telegram, ALICE, listing, "Next")
        second = await edited(telegram, listing, "page 2 of 2")
        second_page = labels(second)
        await press(telegram, ALICE, second, f"#{made[0].id} ")
        view = await edited(telegram, listing, f"Note #{made[0].id}")
        await press(telegram, ALICE, view, "Back to notes")
        back = await edited(telegram, listing, "page 2 of 2")

    assert "(7)" in plain(listing)
    assert [label.split(" ")[0] for label in first_page[:5]] == [
        f"#{note.id}" for note in reversed(made[2:])
    ]
    assert first_page[5:] == ["Next »"]
    assert [label.split(" ")[0] for label in second_page[:2]] == [
        f"#{made[1].id}",
        f"#{made[0].id}",
    ]
    assert second_page[2:] == ["« Prev"]
    assert "Alice note 0" in plain(view)
    assert "Bob" not in plain(listing) + plain(second) + plain(view)
    assert labels(back) == second_page


async def test_no_notes_and_private_only(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        empty = await command(telegram, ALICE, "/notes", "no notes yet")
        await seed(app, ALICE, "private text")
        group = telegram.send_text(ALICE, "/notes", chat_id=-500, chat_type="group")
        refusal = await telegram.wait_for_message(
            -500, lambda m: "private chat" in plain(m), after=group["message_id"]
        )
    assert not buttons(empty)
    assert "private text" not in plain(refusal)


async def test_note_view_review_rename_and_delete(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        storage = app.bot_data.services.storage
        note = await seed(app, ALICE, "Buy milk", pending="Cal1 rnom")
        listing = await command(telegram, ALICE, "/notes", "Your notes")
        await press(telegram, ALICE, listing, f"#{note.id} ")
        view = await edited(telegram, listing, f"Note #{note.id}")

        await press(telegram, ALICE, view, "Review pending lines")
        review = await telegram.wait_for_message(ALICE, lambda m: "❓ Line 2" in plain(m))
        await press(telegram, ALICE, review, "Keep")
        await telegram.wait_for_message(ALICE, lambda m: "is complete" in plain(m))

        answer = await press(telegram, ALICE, view, "Rename")
        await telegram.wait_for_message(ALICE, lambda m: "new title for note" in plain(m))
        telegram.send_text(ALICE, "  Weekly   groceries ")
        renamed = await telegram.wait_for_message(ALICE, lambda m: "is now called" in plain(m))
        found = await command(telegram, ALICE, "/search groceries", "match")

        await press(telegram, ALICE, view, "Delete")
        confirm = await edited(telegram, view, "for good?")
        await press(telegram, ALICE, confirm, "No, keep it")
        kept = await edited(telegram, view, f"Note #{note.id}")
        still_there = await storage.notes.get(ALICE, note.id)
        await press(telegram, ALICE, kept, "Delete")
        confirm = await edited(telegram, view, "for good?")
        deleted_answer = await press(telegram, ALICE, confirm, "Yes, delete it")
        after = await edited(telegram, view, "Note deleted")
        gone = await storage.notes.get(ALICE, note.id)
        review_now = current(telegram, review)

    assert "⚠️ Cal1 rnom" in plain(view)
    assert answer.get("text") == "Send me the new title."
    assert "Weekly groceries" in plain(renamed)
    assert f"#{note.id}" in plain(found)
    assert still_there is not None
    assert deleted_answer.get("text") == "🗑 Note deleted."
    assert "no notes yet" in plain(after)
    assert gone is None
    assert not buttons(review_now)  # resolved by Keep: its keyboard was removed
    assert "Kept line 2" in plain(review_now)


async def test_another_user_cannot_open_rename_or_delete(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        note = await seed(app, ALICE, "Alice only")
        listing = await command(telegram, ALICE, "/notes", "Your notes")
        await press(telegram, ALICE, listing, f"#{note.id} ")
        view = await edited(telegram, listing, "Alice only")
        answers = [await press(telegram, BOB, view, label) for label in ("Rename", "Delete")]
        await telegram.wait_for(lambda: True)
        telegram.send_text(BOB, "Stolen title")
        await telegram.wait_for_message(BOB, lambda m: "not waiting" in plain(m))
        survivor = await app.bot_data.services.storage.notes.get(ALICE, note.id)
    assert [a.get("text") for a in answers] == ["Sorry, that button isn't for you."] * 2
    assert survivor is not None
    assert survivor.title is None
    assert "for good?" not in plain(current(telegram, view))


async def test_search_results_are_paged_and_open_notes(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        made = [await seed(app, ALICE, f"Milk run {n}", "eggs") for n in range(7)]
        await seed(app, ALICE, "nothing relevant")
        await seed(app, BOB, "Milk for Bob")
        results = await command(telegram, ALICE, "/search milk", "match")
        await press(telegram, ALICE, results, "Next")
        page_two = await edited(telegram, results, "page 2 of 2")
        opened_id = int(labels(page_two)[0].removeprefix("Open #"))
        await press(telegram, ALICE, page_two, "Open #")
        view = await edited(telegram, results, f"Note #{opened_id}")
        await press(telegram, ALICE, view, "Back to results")
        back = await edited(telegram, results, "page 2 of 2")
        junk = await command(telegram, ALICE, '/search "" AND ( *', "No notes match")
        usage = await command(telegram, ALICE, "/search", "Tell me what")
        nothing = await command(telegram, ALICE, "/search zebra", "No notes match")

    assert "7 notes match" in plain(results)
    assert "page 1 of 2" in plain(results)
    assert len([label for label in labels(results) if label.startswith("Open #")]) == 5
    assert opened_id in {note.id for note in made}
    assert "Milk run" in plain(view)
    assert "Bob" not in plain(results) + plain(page_two)
    assert labels(back) == labels(page_two)
    assert not buttons(junk)
    assert not buttons(usage)
    assert not buttons(nothing)


async def test_export_in_each_format(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        first = await seed(app, ALICE, "<b>not bold</b> & ünïcödé", title="Plan # 1")
        second = await seed(app, ALICE, "second note", pending="unsure")
        await seed(app, BOB, "Bob's note")
        chooser = await command(telegram, ALICE, "/export", "Which format")
        await press(telegram, ALICE, chooser, "JSON")
        await telegram.wait_for(lambda: len(telegram.documents) == 1)
        done = await edited(telegram, chooser, "2 notes as JSON")
        for fmt in ("md", "txt"):
            telegram.send_text(ALICE, f"/export {fmt}")
            await telegram.wait_for(
                lambda fmt=fmt: telegram.documents[-1]["filename"].endswith(fmt)
            )
        empty = await command(telegram, BOB + 1, "/export json", "no notes to export")

    json_doc, md_doc, txt_doc = telegram.documents
    exported = json.loads(json_doc["data"])
    assert [n["id"] for n in exported["notes"]] == [second.id, first.id]
    assert exported["notes"][1]["text"] == "<b>not bold</b> & ünïcödé"
    assert exported["notes"][0]["lines"][1]["state"] == "pending"
    assert "Bob" not in json_doc["data"].decode()
    assert json_doc["filename"].startswith("notes-")
    assert json_doc["chat_id"] == ALICE
    markdown = md_doc["data"].decode()
    assert "## Plan \\# 1" in markdown
    assert "unsure *(not reviewed yet)*" in markdown
    assert "second note" in txt_doc["data"].decode()
    assert "📦 2 notes as JSON" in plain(done)
    assert not buttons(empty)


async def test_large_export_is_sent_whole(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        storage = app.bot_data.services.storage
        lines = [
            draft(f"line {n} of a long whiteboard session about quarterly planning")
            for n in range(40)
        ]
        for n in range(600):
            await storage.create_note(
                user_id=ALICE, chat_id=ALICE, lines=lines, title=f"Meeting {n}"
            )
        telegram.send_text(ALICE, "/export txt")
        await telegram.wait_for(lambda: telegram.documents, timeout=60)
    text = telegram.documents[0]["data"].decode()
    assert len(text) > 1_000_000  # far beyond any message: 600 notes × 40 lines
    assert all(f"Meeting {n}\n" in text for n in range(600))
    assert "600 notes as Plain text" in telegram.documents[0]["caption"]


async def test_forget_needs_confirmation_and_only_touches_me(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        storage = app.bot_data.services.storage
        await seed(app, ALICE, "one")
        await seed(app, ALICE, "two")
        await seed(app, BOB, "Bob keeps this")
        ask = await command(telegram, ALICE, "/forget", "all your data")
        forged = await press(telegram, BOB, ask, "Yes, delete everything")
        await press(telegram, ALICE, ask, "No, keep my notes")
        await edited(telegram, ask, "kept everything")
        kept = await storage.notes.count(ALICE)
        ask = await command(telegram, ALICE, "/forget", "all your data")
        await press(telegram, ALICE, ask, "Yes, delete everything")
        done = await edited(telegram, ask, "deleted 2 notes")
        left, bobs = await storage.notes.count(ALICE), await storage.notes.count(BOB)
        search = await command(telegram, ALICE, "/search one", "No notes match")

    assert "2 notes" in plain(ask)
    assert forged.get("text") == "Sorry, that button isn't for you."
    assert kept == 2
    assert not buttons(done)
    assert (left, bobs) == (0, 1)
    assert search


async def test_language_picker_checks_the_engine(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        storage = app.bot_data.services.storage
        picker = await command(telegram, ALICE, "/lang", "Choose another")
        await press(telegram, ALICE, picker, "German")
        chosen = await edited(telegram, picker, "From now on")
        german = (await storage.users.settings(ALICE)).language
        # Russian needs a model Aspose downloads on first use: offline, it can't be used.
        refused = await command(telegram, ALICE, "/lang russian", "extra OCR model")
        still = (await storage.users.settings(ALICE)).language
        unknown = await command(telegram, ALICE, "/lang klingon", "don't know that language")
        await press(telegram, ALICE, unknown, "Next")
        later = await edited(telegram, unknown, "Choose another")
        reset = await command(telegram, ALICE, "/lang default", "From now on")
        after_reset = (await storage.users.settings(ALICE)).language

    assert "✓ English" in labels(picker)
    assert "All languages »" in labels(picker)
    assert "German (DEU)" in plain(chosen)
    assert german == "DEU"
    assert still == "DEU"
    assert "Russian (RUS)" in plain(refused)
    assert "« Prev" in labels(later)
    assert "English (ENG)" in plain(reset)
    assert after_reset is None


async def test_threshold_changes_what_needs_review(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        status = await command(telegram, ALICE, "/threshold", "at least")
        usage = [
            await command(telegram, ALICE, f"/threshold {junk}", "percentage from 0 to 100")
            for junk in ("abc", "150", "-3")
        ]
        await command(telegram, ALICE, "/threshold 100", "100%")
        telegram.send_photo(ALICE, render_note(UNSURE_LINES))
        strict = await telegram.wait_for_message(
            ALICE, lambda m: "Note #" in plain(m) and "…" not in plain(m), timeout=OCR_TIMEOUT
        )
        await command(telegram, ALICE, "/threshold 0", "0%")
        telegram.send_photo(ALICE, render_note(["Lenient", *UNSURE_LINES]))
        lenient = await telegram.wait_for_message(
            ALICE,
            lambda m: "Note #" in plain(m) and m["message_id"] > strict["message_id"],
            timeout=OCR_TIMEOUT,
        )
        settings = await app.bot_data.services.storage.users.settings(ALICE)

    assert "75%" in plain(status)
    assert "(the default)" in plain(status)
    assert len(usage) == 3
    assert "need your review" in plain(strict) or "needs your review" in plain(strict)
    assert "✅ Saved." in plain(lenient)
    assert settings.threshold == 0


async def test_stats_are_for_admins_only(telegram, settings_for, ocr_pool):
    settings = settings_for(telegram, admin_user_ids=frozenset({ADMIN}))
    async with running_bot(settings, ocr_pool) as app:
        await seed(app, ALICE, "a")
        await seed(app, BOB, "b", "c")
        refused = await command(telegram, ALICE, "/stats", "administrators")
        stats = await command(telegram, ADMIN, "/stats", "Bot statistics")
    assert "Notes" not in plain(refused)
    assert "Users: 2" in plain(stats)
    assert "Notes: 2 (3 lines)" in plain(stats)
    assert "Engine:" in plain(stats)
    assert "p95" in plain(stats)


async def test_stats_show_waiting_and_reading_apart(telegram, settings_for, ocr_pool):
    """OCR time as the bot sees it includes the wait for a free worker: /stats shows that
    wait and the engine's own reading time apart."""
    settings = settings_for(telegram, admin_user_ids=frozenset({ADMIN}))
    async with running_bot(settings, ocr_pool):
        telegram.send_photo(ADMIN, render_note(NOTE_LINES))
        await telegram.wait_for_message(ADMIN, lambda m: "Note #" in plain(m), timeout=90)
        stats = await command(telegram, ADMIN, "/stats", "Bot statistics")
    figures = re.search(
        r"waiting p50 ([\d.]+) s, p95 [\d.]+ s; reading p50 ([\d.]+) s, p95 [\d.]+ s",
        plain(stats),
    )
    assert figures is not None, plain(stats)
    assert float(figures.group(2)) > 0  # the engine's time


async def test_stats_name_the_engine_and_its_mode(telegram, settings_for, ocr_pool, rapid_pool):
    """Issue 19: RapidOCR is named (it has no license, so never "licensed"); Aspose with its
    mode, once known; in the admin's language."""
    admin_vi = ADMIN + 1
    telegram.user(admin_vi, language_code="vi")
    admins = frozenset({ADMIN, admin_vi})
    rapid = settings_for(telegram, admin_user_ids=admins, ocr_engine="rapidocr")
    async with running_bot(rapid, rapid_pool):
        english = await command(telegram, ADMIN, "/stats", "Bot statistics")
        vietnamese = await command(telegram, admin_vi, "/stats", "RapidOCR")
    await ocr_pool.warm_up()  # the trial engine here: its mode is known from now on
    async with running_bot(settings_for(telegram, admin_user_ids=admins), ocr_pool):
        aspose = await command(telegram, ADMIN, "/stats", "Bot statistics")
        aspose_vi = await command(telegram, admin_vi, "/stats", "Aspose")
    assert "Engine: RapidOCR;" in plain(english)
    assert "licensed" not in plain(english)
    assert "Bot statistics" not in plain(vietnamese)
    mode = "licensed" if ocr_pool.licensed else "trial"
    assert f"Engine: Aspose ({mode});" in plain(aspose)
    assert f"Aspose ({mode})" not in plain(aspose_vi)  # the mode in Vietnamese


async def test_unknown_command_and_long_note_view(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        unknown = await command(telegram, ALICE, "/frobnicate now", "don't know that command")
        medium = await seed(app, ALICE, *[f"medium {n:03d} " + "m" * 70 for n in range(120)])
        huge = await seed(app, ALICE, *[f"huge {n:04d} " + "h" * 70 for n in range(900)])
        listing = await command(telegram, ALICE, "/notes", "Your notes")
        await press(telegram, ALICE, listing, f"#{medium.id} ")
        await edited(telegram, listing, f"Note #{medium.id}")
        await telegram.wait_for(
            lambda: any("medium 119" in plain(m) for m in telegram.bot_messages(ALICE))
        )
        split = [m for m in telegram.bot_messages(ALICE) if "medium" in plain(m)]
        listing = await command(telegram, ALICE, "/notes", "Your notes")
        await press(telegram, ALICE, listing, f"#{huge.id} ")
        await telegram.wait_for(lambda: telegram.documents)

    assert "/help" in plain(unknown)
    assert len(split) > 1
    assert all(len(plain(m)) <= 4096 for m in split)
    shown = "\n".join(plain(m) for m in split)
    assert all(f"medium {n:03d}" in shown for n in range(120))
    assert buttons(split[-1])  # the keyboard sits under the last part
    document = telegram.documents[0]
    assert document["filename"] == f"note-{huge.id}.txt"
    assert document["data"].decode().count("\n") == 899


async def test_photo_in_a_language_without_its_model_explains_it(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool) as app:
        storage = app.bot_data.services.storage
        # Chosen while its model was installed, say; now the model is missing (offline here).
        await storage.users.set_language(ALICE, "RUS")
        telegram.send_photo(ALICE, render_note(UNSURE_LINES))
        answer = await telegram.wait_for_message(
            ALICE, lambda m: "extra OCR model" in plain(m), timeout=OCR_TIMEOUT
        )
        notes = await storage.notes.count(ALICE)
    assert "Russian (RUS)" in plain(answer)
    assert "/lang" in plain(answer)
    assert notes == 0
