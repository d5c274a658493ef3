"""Telegram's limits and passing faults: every Bot API call waits out a 429 (python-telegram-
bot's `AIORateLimiter`) and is tried again after a 5xx answer, a timeout or a network error.

A job must not strand a photo because one call failed once: a fault that lasts longer than the
retries here reaches the caller, and the photo pipeline tries the whole job again later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

T = TypeVar("T")
# Seconds before each retry: ~7.5 s in all, long enough for a Bot API hiccup or a proxy
# restart, short enough that the user still sees a prompt answer.
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)


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


class PatientRateLimiter(AIORateLimiter):
    """`AIORateLimiter` (Telegram's 30 messages/s, waits on 429), plus `with_retries`.

    getUpdates is left alone: the poller has its own loop for a Bot API that is away.
    """

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
        return await with_retries(attempt, endpoint)
