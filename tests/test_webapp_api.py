"""The editor's HTTP side against the real bot (fake Bot API, real SQLite, real server): who
may read and change what, and what is refused before a body is read."""

from __future__ import annotations

import asyncio
import io
import socket
import sqlite3
import time
from contextlib import closing

import aiohttp
import pytest
from PIL import Image
from prometheus_client import generate_latest

from bot.storage import Storage
from bot.telegram.serve import build_web_server
from tests.support.bot_process import BotProcess
from tests.support.images import render_note
from tests.support.running import running_web_bot
from tests.support.webapp import init_data, make_note, metric_values

pytestmark = pytest.mark.asyncio
ALICE, BOB = 6101, 6202
WEBAPP_URL = "https://notes.example.test/app/"
LINES = ["Sprint review notes", "Ship the editr friday", "Budget 1200 EUR", "Call Alice"]


def auth(user_id: int, **options) -> dict[str, str]:
    return {"Authorization": f"tma {init_data(user_id, **options)}"}


@pytest.fixture
def settings(telegram, settings_for, tmp_path):
    return settings_for(telegram, webapp_url=WEBAPP_URL, webapp_cache_dir=tmp_path / "cache")


async def test_a_note_is_served_only_with_genuine_fresh_init_data(telegram, settings):
    async with running_web_bot(settings, None) as (app, server):
        note = await make_note(app.bot_data.services.storage, telegram, ALICE, LINES, flagged={1})
        url = f"http://127.0.0.1:{server.port}/app/api/notes/{note.id}"
        forged = init_data(ALICE, token="123456789:AAOtherBotsTokenXXXXXXXXXXXXXXXXXXXX")
        genuine = init_data(ALICE)
        tampered = genuine.replace(f"%22id%22%3A{ALICE}", f"%22id%22%3A{BOB}")
        assert tampered != genuine
        refused_headers = [
            {},
            {"Authorization": genuine},  # not the tma scheme
            {"Authorization": f"tma {forged}"},
            {"Authorization": f"tma {tampered}"},
            auth(ALICE, auth_date=time.time() - 2 * 86400),  # WEBAPP_MAX_AGE_S is a day
            {"Authorization": "tma hash=00&user=%7B%22id%22%3A6101%7D&auth_date=1"},
        ]
        async with aiohttp.ClientSession() as session:
            for headers in refused_headers:
                async with session.get(url, headers=headers) as response:
                    assert response.status == 401, headers
                    body = await response.json()
                    assert body["error"] == "unauthorized"
                    assert "open it again from the chat" in body["message"]
            async with session.get(url, headers=auth(ALICE)) as response:
                assert response.status == 200
                body = await response.json()
    assert [line["text"] for line in body["note"]["lines"]] == LINES
    assert [line["state"] for line in body["note"]["lines"]][:2] == ["accepted", "pending"]
    assert body["note"]["version"] == 1
    assert body["texts"]["save"] == "Save"
    assert body["lang"] == "en"


async def test_another_users_note_looks_like_one_that_never_existed(telegram, settings):
    async with running_web_bot(settings, None) as (app, server):
        storage = app.bot_data.services.storage
        bobs = await make_note(storage, telegram, BOB, ["Bob's secret plan"])
        base = f"http://127.0.0.1:{server.port}/app/api/notes"
        answers = []
        async with aiohttp.ClientSession() as session:
            for path in (f"{bobs.id}", "999999", "0", "abc", f"{bobs.id}/pages/0"):
                async with session.get(f"{base}/{path}", headers=auth(ALICE)) as response:
                    answers.append((response.status, await response.json()))
            save = {"version": 1, "title": None, "lines": []}
            async with session.post(f"{base}/{bobs.id}", json=save, headers=auth(ALICE)) as r:
                answers.append((r.status, await r.json()))
        after = await storage.notes.get(BOB, bobs.id)
    assert {status for status, _ in answers} == {404}
    assert len({str(body) for _, body in answers}) == 1  # word for word the same
    assert after == bobs  # Bob's note untouched


