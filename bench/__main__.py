"""Run every benchmark once, print tables, write JSON: `python -m bench [--quick] [--out F]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import bot_load, cold_start, engine, search_scale, sqlite_writer
from bench import queue as ocr_queue
from bench import responsiveness as responsiveness_probe
from bench.corpus import dense_page, note_image, whiteboard_image
from bench.report import machine, ms, percentile, table
from bot.ocr.contract import EngineConfig
from bot.ocr.engines.prerequisites import prepare_engine_runtime

FULL = {
    "sizes": {0.3: 8, 1.0: 8, 3.0: 4, 12.0: 2},  # megapixels: images per size
    "bot_megapixels": 1.0,
    "downscale_fonts": [30, 45, 70],
    "downscale_width": 4000,
    "whiteboard_width": 1600,
    "gil_images": 8,
    "bot_images": 16,
    "users": [1, 4, 16],
    "workers": [1, 2],
    "downscale_sides": [1600, 2000, 2560, 3000, 4000],
    "search_lines": [10_000, 100_000, 1_000_000],
    "search_probes": 400,
    "load_users": 16,
    "idle_s": 8.0,
    "queue_users": 4,
    "writer_photos": 2000,
}
QUICK = {
    "sizes": {0.1: 1},
    "bot_megapixels": 0.1,
    "downscale_fonts": [40],
    "downscale_width": 900,
    "whiteboard_width": 800,
    "rows": 2,
    "gil_images": 1,
    "bot_images": 2,
    "users": [1, 2],
    "workers": [1],
    "downscale_sides": [600, 2560],
    "search_lines": [1_000, 2_000],
    "search_probes": 10,
    "load_users": 1,
    "idle_s": 1.0,
    "queue_users": 2,
    "writer_photos": 50,
}


def _seconds_row(size: float, result: dict) -> dict:
    if "error" in result:
        return {"megapixels": size, "error": result["error"]}
    seconds = result["seconds"]
    return {
        "megapixels": size,
        "images": len(seconds),
        "first_call_s": round(result["first_call_s"], 2),
        "mean_s": round(statistics.mean(seconds), 3),
        "p50_s": round(percentile(seconds, 50), 3),
        "p95_s": round(percentile(seconds, 95), 3),
        "images_per_s": round(len(seconds) / sum(seconds), 3),
    }


def _rtt(values: list[float]) -> dict:
    return {
        "count": len(values),
        "p50_ms": ms(percentile(values, 50)),
        "p99_ms": ms(percentile(values, 99)),
    }


async def run(plan: dict, folder: Path, results: dict) -> None:
    config = EngineConfig(resources_dir=str(folder / "aspose"), auto_download=False)
    one_mp = [
        note_image(plan["bot_megapixels"], seed=100 + n, rows=plan.get("rows"))[0]
        for n in range(plan["bot_images"])
    ]

    print("1. engine: seconds per image by size", flush=True)
    per_size = []
    for size, count in plan["sizes"].items():
        images = [note_image(size, seed=n, rows=plan.get("rows"))[0] for n in range(count)]
        per_size.append(_seconds_row(size, engine.engine_loop(config, images)))
    results["engine_per_size"] = per_size
    print(table("Engine alone (one engine, in a loop)", per_size), flush=True)

    print("1b. threads vs processes", flush=True)
    gil = one_mp[: plan["gil_images"]] or one_mp
    parallel = [engine.threads_run(config, gil, threads) for threads in (1, 2)]
    parallel += [await engine.processes_run(config, gil, workers) for workers in (1, 2)]
    results["parallelism"] = parallel
    print(table("Threads (one process) vs worker processes, same images", parallel), flush=True)
    results["gil"] = engine.gil_probe(config, one_mp[0])
    print(
        table(
            "Does recognize() release the GIL? (a Python thread ticking every 5 ms)",
            [results["gil"]],
        ),
        flush=True,
    )

    print("1d. layout detection modes", flush=True)
    page, page_lines = note_image(plan["bot_megapixels"], seed=100, rows=plan.get("rows"))
    board, board_notes = whiteboard_image(seed=3, width=plan["whiteboard_width"])
    kinds = [("page", page, page_lines), ("whiteboard", board, board_notes)]
    results["areas_modes"] = engine.areas_modes(config, kinds, ["UNIVERSAL", "LEAN"])
    print(table("Layout detection: UNIVERSAL (the bot's) vs LEAN", results["areas_modes"]))

    print("1c. bot throughput", flush=True)
    throughput, memory = [], {}
    for workers in plan["workers"]:
        rows, peaks = await bot_load.bot_throughput(
            config, one_mp, folder / f"bot-w{workers}", workers, plan["users"]
        )
        throughput += rows
        memory[f"workers_{workers}"] = peaks
    engine_ips = next(
        (
            row["images_per_s"]
            for row in per_size
            if row.get("megapixels") == plan["bot_megapixels"]
        ),
        None,
    )
    shown = []
    for row in throughput:
        ratio = round(row["images_per_s"] / engine_ips, 2) if engine_ips else None
        shown.append(row | {"bot/engine": ratio})
    results["bot_throughput"] = shown
    results["bot_memory_peak"] = memory
    print(table("Bot (fake Bot API, photo → reply)", shown), flush=True)

    print("2. responsiveness under load", flush=True)
    responsiveness = []
    for workers in plan["workers"]:
        rtt = await responsiveness_probe.under_load(folder / f"busy-w{workers}", one_mp, workers)
        responsiveness += [
            {"workers": workers, "phase": key.split("_")[1], "command": key.split("_")[0]}
            | _rtt(values)
            for key, values in rtt.items()
            if values
        ]
    results["responsiveness"] = responsiveness
    title = "/help and /search to `python -m bot`: while photos arrive (burst), then wait for OCR"
    print(table(title, responsiveness), flush=True)

    print("3. search at scale (filling the database…)", flush=True)

    search = await search_scale.grow_and_measure(
        folder / "search" / "notes.db", plan["search_lines"], plan["search_probes"]
    )
    results["search"] = search
    print(table("Search latency and database size", search), flush=True)

    print("4/5. cold start and memory of `python -m bot`", flush=True)
    started = await cold_start.cold_start(folder / "cold", one_mp[0], plan["load_users"])
    results["cold_start"] = started
    lazy = await cold_start.without_warm_up(folder / "lazy", one_mp[0], plan["idle_s"])
    results["cold_start_without_warm_up"] = lazy
    # Issue 13: with downloads allowed on a host that can't reach Aspose's model store, each
    # engine start used to spend ~15 s failing to fetch the handwriting model.
    offline = await cold_start.cold_start(
        folder / "offline", one_mp[0], 1, ASPOSE_AUTO_DOWNLOAD="true"
    )
    results["cold_start_downloads_allowed"] = {
        k: v for k, v in offline.items() if not k.startswith("memory")
    }
    results["cli_calls"] = [
        cold_start.cli_calls(folder / "cli-offline", one_mp[0], ASPOSE_AUTO_DOWNLOAD="true"),
        cold_start.cli_calls(folder / "cli-rapid", one_mp[0], OCR_ENGINE="rapidocr"),
    ]
    memory_rows = [
        {"stage": stage, **started[key]}
        for stage, key in (
            ("idle, first poll", "memory_at_first_poll"),
            ("engine loaded", "memory_engine_loaded"),
            (f"{plan['load_users']} users at once (peak)", "memory_peak_under_load"),
        )
    ]
    memory_rows += [
        {"stage": f"OCR_WARM_UP=false, idle {plan['idle_s']} s", **lazy["memory_idle"]},
        {"stage": "OCR_WARM_UP=false, after 2 photos", **lazy["memory_after_photos"]},
    ]
    print(table("Memory of the bot process and its OCR workers (RSS)", memory_rows), flush=True)
    print(table("Cold start", [{k: v for k, v in started.items() if not k.startswith("memory")}]))
    print(
        table(
            f"OCR_WARM_UP=false: photos sent after {plan['idle_s']} s idle",
            [{k: v for k, v in lazy.items() if not k.startswith("memory")}],
        ),
        flush=True,
    )
    title = "Cold start with ASPOSE_AUTO_DOWNLOAD=true on a host without internet"
    print(table(title, [results["cold_start_downloads_allowed"]]))
    print(table("`python -m bot ocr IMAGE`, two calls in a row", results["cli_calls"]), flush=True)

    print("6. downscaling a large image before OCR", flush=True)
    width = plan["downscale_width"]
    pages = [(px, *dense_page(px, width=width)) for px in plan["downscale_fonts"]]
    rows = engine.downscale(config, pages, plan["downscale_sides"])
    results["downscale"] = rows if isinstance(rows, list) else [rows]
    title = f"Pages {width}×{width * 3 // 4} with text of several sizes, at several max_side limits"
    print(table(title, results["downscale"]), flush=True)

    print("8. OCR through the task queue (Celery + Redis) vs the local pool", flush=True)
    queue = await ocr_queue.compare(
        config, one_mp, folder / "queue", plan["workers"], plan["queue_users"]
    )
    results["queue_overhead"] = queue["overhead"]
    results["queue_throughput"] = queue["throughput"]
    results["queue_added_p50_ms"] = queue["added_by_queue_p50_ms"]
    title = "Per photo, one at a time: the bot's wait minus the engine's own time"
    print(table(title, queue["overhead"]), flush=True)
    print(f"Added by the queue (p50): {queue['added_by_queue_p50_ms']} ms per photo")
    title = f"Photos through the bot ({plan['queue_users']} users), local pool vs queue"
    print(table(title, queue["throughput"]), flush=True)
    results["queue_bot_cpu"] = queue["bot_cpu"]
    print(table("`python -m bot` (OCR_BACKEND=celery): its own CPU per photo", [queue["bot_cpu"]]))

    print("9. the single SQLite writer", flush=True)
    writer = await sqlite_writer.writer_rate(folder / "writer" / "notes.db", plan["writer_photos"])
    results["sqlite_writer"] = writer
    print(table("Bookkeeping of one photo (5 write transactions), one after another", [writer]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--out", type=Path, default=Path("bench/results.json"))
    args = parser.parse_args(argv)
    prepare_engine_runtime()
    plan = QUICK if args.quick else FULL
    results: dict = {
        "machine": machine(),
        "quick": args.quick,
        "plan": {k: str(v) for k, v in plan.items()},
    }
    print(table("Machine", [results["machine"]]))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        asyncio.run(run(plan, Path(folder), results))
    results["total_s"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"\nTotal {results['total_s']} s; results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
