"""Telegram's updates posted to the bot (webhook mode): answered 200 only once handled.

The secret header is checked before a byte of the body is read, so an unauthenticated client
costs nothing but its headers; a body over `MAX_UPDATE_BYTES` is refused from its declared
length, or as soon as it grows past it. JSON that is no update is a 400 and one log line.
Handling is the bot's (`UpdateSink`): until it returns, Telegram keeps the update and may
post it again, which the bot's gate recognises.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Protocol

from aiohttp import web

from bot.web.http import Handler, TooLarge, read_bounded

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024  # Telegram's updates are a few KB; a 4096-character text ~20


class NotAnUpdate(ValueError):
    """The JSON posted is not a Telegram update (the bot's parser says why)."""


class UpdateSink(Protocol):
    async def receive(self, data: object) -> None:
        """Handle one posted update to the end; NotAnUpdate if `data` isn't one."""


def _refuse(status: int, reason: str) -> web.Response:
    log.warning("event=webhook_refused reason=%s status=%d", reason, status)
    response = web.Response(status=status)
    response.force_close()  # whatever of the body is still coming is not wanted
    return response


def webhook_handler(secret: str, sink: UpdateSink) -> Handler:
    async def receive_update(request: web.Request) -> web.StreamResponse:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return _refuse(403, "secret")
        try:
            body = await read_bounded(request, MAX_UPDATE_BYTES)
        except TooLarge:
            return _refuse(413, "too_large")
        try:
            await sink.receive(json.loads(body))
        except (NotAnUpdate, ValueError):  # json.JSONDecodeError is a ValueError
            return _refuse(400, "not_an_update")
        return web.Response(status=200)

    return receive_update