async def test_page_images_are_the_pixels_the_boxes_refer_to_and_only_for_the_owner(
    telegram, settings, tmp_path
):
    async with running_web_bot(settings, None) as (app, server):
        note = await make_note(app.bot_data.services.storage, telegram, ALICE, LINES)
        url = f"http://127.0.0.1:{server.port}/app/api/notes/{note.id}/pages/0"
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as response:
                assert response.status == 401
            async with session.get(url, headers=auth(BOB)) as response:
                assert response.status == 404
            async with session.get(url.replace("/0", "/1"), headers=auth(ALICE)) as response:
                assert response.status == 404  # the note has one page
            async with session.get(url, headers=auth(ALICE)) as response:
                assert response.status == 200
                assert response.content_type == "image/jpeg"
                served = await response.read()
            downloads = [p for m, p in telegram.requests if m == "getFile"]
            async with session.get(url, headers=auth(ALICE)) as response:
                assert await response.read() == served
            assert [p for m, p in telegram.requests if m == "getFile"] == downloads  # cached
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == Image.open(io.BytesIO(render_note(LINES))).size
    assert len(list((tmp_path / "cache").glob("*.jpg"))) == 1


async def test_a_save_over_a_newer_version_changes_nothing(telegram, settings):
    async with running_web_bot(settings, None) as (app, server):
        storage: Storage = app.bot_data.services.storage
        note = await make_note(storage, telegram, ALICE, LINES, flagged={1})
        # The page was opened on version 1; then the user answered the prompt in the chat.
        await storage.resolve_line(ALICE, note.lines[1].id, "keep")
        before = await storage.notes.get(ALICE, note.id)
        save = {
            "version": 1,
            "title": "Overwritten?",
            "lines": [{"id": line.id, "text": "changed", "drop": False} for line in note.lines],
        }
        url = f"http://127.0.0.1:{server.port}/app/api/notes/{note.id}"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=save, headers=auth(ALICE)) as response,
        ):
            assert response.status == 409
            body = await response.json()
        after = await storage.notes.get(ALICE, note.id)
    assert before.version == 2
    assert after == before
    assert body["error"] == "stale"
    assert "changed in the chat" in body["message"]
    assert body["note"]["version"] == 2  # for the page to show again
    assert body["note"]["lines"][1]["state"] == "kept"


