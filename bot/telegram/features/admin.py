"""`/stats` for the bot's administrators (ADMIN_USER_IDS)."""

from __future__ import annotations

import time

from telegram import Update

from bot.domain import messages
from bot.domain.metrics import summarize
from bot.telegram.chat import private_command, reply
from bot.telegram.context import BotContext


async def on_stats(update: Update, context: BotContext) -> None:
    found = await private_command(update, context)
    if found is None:
        return
    svc = context.services
    if found.user.id not in svc.settings.admin_user_ids:
        await reply(found.message, found.t(messages.NOT_ADMIN))
        return
    backend = await svc.ocr.status()
    queue = ""
    if backend.kind == "celery":
        queued = backend.queued if backend.broker_reachable else None
        queue = messages.ocr_queue(found.t, queued, backend.worker_names)
    text = messages.stats(
        found.t,
        await svc.storage.stats(),
        in_flight=svc.ocr.in_flight,
        workers=backend.workers,
        waiting=summarize(svc.ocr.timings.waiting),
        reading=summarize(svc.ocr.timings.reading),
        engine=svc.settings.ocr_engine,
        licensed=svc.ocr.licensed,
        warm_up_s=svc.ocr.warm_up_s,
        uptime_s=time.monotonic() - svc.started_at,
        queue=queue,
    )
    await reply(found.message, text)
