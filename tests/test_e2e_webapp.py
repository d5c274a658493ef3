"""The Mini App editor in a real headless Chromium (Debian's, driven by Playwright) against the
real bot, the fake Bot API, a real SQLite file and real OCR: the whole way from a photo as
`python -m bot` in its own process, the rest with the bot's Application and HTTP server in the
test's process (faster, and their storage at hand).

The page is opened at the Edit button's own URL (under WEBAPP_URL, an HTTPS origin that the
browser routes to the bot's server, as a TLS proxy would), with Telegram's script replaced by
a stub that signs init data with the test token and records MainButton, BackButton,
showConfirm, showAlert and close. One browser for the module; screenshots at phone size in
light and dark go to test-artifacts/webapp (printed).
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from bot.domain.models import Note
from bot.storage import Storage
from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeTelegram, buttons, shown, web_app_url
from tests.support.images import UNSURE_LINES, render_note
from tests.support.running import TOKEN, running_web_bot
from tests.support.webapp import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DARK_THEME,
    LIGHT_THEME,
    artifacts_dir,
    init_data,
    make_note,
    metric_values,
    open_editor,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
ALICE, BOB = 7301, 7402
GROUP = -7399
WEBAPP_URL = "https://notes.example.test/app/"
OCR_TIMEOUT = 120.0
SPRINT = [
    "Sprint review, Thursday",
    "Ship the note editr by friday",
    "Budget: 1,200 EUR for tablets",
    "Ask Mai about the whitebord photos",
    "Next: search that forgives typos",
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture
def settings(telegram, settings_for, tmp_path):
    return settings_for(telegram, webapp_url=WEBAPP_URL, webapp_cache_dir=tmp_path / "cache")


def local(server) -> str:
    return f"http://127.0.0.1:{server.port}"


async def state(page: Page) -> str:
    return await page.evaluate("() => document.getElementById('app').dataset.state")


async def wait_state(page: Page, *states: str) -> None:
    await page.wait_for_function(
        "(states) => states.includes(document.getElementById('app').dataset.state)",
        arg=list(states),
    )


async def images_loaded(page: Page) -> None:
    await page.wait_for_function("() => document.getElementById('app').dataset.images")


async def row_key(page: Page, text: str) -> str:
    """The list row whose field holds exactly `text`."""
    key = await page.evaluate(
        """(text) => {
            const row = [...document.querySelectorAll('li.line')]
                .find((li) => li.querySelector('textarea').value === text);
            return row ? row.dataset.key : null;
        }""",
        text,
    )
    assert key is not None, f"no line reads {text!r}"
    return key


async def tg_calls(page: Page, name: str) -> list[list]:
    return await page.evaluate("(name) => window.__tg.called(name)", name)


async def main_button(page: Page) -> dict:
    return await page.evaluate(
        "() => { const b = window.Telegram.WebApp.MainButton;"
        " return {text: b.text, visible: b.isVisible, active: b.isActive}; }"
    )


async def screenshot(page: Page, name: str) -> None:
    path = artifacts_dir() / f"{name}.png"
    await page.screenshot(path=str(path))
    print(f"screenshot: {path}")


async def note_of(path: Path, note_id: int | None = None) -> Note:
    """The user's note as the bot process stored it (its file, read beside the bot)."""
    async with await Storage.open(path) as storage:
        if note_id is None:
            (note,) = await storage.notes.page(ALICE)
            return note
        found = await storage.notes.get(ALICE, note_id)
        assert found is not None
        return found


async def metrics_of(origin: str) -> dict[str, float]:
    async with aiohttp.ClientSession() as session, session.get(f"{origin}/metrics") as response:
        return metric_values(await response.text())