async def raw_request(port: int, head: str, body_size: int) -> tuple[int, float]:
    """Send `head` (request line and headers) declaring `body_size` bytes, but not the body:
    (status, seconds until the answer). A server that reads the body first never answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{head}\r\nContent-Length: {body_size}\r\n\r\n".encode())
    await writer.drain()
    started = time.monotonic()
    try:
        status_line = await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()
    return int(status_line.split()[1]), time.monotonic() - started


async def test_a_ten_megabyte_body_is_refused_without_reading_it(telegram, settings):
    async with running_web_bot(settings, None) as (app, server):
        note = await make_note(app.bot_data.services.storage, telegram, ALICE, LINES)
        request = f"POST /app/api/notes/{note.id} HTTP/1.1\r\nHost: x"
        ten_mb = 10 * 2**20
        status, seconds = await raw_request(server.port, request, ten_mb)
        assert (status, seconds < 2) == (401, True)  # who asks is checked first
        header = next(iter(auth(ALICE).items()))
        status, seconds = await raw_request(
            server.port, f"{request}\r\n{': '.join(header)}", ten_mb
        )
        assert (status, seconds < 2) == (413, True)
        # Streamed without a declared length, it is cut off once past the bound.
        async with aiohttp.ClientSession() as session:

            async def chunks():
                for _ in range(10):
                    yield b"x" * 2**20

            url = f"http://127.0.0.1:{server.port}/app/api/notes/{note.id}"
            try:
                async with session.post(url, data=chunks(), headers=auth(ALICE)) as response:
                    status = response.status
            except aiohttp.ClientError:
                status = None  # closed while still sending: refused all the same
        assert status in (413, None)
        assert await app.bot_data.services.storage.notes.get(ALICE, note.id) == note


async def test_saves_the_page_could_not_have_sent_are_refused(telegram, settings):
    async with running_web_bot(settings, None) as (app, server):
        storage: Storage = app.bot_data.services.storage
        note = await make_note(storage, telegram, ALICE, LINES, flagged={1})
        bobs = await make_note(storage, telegram, BOB, ["Bob's line"])
        ids = [line.id for line in note.lines]

        def save(lines, **fields):
            return {"version": 1, "title": None, "lines": lines, **fields}

        def same(**changes):
            return [{"id": i, "text": LINES[n], **changes} for n, i in enumerate(ids)]

        bodies = [
            b"not json",
            b"[]",
            save(same()[:-1]),  # a line left out
            save([*same(), {"id": ids[0], "text": "twice"}]),
            save([*same(), {"id": bobs.lines[0].id, "text": "Bob's, taken"}]),
            save([{**same()[0], "text": "   "}, *same()[1:]]),  # empty, not dropped
            save([{**same()[0], "text": "x" * 1001}, *same()[1:]]),
            save(same(), title="t" * 101),
            save(same(), version="1"),
            save([{**same()[0], "drop": "yes"}, *same()[1:]]),
        ]
        url = f"http://127.0.0.1:{server.port}/app/api/notes/{note.id}"
        async with aiohttp.ClientSession() as session:
            for body in bodies:
                data = body if isinstance(body, bytes) else None
                payload = None if isinstance(body, bytes) else body
                async with session.post(url, data=data, json=payload, headers=auth(ALICE)) as r:
                    assert r.status == 400, body
                    assert (await r.json())["error"] == "invalid"
        assert await storage.notes.get(ALICE, note.id) == note
        assert await storage.notes.get(BOB, bobs.id) == bobs


async def test_a_save_changes_the_whole_note_in_one_go(telegram, settings):
    async with running_web_bot(settings, None) as (app, server):
        storage: Storage = app.bot_data.services.storage
        note = await make_note(storage, telegram, ALICE, LINES, flagged={1})
        ids = [line.id for line in note.lines]
        save = {
            "version": 1,
            "title": "  Sprint   review ",
            "lines": [
                {"id": ids[1], "text": "Ship the editor friday"},  # flagged, corrected, moved up
                {"id": ids[0], "text": "Sprint review notes"},
                {"id": None, "text": "Order  pizza"},  # added
                {"id": ids[2], "text": "Budget 1200 EUR", "drop": True},
                {"id": ids[3], "text": "Call Alice about the budget"},  # accepted, corrected
            ],
        }
        url = f"http://127.0.0.1:{server.port}/app/api/notes/{note.id}"
        counted = metric_values(generate_latest().decode())
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=save, headers=auth(ALICE)) as response,
        ):
            assert response.status == 200
            body = await response.json()
        saved = await storage.notes.get(ALICE, note.id)
        counts = metric_values(generate_latest().decode())
        found = {word: await storage.search.find(ALICE, word) for word in ("pizza", "Budget")}
    assert saved.version == 2 == body["note"]["version"]
    assert saved.title == "Sprint review"
    assert [(line.text, line.state) for line in saved.lines] == [
        ("Ship the editor friday", "retyped"),
        ("Sprint review notes", "accepted"),
        ("Order pizza", "retyped"),
        ("Budget 1200 EUR", "dropped"),
        ("Call Alice about the budget", "retyped"),
    ]
    assert saved.lines[2].confidence_source == "user"
    assert saved.lines[2].original_text == ""
    assert saved.is_complete
    assert [hit.note_id for hit in found["pizza"]] == [note.id]
    assert [hit.note_id for hit in found["Budget"]] == [note.id]  # "...about the budget"
    saves, retyped = (
        'notes_editor_saves_total{result="saved"}',
        ('notes_review_outcomes_total{action="retype",via="editor"}'),
    )
    assert counts[saves] == counted[saves] + 1
    assert counts[retyped] == counted.get(retyped, 0) + 1  # the flagged line, corrected
    with closing(sqlite3.connect(settings.database_path)) as db:
        # The chat's side was done (nothing flagged had a prompt) and its record went.
        assert db.execute("SELECT count(*) FROM editor_saves").fetchone() == (0,)


async def test_health_metrics_page_and_its_headers(telegram, settings):
    async with running_web_bot(settings, None) as (_, server):
        base = f"http://127.0.0.1:{server.port}"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/healthz") as response:
                health = (response.status, await response.json())
            async with session.get(f"{base}/metrics") as response:
                metrics = await response.text()
            async with session.get(f"{base}/app/?note=1") as response:
                page = (response.status, response.headers, await response.text())
            async with session.get(f"{base}/app?note=5", allow_redirects=False) as response:
                redirect = (response.status, response.headers.get("Location"))
            async with session.get(f"{base}/app/static/app.js") as response:
                script = (response.status, response.content_type)
            async with session.get(f"{base}/app/static/../__init__.py") as response:
                escaped = response.status
    assert health[0] == 200
    assert health[1] == {"ok": True, "checks": {"updates": "ok", "database": "ok", "ocr": "ok"}}
    for name in (
        "notes_photos_read_total",
        "notes_ocr_seconds_bucket",
        "notes_ocr_queue_length",
        "notes_review_outcomes_total",
        "notes_search_seconds_bucket",
        "notes_editor_saves_total",
        "process_resident_memory_bytes",
    ):
        assert name in metrics
    status, headers, html = page
    assert status == 200
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self' https://telegram.org;" in policy
    assert "unsafe-inline" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert '<script src="https://telegram.org/js/telegram-web-app.js"></script>' in html
    assert "<script>" not in html  # no inline script
    assert redirect == (308, "/app/?note=5")
    assert script == (200, "text/javascript")
    assert escaped == 404


async def test_a_port_already_taken_stops_the_bot_with_one_line(telegram, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        bot = BotProcess(
            telegram,
            tmp_path,
            OCR_ENGINE="rapidocr",
            OCR_WARM_UP="false",
            WEBAPP_LISTEN="127.0.0.1",
            WEBAPP_PORT=str(port),
        )
        await bot.start()
        code = await bot.wait(60)
    output = bot.log.read_text()
    assert code == 1
    assert "Traceback" not in output
    assert f"error: cannot listen on 127.0.0.1:{port} (WEBAPP_LISTEN/WEBAPP_PORT)" in output


async def test_the_bot_process_serves_its_health_and_metrics(telegram, tmp_path):
    bot = BotProcess(telegram, tmp_path, OCR_ENGINE="rapidocr", OCR_WARM_UP="false")
    await bot.start()
    try:
        port = await bot.http_port()
        await telegram.wait_for(lambda: any(m == "getUpdates" for m, _ in telegram.requests), 60)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                health = (response.status, await response.json())
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                metrics = await response.text()
            # Without WEBAPP_URL there is no editor.
            async with session.get(f"http://127.0.0.1:{port}/api/notes/1") as response:
                editor = response.status
    finally:
        await bot.stop()
    assert health == (200, {"ok": True, "checks": {"updates": "ok", "database": "ok", "ocr": "ok"}})
    assert 'notes_photos_read_total{outcome="read"} 0.0' in metrics
    assert editor == 404


async def test_health_says_what_is_wrong(telegram, settings):
    async with running_web_bot(settings, None) as (app, _):
        stalled = build_web_server(app, lambda: False)  # Telegram hasn't answered for a while
        await stalled.start()
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{stalled.port}/healthz") as response,
            ):
                health = (response.status, await response.json())
        finally:
            await stalled.stop(grace_s=1)
    assert health[0] == 503
    assert health[1]["ok"] is False
    assert health[1]["checks"]["updates"] == "no answer from Telegram lately"
    assert health[1]["checks"]["database"] == "ok"
