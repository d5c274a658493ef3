"""Where updates come from, handled at least once and applied at most once.

Telegram forgets an update once the bot confirms it: with polling, by asking for later ones;
with a webhook, by answering 200. python-telegram-bot confirms on receipt, before any handler
ran, so a bot killed in between loses the photo for good. Here an update is confirmed only
after its handlers finished (a photo is then a job row in SQLite), and everything that is
redelivered after a crash is applied once: photos by their job, corrections and titles by the
message they came in, buttons by the state they change. `UpdateGate` drops copies of an update
that arrive while the first is being handled or after it was (a webhook retry, a re-poll).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Hashable
from datetime import timedelta

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError

from bot.telegram.context import BotApplication
from bot.web.webhook import NotAnUpdate

log = logging.getLogger(__name__)

POLL_TIMEOUT_S = 30
# /healthz: the poller is alive while Telegram answered getUpdates within this many seconds
# (a long poll takes up to POLL_TIMEOUT_S; a Bot API outage keeps it failing).
ALIVE_WITHIN_S = 2 * POLL_TIMEOUT_S + 30
MAX_IN_FLIGHT = 256
_REMEMBERED = 50_000  # update identities kept to drop copies (a few MB at most)


def identity(update: Update) -> Hashable:
    """What makes two deliveries the same update: Telegram's update id, and for messages and
    presses what they are about (a copy can come with a new update id)."""
    if update.callback_query is not None:
        return ("press", update.callback_query.id)
    if update.inline_query is not None:
        return ("inline", update.inline_query.id)
    message = update.message
    if message is not None:
        return ("message", message.chat.id, message.message_id)
    return ("update", update.update_id)


class UpdateGate:
    """Runs each update's handlers once per process, however often it is delivered."""

    def __init__(self, application: BotApplication) -> None:
        self._application = application
        self._seen: OrderedDict[Hashable, None] = OrderedDict()

    async def handle(self, update: Update) -> None:
        key = identity(update)
        if key in self._seen:
            log.info("event=update_duplicate update=%d", update.update_id)
            return
        self._seen[key] = None
        if len(self._seen) > _REMEMBERED:
            self._seen.popitem(last=False)
        await self._application.process_update(update)


class Poller:
    """getUpdates in a loop, confirming only updates whose handlers have finished."""

    def __init__(self, application: BotApplication, allowed_updates: list[str]) -> None:
        self._application = application
        self._allowed = allowed_updates
        self._gate = UpdateGate(application)
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._next = 0  # the lowest update id not yet handled, once known
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._task: asyncio.Task[None] | None = None
        self._answered_at = time.monotonic()

    def alive(self) -> bool:
        """Polling runs and Telegram answered it lately (for /healthz)."""
        running = self._task is not None and not self._task.done()
        return running and time.monotonic() - self._answered_at < ALIVE_WITHIN_S

    @property
    def offset(self) -> int:
        """What to confirm: every update below the oldest one still being handled."""
        return min(self._in_flight, default=self._next)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="poller")

    async def wait(self) -> None:
        """Until the loop ends: stopped, or a fatal error (raised here, e.g. InvalidToken)."""
        assert self._task is not None
        await self._task

    async def stop(self, grace_s: float) -> None:
        """Stop asking for updates, give running handlers `grace_s`, confirm what finished."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        running = set(self._in_flight.values())
        if running:
            await asyncio.wait(running, timeout=grace_s)
        for task in self._in_flight.values():
            task.cancel()  # unconfirmed: Telegram delivers it again at the next start
        if self._in_flight:
            await asyncio.wait(set(self._in_flight.values()), timeout=5)
        with contextlib.suppress(Exception):
            await self._application.bot.get_updates(offset=self.offset, timeout=0, limit=1)

    async def _loop(self) -> None:
        failures = 0
        while True:
            try:
                updates = await self._application.bot.get_updates(
                    offset=self.offset,
                    timeout=POLL_TIMEOUT_S,
                    read_timeout=POLL_TIMEOUT_S + 10,
                    allowed_updates=self._allowed,
                )
            except InvalidToken:
                raise  # revoked: nothing will work; the bot stops with a clear message
            except RetryAfter as error:
                wait = error.retry_after  # seconds, or a timedelta (python-telegram-bot 22)
                await asyncio.sleep(wait.total_seconds() if isinstance(wait, timedelta) else wait)
                continue
            except TelegramError as error:  # the network, a 5xx, another poller (Conflict)
                failures += 1
                delay = min(30.0, 0.5 * 2**failures)
                log.warning("event=poll_failed delay_s=%.1f error=%s", delay, error)
                await asyncio.sleep(delay)
                continue
            failures = 0
            self._answered_at = time.monotonic()
            fresh = [u for u in updates if u.update_id >= self._next and not self._known(u)]
            for update in fresh:
                await self._slots.acquire()
                self._in_flight[update.update_id] = asyncio.create_task(
                    self._handle(update), name=f"update-{update.update_id}"
                )
            if not fresh and self._in_flight:
                # Only updates still being handled came back: wait for one to finish rather
                # than ask again at once.
                await asyncio.wait(
                    set(self._in_flight.values()),
                    timeout=0.5,
                    return_when=asyncio.FIRST_COMPLETED,
                )

    def _known(self, update: Update) -> bool:
        return update.update_id in self._in_flight

    async def _handle(self, update: Update) -> None:
        try:
            await self._gate.handle(update)
        finally:
            del self._in_flight[update.update_id]
            self._slots.release()
            self._next = max(self._next, update.update_id + 1)


class WebhookUpdates:
    """Updates Telegram posts to the webhook (the HTTP side is `bot.web.webhook`): each is
    parsed, then handled through the gate before the server answers 200."""

    def __init__(self, application: BotApplication) -> None:
        self._application = application
        self._gate = UpdateGate(application)

    def parse(self, data: object) -> Update:
        """The update in `data`, or NotAnUpdate: python-telegram-bot's parser raises whatever
        a malformed part makes it meet (AttributeError for a string where an object belongs),
        so anything it raises means "not an update"."""
        if not isinstance(data, dict):
            raise NotAnUpdate(type(data).__name__)
        update_id = data.get("update_id")
        if isinstance(update_id, bool) or not isinstance(update_id, int):
            raise NotAnUpdate("no update_id")
        try:
            update = Update.de_json(data, self._application.bot)
        except Exception as error:
            raise NotAnUpdate(f"{type(error).__name__}: {error}") from None
        if update is None:
            raise NotAnUpdate("empty")
        return update

    async def receive(self, data: object) -> None:
        await self._gate.handle(self.parse(data))