async def test_a_whole_note_is_fixed_from_the_edit_button(browser, telegram, tmp_path):
    """`python -m bot` as it runs in production (RapidOCR workers, its HTTP server), a photo
    from the user, the Edit button's page in Chromium, a save; then the chat, /search and the
    old prompts."""
    bot = BotProcess(telegram, tmp_path, OCR_ENGINE="rapidocr", WEBAPP_URL=WEBAPP_URL)
    await bot.start()
    try:
        origin = f"http://127.0.0.1:{await bot.http_port()}"
        counted = await metrics_of(origin)
        telegram.send_photo(ALICE, render_note(UNSURE_LINES))
        result = await telegram.wait_for_message(
            ALICE, lambda m: "Note #" in shown(m) and web_app_url(m), timeout=OCR_TIMEOUT
        )
        counts = await metrics_of(origin)
        note = await note_of(tmp_path / "notes.db")
        await telegram.wait_for(
            lambda: (
                len([m for m in telegram.bot_messages(ALICE) if "❓" in shown(m)])
                == len(note.pending_lines)
            )
        )
        prompts = [m for m in telegram.bot_messages(ALICE) if "❓" in shown(m)]
        url = web_app_url(result)
        assert url == f"{WEBAPP_URL}?note={note.id}"
        page = await open_editor(browser, url, origin, init_data(ALICE))
        assert await state(page) == "ready"
        await images_loaded(page)
        assert await main_button(page) == {"text": "Save", "visible": True, "active": False}

        flagged = await page.evaluate(
            "() => [...document.querySelectorAll('li.line.flagged')].map((li) => li.dataset.key)"
        )
        assert len(flagged) == len(note.pending_lines) >= 1
        first = f"li[data-key='{flagged[0]}']"
        assert await page.locator(f"{first} .badge").inner_text() == "Check this line"
        await page.locator(f"{first} textarea").fill("Quarterly budget")  # a flagged line
        for key in flagged[1:]:  # the rest are right as read
            await page.locator(f"li[data-key='{key}'] button.primary").click()
        meeting = await row_key(page, "Meeting at noon")
        await page.locator(f"li[data-key='{meeting}'] textarea").fill("Meeting at three")
        assert await page.locator("#title").input_value() == "Meeting at noon"  # its first line
        await page.locator("#title").fill("Weekly plan")
        alice = await row_key(page, "Call Alice")
        await page.locator(f"li[data-key='{alice}'] textarea").focus()
        await page.locator(f"li[data-key='{alice}'] button.drop").click()
        await page.locator("#add-line").click()
        await page.keyboard.type("Buy oranges")
        assert (await main_button(page))["active"]
        assert await page.evaluate("() => window.__tg.press('MainButton')")
        await wait_state(page, "saved")
        assert await tg_calls(page, "close")
        assert await tg_calls(page, "MainButton.showProgress")

        complete = await telegram.wait_for_message(ALICE, lambda m: "is complete" in shown(m))
        telegram.send_text(ALICE, "/search oranges")
        found = await telegram.wait_for_message(
            ALICE, lambda m: "oranges" in shown(m) and "🔍" in shown(m)
        )
        telegram.send_text(ALICE, "/search noon")
        gone = await telegram.wait_for_message(ALICE, lambda m: "No notes match" in shown(m))
        closed = telegram.find_bot_message(
            ALICE, lambda m: m["message_id"] == prompts[0]["message_id"]
        )
        keep = next(data for text, data in buttons(prompts[0]) if text == "Keep")
        query = telegram.press_button(ALICE, prompts[0], keep, strict=False)
        answer = await telegram.wait_for_callback_answer(query["id"])
        saved = await note_of(tmp_path / "notes.db", note.id)
        assert bot.process is not None
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait(30) == 0
    finally:
        await bot.stop()
    assert "Traceback" not in bot.log.read_text()
    text = shown(complete)
    for expected in ("Quarterly budget", "Meeting at three", "Water the plants", "Buy oranges"):
        assert expected in text
    assert "Call Alice" not in text
    assert "Meeting at noon" not in text
    assert saved.title == "Weekly plan"
    assert web_app_url(complete) == url  # the complete note can be edited again
    assert f"#{note.id}" in shown(found)
    assert "noon" in shown(gone)
    assert "corrected in the editor" in shown(closed)
    assert "Quarterly budget" in shown(closed)
    assert buttons(closed) == []
    assert answer.get("text") == "That line was already reviewed."
    assert saved.is_complete
    assert saved.version == note.version + 1
    for counter in ('notes_photos_read_total{outcome="read"}', "notes_ocr_seconds_count"):
        assert counts[counter] == counted[counter] + 1


