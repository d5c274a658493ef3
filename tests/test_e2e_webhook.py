"""Webhook mode: Telegram POSTs updates to the bot; the secret header is required."""

from __future__ import annotations

import socket
from dataclasses import replace

import aiohttp
import pytest

from bot.telegram.app import build_application, start_services, stop_services, webhook_options

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
    await application.updater.start_webhook(**options)
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
        answer = await telegram.wait_for_message(ALICE, lambda m: "/search" in m["text_plain"])
    finally:
        await application.updater.stop()
        await application.stop()
        await stop_services(application)
        await application.shutdown()
    assert telegram.webhook["url"] == settings.webhook_url
    assert telegram.webhook["secret_token"] == "s3cret-Token_1"
    # Exactly one answer: the update posted without the secret was not handled.
    assert [m["message_id"] for m in telegram.bot_messages(ALICE)] == [answer["message_id"]]
