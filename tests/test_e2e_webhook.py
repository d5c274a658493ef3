"""Webhook mode: Telegram POSTs updates to the bot; the secret header is required."""

from __future__ import annotations

import asyncio
import signal
import socket
from dataclasses import replace

import aiohttp
import pytest

from bot.telegram.app import build_application, start_services, stop_services, webhook_options
from bot.telegram.updates import WebhookReceiver
from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import shown

pytestmark = pytest.mark.asyncio
ALICE = 8008


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_mode_answers_posted_updates(telegram, settings_for, ocr_pool):
    port = free_port()
    settings = replace(
        settings_for(telegram),
        webhook_url=f"https://bot.example.invalid/hook/{ALICE}",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret="s3cret-Token_1",
    )
    options = webhook_options(settings)
    application = build_application(settings, ocr=ocr_pool)
    await application.initialize()
    await start_services(application)
    await application.start()
    receiver = WebhookReceiver(
        application,
        listen="127.0.0.1",
        port=port,
        url_path=options["url_path"],
        secret=options["secret_token"],
    )
    receiver.start()
    url = f"http://127.0.0.1:{port}/{options['url_path']}"
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
        await receiver.stop(grace_s=5)
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
