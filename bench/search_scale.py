"""/search and inline queries as the database grows: 10k, 100k, 1M note lines of generated text.

`python -m bench.search_scale [--lines 10000,100000,1000000] [--probes 400]` runs this section
alone (`python -m bench` runs it with the others).

Notes and lines are written straight into the bot's schema (created by `Storage.open`, so the
tables, indexes and FTS5 table are the real ones); each note's search row and its owner's
vocabulary are then written by the bot's own `refresh`, as every write path does. 20 lines per
note, notes spread over 1,000 users, except that one heavy user owns every tenth note (10% of
all lines: at 1M lines over 10k distinct words, since 2% of the words of 4+ letters are misread
as OCR does). Latency is measured twice: `Storage.search` alone (a page of hits plus the count,
as /search does), for typical users and for the heavy one, and round trips to the real
`python -m bot` process: `/search` and inline queries, typical users and the heavy one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench.bot_load import round_trip
from bench.bot_process import TOKEN, bot_process
from bench.corpus import note_lines, vocabulary
from bench.report import ms, percentile, table
from bot.domain.models import ConfidenceSource
from bot.storage import Storage
from bot.storage.search import refresh
from bot.telegram.limits import CHAT_MESSAGES_PER_S
from tests.support.fake_telegram import FakeTelegram

LINES_PER_NOTE = 20
USERS = 1000
HEAVY_USER = USERS  # owns every tenth note
MISREAD_SHARE = 0.02  # of the words of 4+ letters: OCR errors, which grow each vocabulary
INDEX_BATCH = 500  # notes whose search rows one write transaction refreshes
# The bot sends through python-telegram-bot's AIORateLimiter (Telegram's 30 messages/s), so
# back-to-back probes would measure the limiter (~33 ms each), not the search: pace them. One
# chat also gets at most one message a second (the bot paces each chat as Telegram asks), so
# probes of the same user are a second apart.
BOT_PROBE_GAP_S = 0.1
SAME_CHAT_GAP_S = 1 / CHAT_MESSAGES_PER_S + 0.05


def owner_of(note_id: int) -> int:
    return HEAVY_USER if note_id % 10 == 0 else note_id % USERS


def _add_notes(path: Path, start_note: int, notes: int, rng: random.Random) -> None:
    """Append `notes` notes with their lines in one transaction (search rows come after)."""
    now = "2026-11-24T10:00:00+00:00"
    with sqlite3.connect(path) as db:
        for note_id in range(start_note, start_note + notes):
            lines = note_lines(rng, LINES_PER_NOTE, misread_share=MISREAD_SHARE)
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


async def _index(path: Path, first_note: int, last_note: int) -> None:
    """Each note's search row and its owner's vocabulary, by the bot's own `refresh`."""
    async with await Storage.open(path) as storage:
        for start in range(first_note, last_note + 1, INDEX_BATCH):
            async with storage.db.write(background=True) as db:
                for note_id in range(start, min(start + INDEX_BATCH, last_note + 1)):
                    await refresh(db, note_id)


def _checkpoint_and_size(path: Path) -> int:
    """Fold the WAL into the file so its size is the database's real size."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def _distinct_terms(path: Path, user: int) -> int:
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT count(*) FROM search_terms WHERE user_id = ?", (user,))
        return int(row.fetchone()[0])


def _fts5vocab_scan_s(path: Path) -> float:
    """What reading close spellings from FTS5's own vocabulary (`fts5vocab`) would cost: it
    has every user's terms and can't keep to one owner, so a word's length window is a scan
    of the whole database's terms (and would read other users' words)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE VIRTUAL TABLE temp.all_terms USING fts5vocab(main, notes_fts, row)")
        started = time.perf_counter()
        db.execute("SELECT count(*) FROM all_terms WHERE length(term) BETWEEN 6 AND 8").fetchone()
        return time.perf_counter() - started


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
    """What /search asks of storage: the first page of hits and their total."""
    timings = []
    async with await Storage.open(path) as storage:
        for user, text in picks:
            started = time.perf_counter()
            await storage.search.page(user, text, 0, 5)
            timings.append(time.perf_counter() - started)
    return timings


async def inline_round_trip(server: FakeTelegram, user: int, words: str) -> float:
    query = server.send_inline_query(user, words)
    started = time.perf_counter()
    await server.wait_for_inline_answer(query["id"], timeout=60)
    return time.perf_counter() - started