async def test_outlines_and_lines_point_at_each_other_in_telegrams_theme(
    browser, telegram, settings
):
    async with running_web_bot(settings, None) as (app, server):
        storage = app.bot_data.services.storage
        note = await make_note(storage, telegram, ALICE, SPRINT, flagged={1, 3}, title="Sprint")
        url = f"{WEBAPP_URL}?note={note.id}"
        backgrounds = {}
        for name, theme, dark in (("light", LIGHT_THEME, False), ("dark", DARK_THEME, True)):
            # The browser prefers the other scheme: the page must follow Telegram's theme.
            page = await open_editor(
                browser,
                url,
                local(server),
                init_data(ALICE),
                theme=theme,
                dark=dark,
                browser_dark=not dark,
            )
            await images_loaded(page)
            await page.wait_for_timeout(400)  # the smooth scroll to the first flagged line
            await screenshot(page, f"editor-{name}")
            backgrounds[name] = await page.evaluate(
                "() => getComputedStyle(document.body).backgroundColor"
            )
            if dark:
                break
            # The first flagged line is selected: its outline is the current one.
            current = await page.evaluate(
                "() => [...document.querySelectorAll('rect.box.current')].map((r) => r.dataset.key)"
            )
            assert current == [f"l{note.lines[1].id}"]
            # Tapping an outline focuses its line...
            budget = f"l{note.lines[2].id}"
            await page.locator(f"rect[data-key='{budget}']").click()
            focused = await page.evaluate("() => document.activeElement.closest('li').dataset.key")
            assert focused == budget
            # ...and focusing a line highlights its outline and zooms the photo to it.
            last = f"l{note.lines[4].id}"
            await page.locator(f"li[data-key='{last}'] textarea").focus()
            await page.wait_for_timeout(400)
            classes = await page.locator(f"rect[data-key='{last}']").get_attribute("class")
            assert "current" in classes.split()
            visible = await page.evaluate(
                """(key) => {
                    const box = document.querySelector(`rect[data-key='${key}']`)
                        .getBoundingClientRect();
                    const view = document.getElementById('viewport').getBoundingClientRect();
                    return box.top >= view.top && box.bottom <= view.bottom
                        && box.width > view.width * 0.5;
                }""",
                last,
            )
            assert visible
            await page.context.close()
    assert backgrounds == {"light": "rgb(239, 239, 243)", "dark": "rgb(21, 30, 39)"}


async def test_recognised_text_is_shown_as_text(browser, telegram, settings):
    hostile = '<img src=x onerror="alert(1)">'
    async with running_web_bot(settings, None) as (app, server):
        storage = app.bot_data.services.storage
        note = await make_note(
            storage,
            telegram,
            ALICE,
            [hostile, "</textarea><script>alert(2)</script>"],
            title="<b>Title</b>",
        )
        page = await open_editor(
            browser, f"{WEBAPP_URL}?note={note.id}", local(server), init_data(ALICE)
        )
        await images_loaded(page)
        values = await page.evaluate(
            "() => [...document.querySelectorAll('textarea')].map((area) => area.value)"
        )
        title = await page.locator("#title").input_value()
        images = await page.evaluate("() => document.querySelectorAll('img').length")
        scripts = await page.evaluate("() => document.querySelectorAll('script').length")
    assert values == [hostile, "</textarea><script>alert(2)</script>"]
    assert title == "<b>Title</b>"
    assert images == 1  # the page's photo, nothing from the text
    assert scripts == 2  # Telegram's and the page's own
    assert page.dialogs == []


async def test_unsaved_changes_are_asked_about_and_a_stale_save_reloads_the_note(
    browser, telegram, settings
):
    async with running_web_bot(settings, None) as (app, server):
        storage = app.bot_data.services.storage
        note = await make_note(storage, telegram, ALICE, SPRINT, flagged={1})
        page = await open_editor(
            browser, f"{WEBAPP_URL}?note={note.id}", local(server), init_data(ALICE)
        )
        first = f"li[data-key='l{note.lines[0].id}'] textarea"
        await page.locator(first).fill("Sprint review, Friday")
        assert await page.evaluate("() => window.Telegram.WebApp.isClosingConfirmationEnabled")
        await page.evaluate("() => { window.__tg.confirmAnswer = false; }")
        await page.evaluate("() => window.__tg.press('BackButton')")
        await page.wait_for_timeout(100)
        assert await tg_calls(page, "showConfirm") == [["showConfirm", "Discard your changes?"]]
        assert await tg_calls(page, "close") == []  # "no": the page stays, edits kept
        assert await page.locator(first).input_value() == "Sprint review, Friday"
        # Meanwhile the user answers the flagged line's prompt in the chat.
        await storage.resolve_line(ALICE, note.lines[1].id, "keep")
        before_save = await storage.notes.get(ALICE, note.id)
        await page.evaluate("() => window.__tg.press('MainButton')")
        await wait_state(page, "stale")
        alerts = await tg_calls(page, "showAlert")
        after = await storage.notes.get(ALICE, note.id)
        reloaded = await page.locator(first).input_value()
        badge = await page.locator(f"li[data-key='l{note.lines[1].id}'] .badge").inner_text()
        # Now nothing is unsaved: Back closes at once.
        await page.evaluate("() => window.__tg.press('BackButton')")
        closed = await tg_calls(page, "close")
    assert after == before_save  # nothing overwritten
    assert len(alerts) == 1
    assert "changed in the chat" in alerts[0][1]
    assert reloaded == SPRINT[0]
    assert badge == "Kept"
    assert closed == [["close"]]


