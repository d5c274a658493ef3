"""What showing each flagged line's piece of the photo costs: `python -m bench.pieces [FOLDER...]`.

Measured in one run, each beside its baseline:
- in the OCR worker: one image read without pieces (today's text prompts) and with a piece for
  every line (`crop_below` above 1: the most a photo can cost), by the engine itself; the
  seconds per photo and per piece, and the pieces' size (what is uploaded per prompt);
- cutting again later (a restart, "Review pending lines"): decoding and preparing the page
  once more, then cutting (`worker_cut`), per page;
- in the bot: sending a prompt as a photo (upload + caption + buttons) against the same prompt
  as text, through python-telegram-bot to the local fake Bot API (localhost: the upload to the
  real Telegram adds network time on top, ~the piece's size at the uplink's speed).

Images: rendered note pages of 1, 3 and 12 megapixels, plus the photos in each FOLDER (e.g.
../shared/ocr-eval-dev). Engines: RapidOCR (reads whole pages: many lines) and Aspose (the
default; in trial mode it returns only the start of a page, so fewer pieces).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bench.corpus import note_image
from bench.report import ms, table
from bot.ocr.backends.worker import worker_cut
from bot.ocr.contract import Engine, EngineConfig
from bot.ocr.engines.factory import build_engine
from tests.support.fake_telegram import FakeTelegram

TOKEN = "123456789:AAFakeTokenForBenchmarks_abcdefghijk"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
SEND_ROUNDS = 30


def images(folders: list[Path], sizes: tuple[float, ...]) -> list[tuple[str, bytes]]:
    rendered = [(f"rendered {mp:g} MP", note_image(mp, seed=7)[0]) for mp in sizes]
    found = [
        (path.name, path.read_bytes())
        for folder in folders
        for path in sorted(folder.iterdir())
        if path.suffix.lower() in PHOTO_SUFFIXES
    ]
    return rendered + found


def worker_side(engine: Engine, named: list[tuple[str, bytes]]) -> dict[str, float]:
    """Per photo: OCR seconds without pieces, with all pieces, the cut's share, re-cut time."""
    engine.recognize(named[0][1])  # warm (models load on the first call)
    plain_s, with_s, cut_s, recut_s, piece_kb, per_piece_ms = [], [], [], [], [], []
    pieces_total = 0
    for _, data in named:
        started = time.perf_counter()
        engine.recognize(data)
        plain_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        outcome = engine.recognize(data, crop_below=1.01)
        with_s.append(time.perf_counter() - started)
        cut_s.append(outcome.crop_s)
        pieces = [piece for piece in outcome.crops if piece is not None]
        pieces_total += len(pieces)
        piece_kb.extend(len(piece) / 1024 for piece in pieces)
        if pieces:
            per_piece_ms.append(1000 * outcome.crop_s / len(pieces))
        started = time.perf_counter()
        worker_cut(engine.config, data, [line.box for line in outcome.lines])
        recut_s.append(time.perf_counter() - started)
    return {
        "photos": len(named),
        "pieces": pieces_total,
        "ocr_s_mean": statistics.mean(plain_s),
        "ocr_with_pieces_s_mean": statistics.mean(with_s),
        "cut_s_mean": statistics.mean(cut_s),
        "cut_s_max": max(cut_s),
        "cut_ms_per_piece": statistics.mean(per_piece_ms) if per_piece_ms else 0.0,
        "piece_kb_mean": statistics.mean(piece_kb) if piece_kb else 0.0,
        "piece_kb_max": max(piece_kb) if piece_kb else 0.0,
        "recut_s_mean": statistics.mean(recut_s),
        "recut_s_max": max(recut_s),
    }


async def bot_side(pieces: list[bytes]) -> dict[str, float]:
    """Median and p90 seconds per prompt: sendPhoto (piece + caption + buttons) vs
    sendMessage (the same text and buttons), alternating, through the real PTB Bot."""
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=label) for label in ("Keep", "Retype", "Drop")]]
    )
    caption = "❓ Line 3 · 41% (cross-checked)\n<code>Wcter the plonts</code>"
    photo_s, text_s = [], []
    async with FakeTelegram(token=TOKEN) as server:
        bot = Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url)
        async with bot:
            chat = 4242
            server.send_text(chat, "/start")  # the chat exists
            for round_ in range(SEND_ROUNDS):
                piece = pieces[round_ % len(pieces)]
                started = time.perf_counter()
                await bot.send_photo(
                    chat, piece, caption=caption, parse_mode="HTML", reply_markup=keyboard
                )
                photo_s.append(time.perf_counter() - started)
                started = time.perf_counter()
                await bot.send_message(chat, caption, parse_mode="HTML", reply_markup=keyboard)
                text_s.append(time.perf_counter() - started)
    return {
        "text_ms_p50": 1000 * statistics.median(text_s),
        "photo_ms_p50": 1000 * statistics.median(photo_s),
        "text_ms_p90": 1000 * statistics.quantiles(text_s, n=10)[-1],
        "photo_ms_p90": 1000 * statistics.quantiles(photo_s, n=10)[-1],
    }


def pair(mean_s: float, max_s: float) -> str:
    return f"{ms(mean_s)} ({ms(max_s)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--engines", default="rapidocr,aspose")
    parser.add_argument("--quick", action="store_true", help="one small page: a smoke run")
    args = parser.parse_args()
    named = images(args.folders, (0.3,) if args.quick else (1.0, 3.0, 12.0))
    rows, sample_pieces = [], []
    for name in args.engines.split(","):
        engine = build_engine(EngineConfig(engine=name, auto_download=False))
        figures = worker_side(engine, named)
        rows.append(
            {
                "engine": name,
                "photos": figures["photos"],
                "pieces": figures["pieces"],
                "OCR s/photo, no pieces": round(figures["ocr_s_mean"], 2),
                "OCR s/photo, every line cut": round(figures["ocr_with_pieces_s_mean"], 2),
                "cutting ms/photo (max)": pair(figures["cut_s_mean"], figures["cut_s_max"]),
                "ms/piece": round(figures["cut_ms_per_piece"], 1),
                "piece KB (max)": f"{figures['piece_kb_mean']:.0f} ({figures['piece_kb_max']:.0f})",
                "cut again ms/page (max)": pair(figures["recut_s_mean"], figures["recut_s_max"]),
            }
        )
        if not sample_pieces:
            outcome = engine.recognize(named[0][1], crop_below=1.01)
            sample_pieces = [piece for piece in outcome.crops if piece is not None]
    print(table("In the OCR worker (same images, same run)", rows))
    sending = asyncio.run(bot_side(sample_pieces))
    print(
        table(
            f"A review prompt, {SEND_ROUNDS} of each, alternating (local fake Bot API)",
            [
                {
                    "sent as": "text (before)",
                    "p50 ms": round(sending["text_ms_p50"], 1),
                    "p90 ms": round(sending["text_ms_p90"], 1),
                },
                {
                    "sent as": "photo + caption",
                    "p50 ms": round(sending["photo_ms_p50"], 1),
                    "p90 ms": round(sending["photo_ms_p90"], 1),
                },
            ],
        )
    )


if __name__ == "__main__":
    main()