async def bot_round_trips(
    database: Path, picks: dict[str, list[tuple[int, str]]]
) -> dict[str, list[float]]:
    """`/search` and inline round trips to `python -m bot` serving `database`, for each list
    of picks, BOT_PROBE_GAP_S apart.

    The engine is never loaded (OCR_WARM_UP=false, no photos): the figures are the bot's
    Telegram plumbing and SQLite.
    """
    timings: dict[str, list[float]] = {}
    server = FakeTelegram(token=TOKEN)
    running = bot_process(server, database.parent, DATABASE_PATH=str(database), OCR_WARM_UP="false")
    async with server, running as bot:
        await bot.first_poll(server)
        # The first search after a start may wait for the dictionary still loading: apart.
        timings["first_search"] = [await round_trip(server, USERS + 1, "/search first", "match")]
        last_message: dict[int, float] = {}
        for name, probes in picks.items():
            for kind in ("search", "inline"):
                spent = timings.setdefault(f"{name}_{kind}", [])
                for user, words in probes:
                    if kind == "search":
                        since = time.perf_counter() - last_message.get(user, -SAME_CHAT_GAP_S)
                        await asyncio.sleep(max(0.0, SAME_CHAT_GAP_S - since))
                        spent.append(await round_trip(server, user, f"/search {words}", "match"))
                        last_message[user] = time.perf_counter()
                    else:  # an inline answer is no message in a chat: not paced per chat
                        spent.append(await inline_round_trip(server, user, words))
                    await asyncio.sleep(BOT_PROBE_GAP_S)
    return timings


async def grow_and_measure(path: Path, sizes: list[int], probes: int) -> list[dict]:
    """Fill to each size in turn; measure storage and bot latency and file size."""
    async with await Storage.open(path):
        pass  # creates the schema exactly as the bot does
    rng = random.Random(7)
    rows, notes_so_far = [], 0
    for size in sizes:
        target_notes = size // LINES_PER_NOTE
        started = time.perf_counter()
        await asyncio.to_thread(
            _add_notes, path, notes_so_far + 1, target_notes - notes_so_far, rng
        )
        await _index(path, notes_so_far + 1, target_notes)
        fill_s = time.perf_counter() - started
        notes_so_far = target_notes
        size_bytes = await asyncio.to_thread(_checkpoint_and_size, path)
        picks = queries(random.Random(size), probes)
        heavy_picks = queries(random.Random(-size), probes, HEAVY_USER)
        direct = await storage_latency(path, picks)
        heavy = await storage_latency(path, heavy_picks)
        few = max(10, probes // 4)
        via_bot = await bot_round_trips(path, {"typical": picks[:few], "heavy": heavy_picks[:few]})
        rows.append(
            {
                "lines": size,
                "notes": target_notes,
                "db_mb": round(size_bytes / 1e6, 1),
                "fill_s": round(fill_s, 1),
                "typical_user_words": _distinct_terms(path, 1),
                "heavy_user_words": _distinct_terms(path, HEAVY_USER),
                "storage_p50_ms": ms(percentile(direct, 50)),
                "storage_p99_ms": ms(percentile(direct, 99)),
                "heavy_user_lines": size // 10,
                "heavy_p50_ms": ms(percentile(heavy, 50)),
                "heavy_p99_ms": ms(percentile(heavy, 99)),
            }
            | {"bot_first_search_ms": ms(via_bot.pop("first_search")[0])}
            | {
                f"bot_{name}_{stat}_ms": ms(percentile(values, q))
                for name, values in via_bot.items()
                for stat, q in (("p50", 50), ("p99", 99))
            }
            | {"fts5vocab_scan_ms": ms(await asyncio.to_thread(_fts5vocab_scan_s, path))}
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", default="10000,100000,1000000")
    parser.add_argument("--probes", type=int, default=400)
    parser.add_argument("--out", type=Path, default=Path("bench/results-search-scale.json"))
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.lines.split(",")]
    with tempfile.TemporaryDirectory(prefix="search-scale-") as folder:
        rows = asyncio.run(grow_and_measure(Path(folder) / "notes.db", sizes, args.probes))
    print(table("Search latency and database size", rows))
    args.out.write_text(json.dumps(rows, indent=2))
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
