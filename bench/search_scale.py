"""/search as the database grows: 10k, 100k, 1M note lines of generated text.

Lines are written straight into the bot's schema (created by `Storage.open`, so the tables,
indexes and FTS5 table are the real ones), 20 lines per note, notes spread over 1,000 users,
except that one heavy user owns every tenth note (10% of all lines). Latency is measured
twice: `Storage.search` alone (a page of hits plus the count, as /search does), for typical
users and for the heavy one, and `/search` round trips to the real `python -m bot` process.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from pathlib import Path

from bench.bot_load import round_trip
from bench.bot_process import TOKEN, bot_process
from bench.corpus import note_lines, vocabulary
from bench.report import ms, percentile
from bot.domain.models import ConfidenceSource
from bot.storage import Storage
from bot.storage.search_query import build_fts_query, owner_token
from tests.support.fake_telegram import FakeTelegram

LINES_PER_NOTE = 20
USERS = 1000
HEAVY_USER = USERS  # owns every tenth note
# The bot sends through python-telegram-bot's AIORateLimiter (Telegram's 30 messages/s), so
# back-to-back probes would measure the limiter (~33 ms each), not the search: pace them.
BOT_PROBE_GAP_S = 0.1


def owner_of(note_id: int) -> int:
    return HEAVY_USER if note_id % 10 == 0 else note_id % USERS


def _add_lines(path: Path, start_note: int, notes: int, rng: random.Random) -> None:
    """Append `notes` notes (with lines and search rows) in one transaction."""
    now = "2026-11-24T10:00:00+00:00"
    with sqlite3.connect(path) as db:
        for note_id in range(start_note, start_note + notes):
            lines = note_lines(rng, LINES_PER_NOTE)
            db.execute(
                "INSERT INTO notes (id, user_id, chat_id, title, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (note_id, owner_of(note_id), owner_of(note_id), lines[0][:40], now),
            )
            db.executemany(
                "INSERT INTO lines (note_id, position, text, original_text, confidence, "
                "confidence_source, state, updated_at) VALUES (?, ?, ?, ?, 0.9, ?, 'accepted', ?)",
                [
                    (note_id, i, t, t, str(ConfidenceSource.ENGINE), now)
                    for i, t in enumerate(lines)
                ],
            )
            db.execute(
                "INSERT INTO notes_fts (rowid, body, title, owner) VALUES (?, ?, ?, ?)",
                (note_id, "\n".join(lines), lines[0][:40], owner_token(owner_of(note_id))),
            )


def _checkpoint_and_size(path: Path) -> int:
    """Fold the WAL into the file so its size is the database's real size."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def queries(rng: random.Random, count: int, user: int | None = None) -> list[tuple[int, str]]:
    """(user, words) pairs: one or two words, common to rare, like people type them.

    Users are random typical users, or always `user`.
    """
    words, _ = vocabulary()
    picks = []
    for _ in range(count):
        band = rng.choice([words[:50], words[50:500], words[500:3000]])
        text = " ".join(rng.sample(band, rng.choice([1, 1, 2])))
        picks.append((rng.randrange(USERS) if user is None else user, text))
    return picks


async def storage_latency(path: Path, picks: list[tuple[int, str]]) -> list[float]:
    timings = []
    async with await Storage.open(path) as storage:
        for user, text in picks:
            query = build_fts_query(text)
            assert query is not None
            started = time.perf_counter()
            hits = await storage.search.find(user, query, limit=5)
            if hits:
                await storage.search.count(user, query)
            timings.append(time.perf_counter() - started)
    return timings


async def bot_round_trips(database: Path, picks: list[tuple[int, str]]) -> list[float]:
    """`/search` round trips to `python -m bot` serving `database`, BOT_PROBE_GAP_S apart.

    The engine is never loaded (OCR_WARM_UP=false, no photos): the figures are the bot's
    Telegram plumbing and SQLite.
    """
    timings = []
    server = FakeTelegram(token=TOKEN)
    running = bot_process(server, database.parent, DATABASE_PATH=str(database), OCR_WARM_UP="false")
    async with server, running as bot:
        await bot.first_poll(server)
        for user, words in picks:
            timings.append(await round_trip(server, user, f"/search {words}", "match"))
            await asyncio.sleep(BOT_PROBE_GAP_S)
    return timings


async def grow_and_measure(path: Path, sizes: list[int], probes: int) -> list[dict]:
    """Fill to each size in turn; measure storage and bot /search latency and file size."""
    async with await Storage.open(path):
        pass  # creates the schema exactly as the bot does
    rng = random.Random(7)
    rows, notes_so_far = [], 0
    for size in sizes:
        target_notes = size // LINES_PER_NOTE
        started = time.perf_counter()
        await asyncio.to_thread(
            _add_lines, path, notes_so_far + 1, target_notes - notes_so_far, rng
        )
        fill_s = time.perf_counter() - started
        notes_so_far = target_notes
        size_bytes = await asyncio.to_thread(_checkpoint_and_size, path)
        picks = queries(random.Random(size), probes)
        direct = await storage_latency(path, picks)
        heavy = await storage_latency(path, queries(random.Random(-size), probes, HEAVY_USER))
        via_bot = await bot_round_trips(path, picks[: max(10, probes // 4)])
        rows.append(
            {
                "lines": size,
                "notes": target_notes,
                "db_mb": round(size_bytes / 1e6, 1),
                "fill_s": round(fill_s, 1),
                "storage_p50_ms": ms(percentile(direct, 50)),
                "storage_p99_ms": ms(percentile(direct, 99)),
                "heavy_user_lines": size // 10,
                "heavy_p50_ms": ms(percentile(heavy, 50)),
                "heavy_p99_ms": ms(percentile(heavy, 99)),
                "bot_p50_ms": ms(percentile(via_bot, 50)),
                "bot_p99_ms": ms(percentile(via_bot, 99)),
            }
        )
    return rows
