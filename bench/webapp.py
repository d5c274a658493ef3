"""The Mini App editor's speed: page load to interactive, and a save's round trip, for a note of
50 lines, p50/p95. `python -m bench.webapp [--quick] [--loads N] [--saves N] [--out F]`

The bot runs as in production (`python -m bot`, its own process and HTTP server), against the
fake Bot API; the page runs in Debian's headless Chromium at phone size, with Telegram's script
replaced by the tests' stub. The note (50 lines, each outlined on a rendered page) is written
into the database before the bot starts. Measured from the browser's side:

- load: from navigation to the page being interactive (the note fetched, every line an
  editable field, MainButton set), and to its photo shown with the outlines; the first load
  downloads the photo from the fake Bot API and prepares it (cold), later ones read it from
  the disk cache;
- save: from MainButton to the page showing the saved note (one line changed each time; the
  server's answer comes after the commit, before the chat is told).

The page is opened at the bot's own address (no TLS proxy in between).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from playwright.async_api import async_playwright

from bench.bot_process import TOKEN, bot_process, until
from bench.report import machine, ms, percentile, table
from bot.storage import Storage
from tests.support.fake_telegram import FakeTelegram
from tests.support.webapp import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LIGHT_THEME,
    PHONE,
    TELEGRAM_SCRIPT,
    init_data,
    make_note,
    telegram_stub,
)

USER = 5150
WEBAPP_URL = "https://notes.example.test/app/"


def fifty_lines(count: int) -> list[str]:
    words = ["budget", "meeting", "whiteboard", "review", "tablet", "photo", "draft", "plan"]
    return [
        f"{index + 1}. {words[index % 8]} item {words[(index * 3) % 8]} {index * 7}"
        for index in range(count)
    ]


async def measure(loads: int, saves: int, lines: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-webapp-"))
    async with FakeTelegram(token=TOKEN) as server:
        async with await Storage.open(folder / "notes.db") as storage:
            note = await make_note(
                storage, server, USER, fifty_lines(lines), flagged=set(range(0, lines, 7))
            )
        settings = {
            "WEBAPP_URL": WEBAPP_URL,
            "OCR_ENGINE": "rapidocr",
            "OCR_WARM_UP": "false",
        }
        async with bot_process(server, folder, **settings) as run:
            port = await run.bot.http_port()
            await until(lambda: any(m == "getUpdates" for m, _ in server.requests), 120, "poll")
            url = f"http://127.0.0.1:{port}/app/?note={note.id}"
            stub = telegram_stub(init_data(USER, token=TOKEN), LIGHT_THEME)

            async def serve_stub(route):
                await route.fulfill(body=stub, content_type="text/javascript")

            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                ready, shown, in_page = [], [], []
                page = None
                for _ in range(loads):
                    if page is not None:
                        await page.context.close()
                    context = await browser.new_context(viewport=PHONE, device_scale_factor=2)
                    page = await context.new_page()

                    await page.route(TELEGRAM_SCRIPT, serve_stub)
                    started = time.perf_counter()
                    await page.goto(url)
                    await page.wait_for_function(
                        "() => document.getElementById('app').dataset.state === 'ready'",
                        polling=5,
                    )
                    ready.append(time.perf_counter() - started)
                    await page.wait_for_function(
                        "() => document.getElementById('app').dataset.images", polling=5
                    )
                    shown.append(time.perf_counter() - started)
                    in_page.append(
                        await page.evaluate(
                            "() => performance.getEntriesByName('editor-ready')[0].startTime"
                        )
                        / 1000
                    )
                assert page is not None
                fields = await page.locator("textarea").count()
                round_trips = []
                for number in range(saves):
                    await page.locator("textarea").nth(number % fields).fill(f"changed {number}")
                    started = time.perf_counter()
                    await page.evaluate("() => window.__tg.press('MainButton')")
                    await page.wait_for_function(
                        "() => document.getElementById('app').dataset.state === 'saved'",
                        polling=5,
                    )
                    round_trips.append(time.perf_counter() - started)
                    await page.evaluate(
                        "() => { document.getElementById('app').dataset.state = 'ready'; }"
                    )
                await browser.close()
        assert run.exit_code in (None, 0)
    return {
        "lines": lines,
        "fields_on_page": fields,
        "loads": loads,
        "saves": saves,
        "cold_load_interactive_ms": ms(ready[0]),
        "cold_load_photo_ms": ms(shown[0]),
        "load_interactive_ms": summary(ready[1:] or ready),
        "load_interactive_in_page_ms": summary(in_page[1:] or in_page),
        "load_photo_ms": summary(shown[1:] or shown),
        "save_round_trip_ms": summary(round_trips),
    }


def summary(values: list[float]) -> dict:
    return {"p50": ms(percentile(values, 50)), "p95": ms(percentile(values, 95)), "n": len(values)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webapp", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 loads, 3 saves")
    parser.add_argument("--loads", type=int, default=21)
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--lines", type=int, default=50)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    loads, saves = (3, 3) if args.quick else (args.loads, args.saves)
    results = {"machine": machine(), "webapp": asyncio.run(measure(loads, saves, args.lines))}
    row = results["webapp"]
    rows = [
        {
            "what": "first load (photo downloaded, prepared)",
            "p50_ms": row["cold_load_interactive_ms"],
            "p95_ms": None,
            "photo_shown_ms": row["cold_load_photo_ms"],
        },
        {
            "what": "load to interactive (photo cached)",
            "p50_ms": row["load_interactive_ms"]["p50"],
            "p95_ms": row["load_interactive_ms"]["p95"],
            "photo_shown_ms": row["load_photo_ms"]["p50"],
        },
        {
            "what": "  of which in the page (navigation start to interactive)",
            "p50_ms": row["load_interactive_in_page_ms"]["p50"],
            "p95_ms": row["load_interactive_in_page_ms"]["p95"],
            "photo_shown_ms": None,
        },
        {
            "what": "save round trip",
            "p50_ms": row["save_round_trip_ms"]["p50"],
            "p95_ms": row["save_round_trip_ms"]["p95"],
            "photo_shown_ms": None,
        },
    ]
    print(
        table(
            f"Mini App editor, a note of {row['lines']} lines "
            "(fake Bot API, headless Chromium 360×780)",
            rows,
        )
    )
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
