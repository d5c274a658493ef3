"""/help and /search round trips to the real `python -m bot` while its OCR queue is full.

The bot runs as its own process (as in production, where Telegram is another machine); the
fake server and the probes run in the benchmark's process. Photos from `users` users arrive
at once; the probes are split into the burst while the bot acknowledges them (a status
message each) and the time they then wait for and go through OCR.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.bot_load import PROBE_GAP_S, PROBE_USER, photo_answered, round_trip
from bench.bot_process import TOKEN, bot_process
from tests.support.fake_telegram import FakeTelegram


def _acknowledged(server: FakeTelegram, chat: int, photo: int) -> bool:
    """The bot has replied to the photo (its status message, or already its note)."""
    return (
        server.find_bot_message(
            chat, lambda m: (m.get("reply_to_message") or {}).get("message_id") == photo
        )
        is not None
    )


async def under_load(folder: Path, images: list[bytes], workers: int) -> dict[str, list[float]]:
    """Round trips in seconds, keyed help_burst, search_burst, help_queued, search_queued."""
    rtt: dict[str, list[float]] = {
        f"{name}_{phase}": [] for phase in ("burst", "queued") for name in ("help", "search")
    }
    server = FakeTelegram(token=TOKEN)
    async with server, bot_process(server, folder, OCR_WORKERS=str(workers)) as bot:
        await bot.first_poll(server)
        await bot.engine_ready()
        photos = [
            (user, server.send_photo(user, image)["message_id"])
            for user, image in enumerate(images, start=50_000)
        ]
        probe, phase = PROBE_USER, "burst"
        while not all(photo_answered(server, *photo) for photo in photos):
            probe += 1  # a fresh chat each time keeps the work per probe the same
            if phase == "burst" and all(_acknowledged(server, *p) for p in photos):
                phase = "queued"
            rtt[f"help_{phase}"].append(await round_trip(server, probe, "/help", "/search"))
            search = await round_trip(server, probe, "/search milk plan", "match")
            rtt[f"search_{phase}"].append(search)
            await asyncio.sleep(PROBE_GAP_S)
    return rtt
