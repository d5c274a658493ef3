"""`GET /healthz`: is the bot doing its job right now? Three checks, each bounded in time:
updates still arrive (the poller's last answer from Telegram is recent, or the webhook server
is up), the database takes a write, and OCR can be reached (local workers exist; with Celery,
Redis answers and at least one worker answers a ping)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.ocr.backends.base import OcrBackend
from bot.storage import Storage

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Health:
    checks: dict[str, str]  # check -> "ok" or what is wrong

    @property
    def ok(self) -> bool:
        return all(result == "ok" for result in self.checks.values())


async def _bounded(check: Callable[[], Awaitable[str]]) -> str:
    try:
        return await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
    except TimeoutError:
        return "no answer"
    except Exception as error:  # a health check reports, it never raises
        return " ".join(f"{type(error).__name__}: {error}".split())[:200]


async def check_health(
    updates_alive: Callable[[], bool], storage: Storage, ocr: OcrBackend
) -> Health:
    async def updates() -> str:
        return "ok" if updates_alive() else "no answer from Telegram lately"

    async def database() -> str:
        await storage.prove_writable()
        return "ok"

    async def engine() -> str:
        status = await ocr.status()
        if not status.broker_reachable:
            return "queue unreachable"
        return "ok" if status.workers > 0 else "no OCR worker"

    results = await asyncio.gather(_bounded(updates), _bounded(database), _bounded(engine))
    health = Health(dict(zip(("updates", "database", "ocr"), results, strict=True)))
    if not health.ok:
        log.warning("event=unhealthy checks=%s", health.checks)
    return health
