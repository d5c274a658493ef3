"""The benchmark scripts run end to end at tiny sizes (no timing is asserted: see bench/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECTIONS = [
    "engine_per_size",
    "parallelism",
    "gil",
    "areas_modes",
    "bot_throughput",
    "responsiveness",
    "search",
    "cold_start",
    "cold_start_without_warm_up",
    "cold_start_downloads_allowed",
    "cli_calls",
    "downscale",
    "queue_overhead",
    "queue_throughput",
    "sqlite_writer",
]


def bench_module(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m module args` from the repository; it must succeed."""
    run = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def test_quick_benchmark_produces_every_section(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run = bench_module("bench", "--quick", "--out", str(out))
    results = json.loads(out.read_text())
    assert results["machine"]["cores"] >= 1
    for section in SECTIONS:
        assert results[section], f"section {section} is empty"
        assert "error" not in json.dumps(results[section]), results[section]
    assert all(row["images_per_s"] > 0 for row in results["engine_per_size"])
    assert all(row["p50_s"] > 0 for row in results["bot_throughput"])
    assert [row["lines"] for row in results["search"]] == [1000, 2000]
    assert results["search"][-1]["db_mb"] > 0
    assert isinstance(results["gil"]["gil_released"], bool)
    assert {row["areas_mode"] for row in results["areas_modes"]} == {"UNIVERSAL", "LEAN"}
    assert results["cold_start"]["exit_code_after_sigterm"] == 0
    assert results["cold_start"]["memory_engine_loaded"]["workers_mb"] > 0
    assert results["cold_start_without_warm_up"]["first_photo_s"] > 0
    assert {row["backend"] for row in results["queue_throughput"]} == {
        "local pool",
        "celery + redis",
    }
    assert results["sqlite_writer"]["photos_per_s"] > 0
    assert results["queue_bot_cpu"]["bot_cpu_ms_per_photo"] > 0
    for section in ("Engine alone", "Bot (fake Bot API", "Search latency", "Cold start"):
        assert section in run.stdout


def test_quality_benchmark_scores_a_folder_of_generated_images(tmp_path: Path) -> None:
    """`python -m bench.quality` end to end on two rendered images (real photos stay out of
    the repository): both engines, scores per kind and overall, JSON written."""
    from tests.support.images import NOTE_LINES, render_note

    folder = tmp_path / "set"
    folder.mkdir()
    pages = {"page.png": ("scan", NOTE_LINES)}
    pages["board.png"] = ("whiteboard", ["Water the plants"])
    for name, (_, lines) in pages.items():
        (folder / name).write_bytes(render_note(lines))
        (folder / name).with_suffix(".gt.txt").write_text("\n".join(lines) + "\n~ maybe\n")
    rows = "".join(f"{name},{kind}\n" for name, (kind, _) in pages.items())
    (folder / "manifest.csv").write_text("file,kind\n" + rows)
    out = tmp_path / "quality.json"
    settings = ["--settings", "aspose,rapidocr", "--out", str(out)]
    run = bench_module("bench.quality", str(folder), *settings)
    assert "OCR quality" in run.stdout
    results = json.loads(out.read_text())
    for setting in ("aspose", "rapidocr"):
        kinds = results["runs"][setting]["sets"]["set"]["kinds"]
        assert set(kinds) == {"scan", "whiteboard", "all"}
        assert kinds["all"]["images"] == 2
        assert kinds["all"]["s_per_image"] > 0
    rapid = results["runs"]["rapidocr"]["sets"]["set"]["kinds"]["all"]
    assert rapid["pooled_cer"] == 0.0  # clean rendered print, read whole
    assert rapid["lines_right"] == 1.0
    aspose = results["runs"]["aspose"]["sets"]["set"]["kinds"]["scan"]
    assert aspose["crosscheck_share"] > 0  # trial Aspose reads the page's first line


def test_the_pieces_benchmark_prints_both_tables() -> None:
    run = bench_module("bench.pieces", "--quick", "--engines", "rapidocr")
    assert "In the OCR worker" in run.stdout
    assert "photo + caption" in run.stdout


def test_the_editor_benchmark_prints_its_table(tmp_path: Path) -> None:
    out = tmp_path / "webapp.json"
    run = bench_module("bench.webapp", "--quick", "--lines", "10", "--out", str(out))
    assert "Mini App editor" in run.stdout
    results = json.loads(out.read_text())["webapp"]
    assert results["fields_on_page"] == 10
    assert results["save_round_trip_ms"]["n"] == 3
    assert results["load_interactive_ms"]["p50"] > 0
