"""Webhook mode: Telegram POSTs updates to the bot; the secret header is required."""

from __future__ import annotations

import asyncio
import signal
import socket
from dataclasses import replace

import aiohttp
import pytest

from bot.telegram.app import build_application, start_services, stop_services, webhook_options
from bot.telegram.serve import build_web_server
from bot.telegram.updates import WebhookUpdates
from bot.web.server import Webhook
from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import shown

pytestmark = pytest.mark.asyncio
ALICE = 8008


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_mode_answers_posted_updates(telegram, settings_for, ocr_pool):
    settings = replace(
        settings_for(telegram),
        webhook_url=f"https://bot.example.invalid/hook/{ALICE}",
        http_listen="127.0.0.1",
        http_port=0,
        webhook_secret="s3cret-Token_1",
    )
    options = webhook_options(settings)
    application = build_application(settings, ocr=ocr_pool)
    await application.initialize()
    await start_services(application)
    await application.start()
    hook = Webhook("/" + options["url_path"], options["secret_token"], WebhookUpdates(application))
    server = build_web_server(application, lambda: True, hook)
    await server.start()
    url = f"http://127.0.0.1:{server.port}/{options['url_path']}"
    try:
        update = telegram.build_text_update(ALICE, "/help")
        async with aiohttp.ClientSession() as session:
            headers = {"Content-Type": "application/json"}
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 403  # no secret: refused, nothing handled
            headers["X-Telegram-Bot-Api-Secret-Token"] = "s3cret-Token_1"
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 200
                # Answered only once handled: until then Telegram would deliver it again.
                answer = telegram.find_bot_message(ALICE, lambda m: "/search" in shown(m))
                assert answer is not None
    finally:
        await server.stop(grace_s=5)
        await application.stop()
        await stop_services(application)
        await application.shutdown()
    # Exactly one answer: the update posted without the secret was not handled.
    assert [m["message_id"] for m in telegram.bot_messages(ALICE)] == [answer["message_id"]]


async def test_the_bot_process_sets_its_webhook_and_serves_it(telegram, tmp_path):
    port = free_port()
    bot = BotProcess(
        telegram,
        tmp_path,
        WEBHOOK_URL="https://bot.example.invalid/hook",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET="s3cret-Token_2",
    )
    await bot.start()
    try:
        await telegram.wait_for(lambda: telegram.webhook["url"], timeout=60)
        update = telegram.build_text_update(ALICE, "/help")
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_2"}
        async with aiohttp.ClientSession() as session:
            for _ in range(100):  # the server starts listening right after setWebhook
                try:
                    async with session.post(
                        f"http://127.0.0.1:{port}/hook", json=update, headers=headers
                    ) as response:
                        status = response.status
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
        assert status == 200
        assert telegram.find_bot_message(ALICE, lambda m: "/search" in shown(m))
        assert bot.process is not None
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait(30) == 0
    finally:
        await bot.stop()
    assert telegram.webhook == {
        "url": "https://bot.example.invalid/hook",
        "secret_token": "s3cret-Token_2",
    }


async def raw_post(port: int, path: str, headers: dict[str, str], body: bytes) -> tuple[int, float]:
    """POST with the headers sent at once and the body only after the answer is awaited for
    a second: (status, seconds until the status line came). A server that waits for the whole
    body before answering times out here; one that refuses on the headers answers at once."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    if len(body) < 65536:
        writer.write(body)  # small bodies go at once: the server must read them
    await writer.drain()
    started = asyncio.get_running_loop().time()
    try:
        status_line = await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()
    return int(status_line.split()[1]), asyncio.get_running_loop().time() - started


async def test_webhook_refuses_what_is_not_an_update_in_one_line_each(telegram, tmp_path):
    """Issue 19.8: JSON that is no update is a 400 and one log line (no traceback); a body
    without the secret is refused before it is read, and an oversized one is never read."""
    port = free_port()
    bot = BotProcess(
        telegram,
        tmp_path,
        OCR_ENGINE="rapidocr",
        OCR_WARM_UP="false",
        WEBHOOK_URL="https://bot.example.invalid/hook",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET="s3cret-Token_3",
    )
    await bot.start()
    try:
        assert await bot.http_port() == port  # listening before it sets the webhook
        await telegram.wait_for(lambda: telegram.webhook["url"], timeout=60)
        secret = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_3"}
        json_type = {"Content-Type": "application/json"}
        for body in (b"[]", b'"x"', b"null", b'{"update_id":77,"message":"nope"}', b"{nope"):
            status, _ = await raw_post(port, "/hook", {**secret, **json_type}, body)
            assert status == 400, body
        ten_mb = b"x" * (10 * 2**20)
        status, seconds = await raw_post(port, "/hook", json_type, ten_mb)
        assert status == 403
        assert seconds < 2  # answered on the headers: the body was never sent
        status, seconds = await raw_post(port, "/hook", {**secret, **json_type}, ten_mb)
        assert status == 413
        assert seconds < 2
        # The bot is up and still answers a real update.
        update = telegram.build_text_update(ALICE, "/help")
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"http://127.0.0.1:{port}/hook", json=update, headers=secret) as answer,
        ):
            assert answer.status == 200
        assert telegram.find_bot_message(ALICE, lambda m: "/search" in shown(m))
        assert bot.process is not None
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait(30) == 0
    finally:
        await bot.stop()
    log = bot.log.read_text()
    assert "Traceback" not in log
    assert len(bot.matches(r"event=webhook_refused reason=not_an_update")) == 5