async def test_the_page_speaks_the_users_language(browser, telegram, settings):
    async with running_web_bot(settings, None) as (app, server):
        note = await make_note(app.bot_data.services.storage, telegram, BOB, SPRINT, flagged={2})
        page = await open_editor(
            browser,
            f"{WEBAPP_URL}?note={note.id}",
            local(server),
            init_data(BOB, language_code="vi"),
        )
        lang = await page.evaluate("() => document.documentElement.lang")
        button = await main_button(page)
        heading = await page.locator("#heading").inner_text()
        # Someone else's note, or none: the page says so, in words, and offers no Save.
        other = await open_editor(
            browser, f"{WEBAPP_URL}?note={note.id}", local(server), init_data(ALICE)
        )
        refused = (await state(other), await other.locator("#status").inner_text())
        saves = await tg_calls(other, "MainButton.show")
    assert lang == "vi"
    assert button["text"] == "Lưu"
    assert heading == f"Ghi chú #{note.id}"
    assert refused == ("error", "That note no longer exists.")
    assert saves == []


async def test_a_group_keeps_its_prompts_and_gets_no_edit_button(
    telegram, settings_for, tmp_path, rapid_pool
):
    """Telegram allows web_app buttons only in private chats (the fake refuses them in a
    group): there the note comes without Edit, and seven flagged lines are seven prompts."""
    lines = [f"Item {number} of the list" for number in range(1, 8)]
    settings = settings_for(
        telegram,
        ocr_engine="rapidocr",
        confidence_threshold=100,
        webapp_url=WEBAPP_URL,
        webapp_cache_dir=tmp_path / "cache",
    )
    async with running_web_bot(settings, rapid_pool):
        telegram.send_photo(ALICE, render_note(lines), chat_id=GROUP, caption="@fake_test_bot")
        result = await telegram.wait_for_message(
            GROUP, lambda m: "Note #" in shown(m), timeout=OCR_TIMEOUT
        )
        await telegram.wait_for(
            lambda: len([m for m in telegram.bot_messages(GROUP) if "❓" in shown(m)]) == 7,
            timeout=OCR_TIMEOUT,
        )
    assert web_app_url(result) is None
    assert not any(web_app_url(m) for m in telegram.bot_messages(GROUP))
    with closing(sqlite3.connect(settings.database_path)) as db:
        assert db.execute("SELECT status FROM jobs").fetchall() == [("done",)]


async def test_many_flagged_lines_are_one_message_with_the_edit_button(
    telegram, settings_for, tmp_path, rapid_pool
):
    """More flagged lines than REVIEW_PROMPTS_MAX (5): in a private chat one message with
    Edit and Review pending lines instead of seven prompts; Review pending lines sends them."""
    lines = [f"Item {number} of the list" for number in range(1, 8)]
    settings = settings_for(
        telegram,
        ocr_engine="rapidocr",
        confidence_threshold=100,  # every line is flagged
        webapp_url=WEBAPP_URL,
        webapp_cache_dir=tmp_path / "cache",
    )
    async with running_web_bot(settings, rapid_pool) as (app, _):
        telegram.send_photo(ALICE, render_note(lines))
        look = await telegram.wait_for_message(
            ALICE, lambda m: "need a look" in shown(m), timeout=OCR_TIMEOUT
        )
        (note,) = await app.bot_data.services.storage.notes.page(ALICE)
        await asyncio.sleep(0.5)  # no prompt follows
        before = [m for m in telegram.bot_messages(ALICE) if "❓" in shown(m)]
        review = next(data for text, data in buttons(look) if text == "Review pending lines")
        telegram.press_button(ALICE, look, review)
        await telegram.wait_for(
            lambda: len([m for m in telegram.bot_messages(ALICE) if "❓" in shown(m)]) == 7,
            timeout=OCR_TIMEOUT,
        )
    assert len(note.pending_lines) == 7
    assert f"7 lines of note #{note.id} need a look" in shown(look)
    assert web_app_url(look) == f"{WEBAPP_URL}?note={note.id}"
    assert before == []
