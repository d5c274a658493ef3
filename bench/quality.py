"""How well the bot reads real photos: `python -m bench.quality FOLDER [FOLDER ...]`.

Each FOLDER holds images, `<stem>.gt.txt` beside each (one line of text per image line; `~ `
marks optional text) and `manifest.csv` (columns `file`, `kind`, and optionally `language`:
the OCR language the image is read with, an Aspose-style code such as `VIE`; default `ENG`).
Every setting runs the bot's own engine code (`bot.ocr.engines.build_engine`, the code a
worker runs) in a fresh spawned process, on every image, and is scored with
`bench.quality_metrics`: CER and WER per kind, per language (when a folder mixes them) and
overall, the share of ground-truth lines read right, the diacritics figures (marked letters
read right; marks right where the letter was read; CER with marks stripped), flag recall and
false-flag rate at the threshold, seconds per image (and the cross-check's part) and the
worker's peak memory. Prints tables, writes JSON.

The images are never copied into the repository (their licenses); see BENCHMARKS.md for the
figures on the development set and on held-out images.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from bench.quality_before import BEFORE_REF, checkout, read_in
from bench.quality_metrics import (
    ImageScore,
    aggregate,
    flag_stats,
    load_manifest,
    read_ground_truth,
    score_image,
)
from bench.report import machine, table
from bot.ocr.contract import EngineConfig

# name -> how the engine is configured. "aspose-estimate" is the bot before the cross-check
# (the dictionary estimate alone). The "-before" settings are the engine code of the commit
# BEFORE_REF (the bot before issue 21), read in the same run (`quality_before`): the baseline
# the others are compared with. The "-pponly" settings read Vietnamese with PP-OCRv6 alone
# (the bot before the Vietnamese line recognizer), the baseline for VIE images.
SETTINGS: dict[str, dict[str, Any]] = {
    "aspose": {"engine": "aspose", "crosscheck": True, "flatten": False},
    "aspose-before": {"engine": "aspose", "crosscheck": True, "flatten": False},
    "aspose-estimate": {"engine": "aspose", "crosscheck": False, "flatten": False},
    "aspose-flatten": {"engine": "aspose", "crosscheck": True, "flatten": True},
    "aspose-pponly": {
        "engine": "aspose", "crosscheck": True, "flatten": False, "vietnamese": False,
    },
    "rapidocr": {"engine": "rapidocr", "flatten": False},
    "rapidocr-before": {"engine": "rapidocr", "flatten": False},
    "rapidocr-flatten": {"engine": "rapidocr", "flatten": True},
    "rapidocr-pponly": {"engine": "rapidocr", "flatten": False, "vietnamese": False},
}  # fmt: skip
DEFAULT_SETTINGS = ["aspose-before", "aspose", "rapidocr-before", "rapidocr"]


def _images(folder: Path) -> list[dict[str, str]]:
    rows = []
    for row in load_manifest(folder):
        path = folder / row["file"]
        gt = path.with_name(path.stem + ".gt.txt")
        if path.is_file() and gt.is_file():
            rows.append(
                {
                    "path": str(path),
                    "gt": str(gt),
                    "kind": row.get("kind") or "other",
                    "language": (row.get("language") or "ENG").strip().upper(),
                }
            )
    return rows


def read_all(config: EngineConfig, images: list[dict[str, str]]) -> dict[str, Any]:
    """In a child process: build the engine once, warm it, read every image (each in its
    manifest language); also the process's peak memory (a worker's)."""
    import resource

    from bot.ocr.engines.factory import build_engine
    from bot.ocr.images.intake import ImageRejected
    from tests.support.images import render_note

    engine = build_engine(config)
    engine.recognize(render_note(["warm up the engine"]))
    read = []
    for image in images:
        data = Path(image["path"]).read_bytes()
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            outcome = engine.recognize(data, language=image["language"])
        except ImageRejected as error:
            read.append(image | {"error": str(error), "lines": [], "seconds": 0.0})
            continue
        read.append(
            image
            | {
                "seconds": time.perf_counter() - started,
                # CPU seconds of the whole process (all the engine's threads): what the
                # image costs, less disturbed by other programs on the machine than seconds.
                "cpu_s": time.process_time() - cpu_started,
                "crosscheck_s": outcome.crosscheck_s,
                "image_size": outcome.image_size,
                "lines": [
                    {
                        "text": line.text,
                        "confidence": line.confidence,
                        "source": str(line.confidence_source),
                        "box": line.box,
                        "alternatives": list(getattr(line, "alternatives", ())),
                    }
                    for line in outcome.lines
                ],
            }
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"images": read, "peak_rss_mb": round(peak_mb)}


def run_setting(
    config: EngineConfig, images: list[dict[str, str]], before: Path | None = None
) -> dict[str, Any]:
    """`read_all` in a fresh process: with today's code, or with the files of an earlier
    commit unpacked in `before`."""
    if before is not None:
        return read_in(before, read_all, config, images)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(read_all, config, images).result(timeout=3600)


def groups_of(image: dict[str, Any], languages: set[str]) -> list[str]:
    """The rows an image counts in: its kind, its language (when the set mixes several)."""
    groups = [image["kind"], "all"]
    if len(languages) > 1:
        groups.append(f"lang {image.get('language', 'ENG')}")
    return groups


def score(read: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    """Quality per kind, per language and overall for one setting on one folder."""
    languages = {image.get("language", "ENG") for image in read}
    scores: dict[str, list[ImageScore]] = defaultdict(list)
    flags: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    seconds: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    crosscheck: dict[str, list[float]] = defaultdict(list)
    per_image = []
    for image in read:
        lines = image["lines"]
        name = Path(image["path"]).name
        result = score_image(
            [line["text"] for line in lines],
            read_ground_truth(image["gt"]),
            name=name,
            kind=image["kind"],
            order_keys=[float(line["box"][0]) if line["box"] else 0.0 for line in lines],
        )
        for group in groups_of(image, languages):
            scores[group].append(result)
            for match in result.matches:
                flags[group].append((match.wrong, lines[match.rec_index]["confidence"]))
            seconds[group].append(image["seconds"])
            cpu[group].append(image.get("cpu_s", 0.0))
            crosscheck[group].append(image.get("crosscheck_s", 0.0))
        per_image.append(
            {"image": name, "kind": image["kind"], "language": image.get("language", "ENG")}
            | {"cer": round(result.cer, 4)}
            | {"seconds": round(image["seconds"], 2), "image_size": image.get("image_size")}
            | {
                "lines": [
                    lines[match.rec_index]
                    | {"wrong": match.wrong, "distance": round(match.distance, 3)}
                    for match in result.matches
                ]
            }
        )
    kinds = {}
    order = sorted(scores, key=lambda group: (group == "all", group.startswith("lang "), group))
    for kind in order:
        agg = aggregate(scores[kind])
        stats = flag_stats(flags[kind], threshold)
        total = sum(seconds[kind])
        kinds[kind] = {
            "images": agg.images,
            "pooled_cer": round(agg.pooled_cer, 4),
            "pooled_wer": round(agg.pooled_wer, 4),
            "mean_cer": round(agg.mean_cer, 4),
            "lines_right": round(agg.lines_ok_share, 4),
            "marked_letters": agg.marked_letters,
            "marked_right": round(agg.marked_right, 4) if agg.marked_letters else None,
            "marks_right_where_read": (
                round(agg.marks_right_where_read, 4) if agg.marked_letters else None
            ),
            "base_cer": round(agg.base_cer, 4),
            "wrong_lines": stats.wrong,
            "correct_lines": stats.correct,
            "flag_recall": round(stats.recall, 4) if stats.wrong else None,
            "false_flags": round(stats.false_flag_rate, 4),
            "s_per_image": round(total / max(1, len(seconds[kind])), 2),
            "cpu_s_per_image": round(sum(cpu[kind]) / max(1, len(cpu[kind])), 2),
            "crosscheck_share": round(sum(crosscheck[kind]) / total, 4) if total else 0.0,
        }
    return {"kinds": kinds, "images": per_image}


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def rows_for(
    setting: str, folder: str, result: dict[str, Any], peak_mb: int
) -> list[dict[str, Any]]:
    rows = []
    for kind, k in result["kinds"].items():
        rows.append(
            {
                "setting": setting,
                "set": folder,
                "kind": kind,
                "images": k["images"],
                "CER": _percent(k["pooled_cer"]),
                "WER": _percent(k["pooled_wer"]),
                "mean CER": _percent(k["mean_cer"]),
                "lines right": _percent(k["lines_right"]),
                "marked right": _percent(k["marked_right"]),
                "marks|read": _percent(k["marks_right_where_read"]),
                "base CER": _percent(k["base_cer"]),
                "wrong/lines": f"{k['wrong_lines']}/{k['wrong_lines'] + k['correct_lines']}",
                "flag recall": _percent(k["flag_recall"]),
                "false flags": _percent(k["false_flags"]),
                "s/image": k["s_per_image"],
                "CPU s/image": k["cpu_s_per_image"],
                "cross-check": _percent(k["crosscheck_share"]),
                "MB": peak_mb,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument(
        "--settings", default=",".join(DEFAULT_SETTINGS), help=f"of {', '.join(SETTINGS)}"
    )
    parser.add_argument("--threshold", type=float, default=75.0, help="percent (default 75)")
    parser.add_argument("--out", type=Path, default=Path("bench/quality.json"))
    parser.add_argument(
        "--before", default=BEFORE_REF, help=f"commit of the -before settings ({BEFORE_REF})"
    )
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.settings.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SETTINGS]
    if unknown:
        parser.error(f"unknown setting(s): {', '.join(unknown)}")
    sets = {folder.name: _images(folder) for folder in args.folders}
    if not any(sets.values()):
        parser.error("no image with a .gt.txt and a manifest.csv row in the folder(s)")
    results: dict[str, Any] = {"machine": machine(), "threshold": args.threshold, "runs": {}}
    rows = []
    with tempfile.TemporaryDirectory(prefix="quality-") as scratch:
        base = EngineConfig(resources_dir=str(Path(scratch) / "aspose"), auto_download=False)
        before = None
        if any(setting.endswith("-before") for setting in chosen):
            before = checkout(args.before, Path(scratch) / "before")
        for setting in chosen:
            config = replace(base, **SETTINGS[setting])
            everything = [image for images in sets.values() for image in images]
            started = time.perf_counter()
            run = run_setting(config, everything, before if setting.endswith("-before") else None)
            read, peak_mb = run["images"], run["peak_rss_mb"]
            print(f"{setting}: {len(read)} images in {time.perf_counter() - started:.0f} s")
            results["runs"][setting] = {
                "config": asdict(config),
                "peak_rss_mb": peak_mb,
                "sets": {},
            }
            for name, images in sets.items():
                paths = {image["path"] for image in images}
                result = score([r for r in read if r["path"] in paths], args.threshold / 100)
                results["runs"][setting]["sets"][name] = result
                rows += rows_for(setting, name, result, peak_mb)
            if len(sets) > 1:
                result = score(read, args.threshold / 100)
                results["runs"][setting]["sets"]["all"] = result
                rows += rows_for(setting, "all", result, peak_mb)
    print(table(f"OCR quality (flags at {args.threshold:g}%)", rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
