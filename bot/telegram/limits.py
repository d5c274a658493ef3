"""Telegram's limits and passing faults: every Bot API call waits out a 429 (python-telegram-
bot's `AIORateLimiter`) and is tried again after a 5xx answer, a timeout or a network error;
messages to one chat go at Telegram's pace for a chat.

A job must not strand a photo because one call failed once: a fault that lasts longer than the
retries here reaches the caller, and the photo pipeline tries the whole job again later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

T = TypeVar("T")
# Seconds before each retry: ~7.5 s in all, long enough for a Bot API hiccup or a proxy
# restart, short enough that the user still sees a prompt answer.
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
# Telegram asks bots for about one message a second in one chat, short bursts allowed: a
# chat may get CHAT_BURST messages at once, then one every 1 / CHAT_MESSAGES_PER_S seconds.
# (Groups also keep AIORateLimiter's 20 a minute.)
CHAT_BURST = 3
CHAT_MESSAGES_PER_S = 1.0
KEPT_CHAT_PACERS = 512  # beyond this, pacers of chats that are quiet again are dropped


def is_transient(error: BaseException) -> bool:
    """A fault worth another try: a 5xx answer, a timeout, a network error. A 400 (BadRequest
    is a NetworkError in python-telegram-bot) will fail the same way again."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


async def with_retries(
    call: Callable[[], Awaitable[T]], what: str, delays: tuple[float, ...] = RETRY_DELAYS
) -> T:
    """`call()`, tried again after each delay while it fails with a transient fault."""
    for delay in (*delays, None):
        try:
            return await call()
        except NetworkError as error:
            if delay is None or not is_transient(error):
                raise
            log.info("event=telegram_retry call=%s delay_s=%.1f error=%s", what, delay, error)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # the last round returns or raises


def sends_a_message(endpoint: str) -> bool:
    """Calls that put a new message into a chat (what Telegram's per-chat pace is about);
    edits, reactions and chat actions change or show nothing new."""
    name = endpoint.lower()
    return (name.startswith("send") and name != "sendchataction") or name in (
        "copymessage",
        "copymessages",
        "forwardmessage",
        "forwardmessages",
    )


class PatientRateLimiter(AIORateLimiter):
    """`AIORateLimiter` (Telegram's 30 messages/s, 20 a minute in a group, waits on 429),
    plus `with_retries`, plus a pace per chat for new messages (`CHAT_BURST`,
    `CHAT_MESSAGES_PER_S`): a chat that is sent many messages at once (a page of prompts)
    waits its turn without holding up other chats.

    getUpdates is left alone: the poller has its own loop for a Bot API that is away.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chat_pacers: dict[int | str, AsyncLimiter] = {}

    def _pacer(self, chat_id: int | str) -> AsyncLimiter:
        if len(self._chat_pacers) > KEPT_CHAT_PACERS:
            for key, pacer in list(self._chat_pacers.items()):
                if key != chat_id and pacer.has_capacity(pacer.max_rate):  # quiet: empty bucket
                    del self._chat_pacers[key]
        if chat_id not in self._chat_pacers:
            period = CHAT_BURST / CHAT_MESSAGES_PER_S
            self._chat_pacers[chat_id] = AsyncLimiter(CHAT_BURST, period)
        return self._chat_pacers[chat_id]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        def attempt() -> Awaitable[bool | dict[str, Any] | list[dict[str, Any]]]:
            return super(PatientRateLimiter, self).process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )

        if endpoint == "getUpdates":
            return await attempt()
        chat_id = data.get("chat_id")
        if chat_id is None or not sends_a_message(endpoint):
            return await with_retries(attempt, endpoint)
        async with self._pacer(chat_id):
            return await with_retries(attempt, endpoint)
